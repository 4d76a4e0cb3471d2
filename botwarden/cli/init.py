"""`botwarden init`: set up a home, its database, its root key and its certificates."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from botwarden.cli.output import emit_json, json_option, prompt_hidden


@click.command()
@click.option(
    "--key-source",
    type=click.Choice(["file", "passphrase", "env"]),
    default="file",
    show_default=True,
    help="Where the root key lives: a 0600 key file, a passphrase-sealed file "
    "(the server starts sealed), or the BOTWARDEN_ROOT_KEY variable.",
)
@click.option(
    "--key-output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --key-source env: write a new root key to this file (mode 0600).",
)
@click.option(
    "--restore",
    "restore",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Take back the root key from a `botwarden key backup` file.",
)
@click.option(
    "--deployment",
    type=click.Choice(["dev", "test", "prod"]),
    default=None,
    help="What this deployment is; prod (the default) enables the production safety check.",
)
@click.option("--host", help="Address the server will listen on (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port of the server (default 8443).")
@json_option
def init(
    key_source: str,
    key_output: Path | None,
    restore: Path | None,
    deployment: str | None,
    host: str | None,
    port: int | None,
    as_json: bool,
) -> None:
    """Create a deployment in $BOTWARDEN_HOME (default ~/.botwarden).

    Without options it writes a root key file with mode 0600 and never prompts.
    """

    from botwarden.cli.context import open_audit, settings
    from botwarden.crypto import Sensitive
    from botwarden.vault import initialise, read_backup
    from botwarden.vault.deployment import prepare_audit, settings_with_key_source

    current = settings_with_key_source(settings(), key_source)  # type: ignore[arg-type]
    if deployment is not None:
        current = replace(current, deployment=deployment)  # type: ignore[arg-type]
    server = replace(
        current.server, host=host or current.server.host, port=port or current.server.port
    )
    current = replace(current, server=server)

    restored = None
    if restore is not None:
        restored = read_backup(restore, Sensitive(prompt_hidden("Backup passphrase")))

    passphrase = None
    if key_source == "passphrase":
        passphrase = Sensitive(prompt_hidden("New root key passphrase", confirm=True))

    prepare_audit(current)
    open_audit(current)
    result = initialise(
        current, passphrase=passphrase, key_output=key_output, restore_from=restored
    )

    summary = {
        "home": str(current.home),
        "key_source": key_source,
        "root_key": result.key_location,
        "fingerprint": result.fingerprint[:16],
        "ca_certificate": str(current.ca_cert_file),
        "restored": restored is not None,
    }
    if as_json:
        emit_json(summary)
        return

    click.echo(f"{'Restored' if restored else 'Initialised'} botwarden in {current.home}")
    click.echo(f"  root key:       {result.key_location} (fingerprint {summary['fingerprint']})")
    click.echo(f"  CA certificate: {current.ca_cert_file}")
    click.echo("Next: back up the root key offline with `botwarden key backup --output FILE`.")
