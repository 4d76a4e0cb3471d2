"""The `botwarden` command: a group whose subcommands are imported only when used."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from botwarden import __version__

# Each top-level command and the module attribute that implements it. Importing
# a module only when its command runs keeps `botwarden --help` fast.
COMMANDS: dict[str, str] = {
    "init": "botwarden.cli.init:init",
    "env": "botwarden.cli.env:env",
    "secret": "botwarden.cli.secret:secret",
    "key": "botwarden.cli.key:key",
    "unseal": "botwarden.cli.server:unseal",
    "server": "botwarden.cli.server:server",
    "ca": "botwarden.cli.server:ca",
    "db": "botwarden.cli.db:db",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when it is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
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
