"""`botwarden key`: rotate the root key or an environment key, and back the root key up."""

from __future__ import annotations

from pathlib import Path

import click

from botwarden.cli.output import emit_json, json_option, progress_line, prompt_hidden
from botwarden.errors import InvalidInputError


@click.group()
def key() -> None:
    """The key hierarchy: root key, environment keys, backups."""


@key.command()
@click.option(
    "--root", "root", is_flag=True, help="Rotate the root key (re-wraps environment keys)."
)
@click.option(
    "--env", "environment", metavar="ENV", help="Rotate ENV's key (re-wraps its data keys)."
)
@click.option(
    "--key-output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With the 'env' key source: where to write the new root key (mode 0600).",
)
@click.option(
    "--batch-size", type=click.IntRange(1, 100_000), help="Data keys re-wrapped per transaction."
)
@json_option
def rotate(
    root: bool,
    environment: str | None,
    key_output: Path | None,
    batch_size: int | None,
    as_json: bool,
) -> None:
    """Rotate the root key (--root) or one environment's key (--env ENV).

    Reads go on during an environment key rotation; an interrupted one is
    finished by running it again.
    """

    from botwarden.cli.context import local_actor, open_audit, root_passphrase, settings
    from botwarden.vault import open_vault, rotate_root

    if root == (environment is not None):
        raise InvalidInputError("choose what to rotate", hint="Use --root or --env ENV.")

    current = settings()
    passphrase = root_passphrase(current)
    vault = open_vault(current, passphrase=passphrase)
    open_audit(current)

    if environment is None:
        keyring = rotate_root(
            current, vault, passphrase=passphrase, key_output=key_output, actor=local_actor()
        )
        report = {"rotated": "root", "fingerprint": keyring.root.fingerprint[:16]}
        if as_json:
            emit_json(report)
            return
        click.echo(f"Rotated the root key; new fingerprint {report['fingerprint']}.")
        click.echo("Make a new offline backup with `botwarden key backup --output FILE`.")
        return

    from botwarden.config import validate_environment_name
    from botwarden.vault import rotate_environment_key

    validate_environment_name(environment)
    rotation = rotate_environment_key(
        vault.engine,
        vault.keyring,
        environment,
        actor=local_actor(),
        batch_size=batch_size or current.vault.rewrap_batch_size,
        progress=progress_line(f"Re-wrapping {environment}'s data keys"),
    )
    if as_json:
        emit_json(rotation)
        return
    click.echo(
        f"Rotated {environment}'s key to version {rotation.key_version}; "
        f"re-wrapped {rotation.rewrapped} data keys."
    )


@key.command()
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write the encrypted backup to (mode 0600).",
)
def backup(output: Path) -> None:
    """Write the root key encrypted under a backup passphrase, for offline storage."""

    from botwarden.cli.context import local_actor, open_local_vault
    from botwarden.crypto import Sensitive
    from botwarden.vault import backup_root_key

    if output.exists():
        raise InvalidInputError(
            f"{output} exists", hint="Choose a new file; backups are not overwritten."
        )
    vault = open_local_vault()
    passphrase = Sensitive(prompt_hidden("Backup passphrase", confirm=True))
    backup_root_key(vault.keyring.root, output, passphrase, actor=local_actor())
    click.echo(
        f"Wrote the encrypted root key to {output}. Keep it offline, apart from the passphrase."
    )
