"""The `botwarden` command: a group whose subcommands are imported only when used."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from botwarden import __version__

# Each top-level command, the module attribute that implements it, and its
# one-line summary. Importing a module only when its command runs keeps
# `botwarden --help` fast.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("botwarden.cli.init:init", "Create a deployment: home, database, root key, CA."),
    "env": ("botwarden.cli.env:env", "List and add environments, each with its own keys."),
    "secret": ("botwarden.cli.secret:secret", "Store, read, list, rotate and delete secrets."),
    "key": ("botwarden.cli.key:key", "Rotate the root key or an environment key; back up."),
    "server": ("botwarden.cli.server:server", "Serve the HTTPS API."),
    "unseal": ("botwarden.cli.server:unseal", "Unseal a running server with the passphrase."),
    "ca": ("botwarden.cli.server:ca", "The deployment's CA certificate for clients."),
    "db": ("botwarden.cli.db:db", "Show the schema revision and apply migrations."),
    "audit": ("botwarden.cli.audit:audit", "Tail, search, verify, prove and export the audit log."),
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when it is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, summary) for name, (_target, summary) in sorted(COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attribute = entry[0].split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{entry[0]} is not a click command")
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="botwarden")
def cli() -> None:
    """botwarden: identities, secrets, permissions and an audit trail for Python RPA bots."""


def main(argv: list[str] | None = None) -> Any:
    """Run the CLI; botwarden's own errors become a message, a hint and exit code 1."""

    from botwarden.cli.output import run_guarded

    return run_guarded(cli, argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
