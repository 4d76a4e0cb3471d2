"""`botwarden env`: list and add environments, each with its own keys."""

from __future__ import annotations

import click

from botwarden.cli.output import emit_json, json_option, print_table


@click.group()
def env() -> None:
    """Environments (dev, test, prod and any you add), each with its own keys."""


@env.command("list")
@json_option
def list_command(as_json: bool) -> None:
    """List the environments, their tier and key version."""

    from botwarden.cli.context import settings
    from botwarden.vault import list_environments, open_engine

    found = list_environments(open_engine(settings()))
    if as_json:
        emit_json(found)
        return
    print_table(
        ["NAME", "TIER", "KEY", "SECRETS", "DESCRIPTION"],
        [
            (item.name, item.tier, f"v{item.key_version}", item.secrets, item.description)
            for item in found
        ],
    )


@env.command("add")
@click.argument("name")
@click.option(
    "--tier",
    type=click.Choice(["dev", "test", "prod"]),
    default="prod",
    show_default=True,
    help="Which built-in environment's policies it follows; prod is the strictest.",
)
@click.option("--description", default="", help="What the environment is for.")
@json_option
def add_command(name: str, tier: str, description: str, as_json: bool) -> None:
    """Add environment NAME with a key-encryption key of its own."""

    from botwarden.cli.context import local_actor, open_local_vault
    from botwarden.vault import add_environment

    vault = open_local_vault()
    added = add_environment(
        vault.engine, vault.keyring, name, tier=tier, description=description, actor=local_actor()
    )
    if as_json:
        emit_json(added)
        return
    click.echo(f"Added environment {added.name} (tier {added.tier}).")
