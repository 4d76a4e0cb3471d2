"""Pending versions: the value a rotation stores first and makes current only when it works."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlalchemy import delete, update

from botwarden import audit
from botwarden.errors import ConflictError
from botwarden.store import transaction
from botwarden.vault.fields import validate_fields
from botwarden.vault.lookup import pending_version, require_secret
from botwarden.vault.models import secrets_table, versions_table
from botwarden.vault.names import SecretName
from botwarden.vault.records import add_version, make_current, prune
from botwarden.vault.types import SecretValue

if TYPE_CHECKING:
    from botwarden.vault.service import Vault


def stage_pending(
    vault: Vault, name: SecretName, fields: Mapping[str, object], *, actor: str
) -> int:
    """Store ``fields`` as a pending version that is not yet current (rotation, step one)."""

    checked = validate_fields(fields)
    now = vault.now()

    with transaction(vault.engine, write=True) as connection:
        secret = require_secret(connection, name)
        if pending_version(connection, secret.id) is not None:
            raise ConflictError(f"{name} already has a pending version")
        version = add_version(
            connection,
            vault.keyring,
            name,
            secret.environment_id,
            secret.id,
            checked,
            state="pending",
            actor=actor,
            now=now,
        )
        connection.execute(
            update(secrets_table).where(secrets_table.c.id == secret.id).values(updated_at=now)
        )
        for value in checked.values():
            audit.register_secret(value)
        audit.record("secret.stage", actor=actor, target=str(name), details={"version": version})

    return version


def read_pending(vault: Vault, name: SecretName) -> SecretValue | None:
    """The pending version of ``name``, if a rotation left one."""

    with transaction(vault.engine) as connection:
        pending = pending_version(connection, require_secret(connection, name).id)

    return None if pending is None else vault.read(name, pending, allow_pending=True)


def promote_pending(vault: Vault, name: SecretName, version: int, *, actor: str) -> None:
    """Make a pending version current (rotation, last step)."""

    with transaction(vault.engine, write=True) as connection:
        secret = require_secret(connection, name)
        promoted = connection.execute(
            update(versions_table)
            .where(
                versions_table.c.secret_id == secret.id,
                versions_table.c.version == version,
                versions_table.c.state == "pending",
            )
            .values(state="active")
        ).rowcount
        if promoted != 1:
            raise ConflictError(f"{name} has no pending version {version}")
        make_current(connection, secret.id, version, vault.now())
        prune(connection, secret.id, vault.max_versions)
        audit.record("secret.rotate", actor=actor, target=str(name), details={"version": version})


def discard_pending(vault: Vault, name: SecretName, *, actor: str) -> int | None:
    """Remove a pending version that will never become current."""

    with transaction(vault.engine, write=True) as connection:
        secret = require_secret(connection, name)
        pending = pending_version(connection, secret.id)
        if pending is not None:
            connection.execute(
                delete(versions_table).where(
                    versions_table.c.secret_id == secret.id,
                    versions_table.c.version == pending,
                )
            )
            details = {"version": pending}
            audit.record("secret.discard", actor=actor, target=str(name), details=details)

    return pending
