"""`botwarden secret`: store, read, list, rotate and delete secrets named ENV:PATH."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from botwarden.cli.output import emit_json, json_option, print_table, prompt_hidden, to_jsonable
from botwarden.errors import InvalidInputError

if TYPE_CHECKING:
    from botwarden.vault import SecretMetadata, SecretName


def _name(text: str) -> SecretName:
    from botwarden.vault import parse_secret_name

    return parse_secret_name(text)


@click.group()
def secret() -> None:
    """Secrets named ENV:PATH (prod:erp/login), each a set of named fields."""


@secret.command()
@click.argument("name")
@click.option(
    "--field",
    "field_names",
    multiple=True,
    metavar="NAME",
    help="Prompt (hidden) for this field's value; repeat for several. "
    "Without it, a JSON object of fields is read from stdin.",
)
@click.option("--cas", type=int, help="Write only if the current version is this (0: new secret).")
@click.option("--max-age", help="Rotation policy: the longest a value may live, such as 90d.")
@click.option("--max-versions", type=click.IntRange(1, 1000), help="Versions to keep.")
@json_option
def put(
    name: str,
    field_names: tuple[str, ...],
    cas: int | None,
    max_age: str | None,
    max_versions: int | None,
    as_json: bool,
) -> None:
    """Store a new version of secret NAME. Values never come from arguments."""

    from botwarden.cli.context import local_actor, open_local_vault
    from botwarden.vault import parse_duration

    secret_name = _name(name)
    max_age_seconds = parse_duration(max_age) if max_age else None
    fields = _prompt_fields(field_names) if field_names else _read_fields_from_stdin()

    vault = open_local_vault()
    written = vault.put(secret_name, fields, actor=local_actor(), expected_version=cas)
    if max_age_seconds is not None or max_versions is not None:
        vault.set_policy(
            secret_name,
            max_age_seconds=max_age_seconds,
            max_versions=max_versions,
            actor=local_actor(),
        )

    if as_json:
        emit_json({"name": str(secret_name), "version": written.version})
        return
    click.echo(f"Stored {secret_name} version {written.version}.")


def _prompt_fields(names: tuple[str, ...]) -> dict[str, str]:
    if len(set(names)) != len(names):
        raise InvalidInputError("a field is named twice")
    return {field: prompt_hidden(f"Value of {field}") for field in names}


def _read_fields_from_stdin() -> dict[str, Any]:
    if sys.stdin.isatty():
        raise InvalidInputError(
            "no secret value given",
            hint='Pipe a JSON object of fields on stdin ({"password": "..."}), '
            "or use --field NAME to be prompted.",
        )
    text = sys.stdin.read()
    try:
        fields = json.loads(text)
    except ValueError as error:
        raise InvalidInputError(
            f"stdin is not a JSON object of fields (line {getattr(error, 'lineno', '?')})",
            hint='Give an object such as {"username": "bot", "password": "..."}.',
        ) from None
    if not isinstance(fields, dict):
        raise InvalidInputError(
            "stdin must hold a JSON object of fields",
            hint='Give an object such as {"username": "bot", "password": "..."}.',
        )
    return fields


@secret.command()
@click.argument("name")
@click.option(
    "--version", "version", type=int, help="Read this version instead of the current one."
)
@click.option("--reveal", is_flag=True, help="Print the values themselves.")
@click.option("--field", "only_field", metavar="NAME", help="With --reveal: print only this field.")
@json_option
def get(
    name: str, version: int | None, reveal: bool, only_field: str | None, as_json: bool
) -> None:
    """Show secret NAME: its metadata and field names; values only with --reveal."""

    from botwarden.cli.context import local_actor, open_local_vault
    from botwarden.vault import format_duration

    secret_name = _name(name)
    vault = open_local_vault()
    value = vault.read(secret_name, version)
    metadata = vault.metadata(secret_name)
    _audit_read(str(secret_name), value.version, reveal, local_actor())

    if only_field is not None:
        if not reveal:
            raise InvalidInputError("--field prints a value and needs --reveal")
        if only_field not in value.fields:
            raise InvalidInputError(f"{secret_name} has no field {only_field!r}")
        click.echo(value.fields[only_field].reveal())
        return

    fields: dict[str, str] = value.reveal() if reveal else dict.fromkeys(value.fields, "(hidden)")
    if as_json:
        emit_json({**_metadata_dict(metadata), "version": value.version, "fields": fields})
        return

    click.echo(f"{secret_name}  version {value.version} of {metadata.current_version}")
    click.echo(f"  created        {value.created_at:%Y-%m-%d %H:%M:%SZ} by {metadata.created_by}")
    click.echo(f"  last rotated   {metadata.last_rotated_at:%Y-%m-%d %H:%M:%SZ}")
    if metadata.max_age_seconds:
        due = "  (due)" if metadata.due else ""
        click.echo(f"  max age        {format_duration(metadata.max_age_seconds)}{due}")
    if metadata.rotation_plugin:
        click.echo(f"  rotation       {metadata.rotation_plugin}")
    for field, shown in sorted(fields.items()):
        click.echo(f"  {field} = {shown}")


def _audit_read(target: str, version: int, revealed: bool, actor: str) -> None:
    from botwarden import audit

    action = "secret.reveal" if revealed else "secret.describe"
    audit.record(action, actor=actor, target=target, details={"version": version})


def _metadata_dict(metadata: SecretMetadata) -> dict[str, Any]:
    return {
        "name": str(metadata.name),
        "current_version": metadata.current_version,
        "created_at": metadata.created_at.isoformat(),
        "created_by": metadata.created_by,
        "updated_at": metadata.updated_at.isoformat(),
        "last_rotated_at": metadata.last_rotated_at.isoformat(),
        "max_age_seconds": metadata.max_age_seconds,
        "rotation_plugin": metadata.rotation_plugin,
        "max_versions": metadata.max_versions,
        "due": metadata.due,
    }


@secret.command("list")
@click.argument("environment")
@click.option("--prefix", default="", help="Only paths that start with this.")
@click.option("--due", is_flag=True, help="Only secrets older than their rotation policy allows.")
@json_option
def list_command(environment: str, prefix: str, due: bool, as_json: bool) -> None:
    """List the secrets of ENVIRONMENT (metadata only)."""

    from botwarden.cli.context import open_local_vault
    from botwarden.config import validate_environment_name
    from botwarden.vault import format_duration

    validate_environment_name(environment)
    found = open_local_vault().list_secrets(environment, prefix=prefix, due=due)
    if as_json:
        emit_json([_metadata_dict(item) for item in found])
        return
    print_table(
        ["NAME", "VERSION", "LAST ROTATED", "MAX AGE", "DUE"],
        [
            (
                item.name,
                item.current_version,
                item.last_rotated_at,
                format_duration(item.max_age_seconds) if item.max_age_seconds else None,
                "yes" if item.due else "",
            )
            for item in found
        ],
    )


@secret.command()
@click.argument("name")
@json_option
def history(name: str, as_json: bool) -> None:
    """List the versions kept of secret NAME and their state."""

    from botwarden.cli.context import open_local_vault

    versions = open_local_vault().history(_name(name))
    if as_json:
        emit_json(versions)
        return
    print_table(
        ["VERSION", "STATE", "CREATED", "BY", "CURRENT"],
        [
            (
                item.version,
                item.state,
                item.created_at,
                item.created_by,
                "*" if item.current else "",
            )
            for item in versions
        ],
    )


@secret.command()
@click.argument("name")
@click.option(
    "--version", "versions", type=int, multiple=True, help="Version to delete (default: current)."
)
def delete(name: str, versions: tuple[int, ...]) -> None:
    """Soft-delete versions of NAME; `undelete` brings them back."""

    from botwarden.cli.context import local_actor, open_local_vault

    done = open_local_vault().delete(_name(name), list(versions) or None, actor=local_actor())
    click.echo(f"Deleted {name} version {', '.join(map(str, done))}.")


@secret.command()
@click.argument("name")
@click.option(
    "--version", "versions", type=int, multiple=True, help="Version to restore (default: current)."
)
def undelete(name: str, versions: tuple[int, ...]) -> None:
    """Restore soft-deleted versions of NAME."""

    from botwarden.cli.context import local_actor, open_local_vault

    done = open_local_vault().undelete(_name(name), list(versions) or None, actor=local_actor())
    click.echo(f"Restored {name} version {', '.join(map(str, done))}.")


@secret.command()
@click.argument("name")
@click.option("--version", "versions", type=int, multiple=True, help="Version to destroy.")
@click.option("--all", "everything", is_flag=True, help="Destroy the secret with all versions.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def destroy(name: str, versions: tuple[int, ...], everything: bool, yes: bool) -> None:
    """Erase versions of NAME for good (no undelete)."""

    from botwarden.cli.context import local_actor, open_local_vault

    secret_name = _name(name)
    if everything == bool(versions):
        raise InvalidInputError(
            "name the versions to destroy", hint="Use --version N (repeatable) or --all."
        )
    if not yes:
        what = "every version of" if everything else f"version {', '.join(map(str, versions))} of"
        click.confirm(f"Destroy {what} {secret_name} for good?", abort=True, err=True)

    vault = open_local_vault()
    if everything:
        vault.destroy_all(secret_name, actor=local_actor())
        click.echo(f"Destroyed {secret_name}.")
        return
    done = vault.destroy(secret_name, list(versions), actor=local_actor())
    click.echo(f"Destroyed {secret_name} version {', '.join(map(str, done))}.")


@secret.command()
@click.argument("name")
@click.option("--plugin", help="Rotation plugin to use from now on (command, postgresql).")
@click.option(
    "--options",
    "options_json",
    help="The plugin's options as a JSON object (never secret values; see docs/rotation.md).",
)
@click.option("--max-age", help="Set the rotation policy at the same time, such as 90d.")
@json_option
def rotate(
    name: str, plugin: str | None, options_json: str | None, max_age: str | None, as_json: bool
) -> None:
    """Rotate NAME through its rotation plugin, crash-safely."""

    from botwarden.cli.context import local_actor, open_local_vault
    from botwarden.vault import parse_duration
    from botwarden.vault.rotation import rotate_secret, validate_policy

    secret_name = _name(name)
    options = _parse_options(options_json)
    if plugin is not None:
        validate_policy(plugin, options or {})
    vault = open_local_vault()
    if plugin is not None or max_age is not None:
        vault.set_policy(
            secret_name,
            rotation_plugin=plugin,
            rotation_options=options,
            max_age_seconds=parse_duration(max_age) if max_age else None,
            actor=local_actor(),
        )
    elif options is not None:
        raise InvalidInputError("--options goes with --plugin")

    result = rotate_secret(vault, secret_name, actor=local_actor())
    if as_json:
        emit_json({**to_jsonable(result), "name": str(result.name)})
        return
    resumed = " (finished an interrupted rotation)" if result.resumed else ""
    click.echo(f"Rotated {secret_name}: version {result.version} is current{resumed}.")


def _parse_options(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        options = json.loads(text)
    except ValueError:
        raise InvalidInputError("--options is not valid JSON") from None
    if not isinstance(options, dict):
        raise InvalidInputError("--options must be a JSON object")
    return options
