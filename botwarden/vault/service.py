"""The vault's service layer: write, read, list and manage the versions of secrets."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, func, select, update

from botwarden import audit
from botwarden.errors import ConflictError, InvalidInputError, NotFoundError
from botwarden.store import environments_table, transaction, utcnow
from botwarden.vault import lifecycle, pending
from botwarden.vault.envelope import decrypt_version
from botwarden.vault.fields import validate_fields
from botwarden.vault.keyring import Keyring
from botwarden.vault.lookup import (
    AnyRow,
    environment_id,
    require_secret,
    secret_row,
)
from botwarden.vault.models import secrets_table, versions_table
from botwarden.vault.names import SecretName, validate_path
from botwarden.vault.records import add_version, create_secret, make_current, prune
from botwarden.vault.types import SecretMetadata, SecretValue, VersionInfo

environments, secrets, versions = environments_table, secrets_table, versions_table

# One joined SELECT finds a version (the current one when :version is NULL) by
# environment name and path: the whole database work of a read.
READ_VERSION_QUERY = (
    select(
        environments.c.id.label("environment_id"),
        secrets.c.current_version,
        versions.c.version,
        versions.c.state,
        versions.c.key_version,
        versions.c.wrapped_data_key,
        versions.c.ciphertext,
        versions.c.created_at,
    )
    .select_from(
        environments.join(secrets, secrets.c.environment_id == environments.c.id).join(
            versions,
            and_(
                versions.c.secret_id == secrets.c.id,
                versions.c.version
                == func.coalesce(
                    bindparam("version", type_=versions.c.version.type),
                    secrets.c.current_version,
                ),
            ),
        )
    )
    .where(environments.c.name == bindparam("environment"), secrets.c.path == bindparam("path"))
)


class Vault:
    """Secrets addressed by environment and path, each kept in several versions."""

    def __init__(
        self,
        engine: Engine,
        keyring: Keyring,
        *,
        max_versions: int = 10,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.keyring = keyring
        self.max_versions = max_versions
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    def close(self) -> None:
        """Release the database connections."""

        self.engine.dispose()

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # Writing -----------------------------------------------------------------

    def put(
        self,
        name: SecretName,
        fields: Mapping[str, object],
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> VersionInfo:
        """Store ``fields`` as the new current version of ``name``.

        ``expected_version`` makes the write conditional (check-and-set): 0
        means the secret must not exist yet.
        """

        checked = validate_fields(fields)
        validate_path(name.path)
        now = self.now()

        with transaction(self.engine, write=True) as connection:
            environment = environment_id(connection, name.environment)
            secret = secret_row(connection, environment, name.path)
            current = secret.current_version if secret is not None else None
            if expected_version is not None and expected_version != (current or 0):
                raise ConflictError(
                    f"{name} is at version {current or 0}, not {expected_version}",
                    hint="Read the secret again and retry with its current version.",
                )

            secret_id = (
                secret.id
                if secret is not None
                else create_secret(connection, environment, name.path, actor, now)
            )
            version = add_version(
                connection,
                self.keyring,
                name,
                environment,
                secret_id,
                checked,
                state="active",
                actor=actor,
                now=now,
            )
            make_current(connection, secret_id, version, now)
            prune(connection, secret_id, self.max_versions)
            for value in checked.values():
                audit.register_secret(value)
            audit.record(
                "secret.write", actor=actor, target=str(name), details={"version": version}
            )

        return self.version_info(name, version)

    def set_policy(
        self,
        name: SecretName,
        *,
        max_age_seconds: int | None = None,
        rotation_plugin: str | None = None,
        rotation_options: Mapping[str, Any] | None = None,
        max_versions: int | None = None,
        actor: str,
    ) -> None:
        """Set the rotation policy and version limit of a secret."""

        values: dict[str, Any] = {"updated_at": self.now()}
        if max_age_seconds is not None:
            values["rotation_max_age_seconds"] = max_age_seconds
        if rotation_plugin is not None:
            values["rotation_plugin"] = rotation_plugin
            values["rotation_options"] = json.dumps(dict(rotation_options or {}), sort_keys=True)
        if max_versions is not None:
            if max_versions < 1:
                raise InvalidInputError("a secret keeps at least one version")
            values["max_versions"] = max_versions

        with transaction(self.engine, write=True) as connection:
            secret = require_secret(connection, name)
            connection.execute(update(secrets).where(secrets.c.id == secret.id).values(**values))
            prune(connection, secret.id, self.max_versions)
            changed = sorted(key for key in values if key != "updated_at")
            details = {"changed": changed}
            audit.record("secret.policy", actor=actor, target=str(name), details=details)

    # Reading -----------------------------------------------------------------

    def read(
        self, name: SecretName, version: int | None = None, *, allow_pending: bool = False
    ) -> SecretValue:
        """Decrypt the current version of ``name``, or the one asked for."""

        parameters = {"environment": name.environment, "path": name.path, "version": version}
        with transaction(self.engine) as connection:
            row = connection.execute(READ_VERSION_QUERY, parameters).first()
            if row is None:
                raise _missing(connection, name, version)
            _check_readable(name, row, allow_pending=allow_pending)
            environment_key = self.keyring.environment_key(
                connection, row.environment_id, name.environment, row.key_version
            )

        fields = decrypt_version(
            environment_key,
            name.environment,
            name.path,
            row.version,
            row.wrapped_data_key,
            row.ciphertext,
        )
        for value in fields.values():
            audit.register_secret(value.reveal())
        return SecretValue(name=name, version=row.version, fields=fields, created_at=row.created_at)

    def metadata(self, name: SecretName) -> SecretMetadata:
        with transaction(self.engine) as connection:
            secret = require_secret(connection, name)
        return self._metadata(name.environment, secret)

    def list_secrets(
        self, environment: str, *, prefix: str = "", due: bool = False
    ) -> list[SecretMetadata]:
        """Secrets of ``environment`` under ``prefix``; with ``due``, only those past their age."""

        with transaction(self.engine) as connection:
            query = select(secrets).where(
                secrets.c.environment_id == environment_id(connection, environment)
            )
            if prefix:
                escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                query = query.where(secrets.c.path.like(escaped + "%", escape="\\"))
            rows = connection.execute(query.order_by(secrets.c.path)).all()

        found = [self._metadata(environment, row) for row in rows]
        return [item for item in found if item.due] if due else found

    def history(self, name: SecretName) -> list[VersionInfo]:
        with transaction(self.engine) as connection:
            secret = require_secret(connection, name)
            rows = connection.execute(
                select(versions)
                .where(versions.c.secret_id == secret.id)
                .order_by(versions.c.version)
            ).all()
        return [_version_info(row, secret.current_version) for row in rows]

    def version_info(self, name: SecretName, version: int) -> VersionInfo:
        for info in self.history(name):
            if info.version == version:
                return info
        raise NotFoundError(f"{name} has no version {version}")

    # Rotation: pending versions (see pending.py) ------------------------------

    def stage_pending(self, name: SecretName, fields: Mapping[str, object], *, actor: str) -> int:
        return pending.stage_pending(self, name, fields, actor=actor)

    def read_pending(self, name: SecretName) -> SecretValue | None:
        return pending.read_pending(self, name)

    def promote_pending(self, name: SecretName, version: int, *, actor: str) -> None:
        pending.promote_pending(self, name, version, actor=actor)

    def discard_pending(self, name: SecretName, *, actor: str) -> int | None:
        return pending.discard_pending(self, name, actor=actor)

    # Deleting (see lifecycle.py) ---------------------------------------------

    def delete(
        self, name: SecretName, versions_: Sequence[int] | None = None, *, actor: str
    ) -> list[int]:
        """Soft-delete versions (the current one by default); `undelete` brings them back."""

        return lifecycle.change_state(
            self, name, versions_, actor=actor, source="active", target="deleted"
        )

    def undelete(
        self, name: SecretName, versions_: Sequence[int] | None = None, *, actor: str
    ) -> list[int]:
        return lifecycle.change_state(
            self, name, versions_, actor=actor, source="deleted", target="active"
        )

    def destroy(self, name: SecretName, versions_: Sequence[int], *, actor: str) -> list[int]:
        """Erase the encrypted data of versions for good; their metadata stays."""

        return lifecycle.destroy_versions(self, name, versions_, actor=actor)

    def destroy_all(self, name: SecretName, *, actor: str) -> None:
        """Erase a secret with every version and its metadata."""

        lifecycle.destroy_secret(self, name, actor=actor)

    # Helpers -----------------------------------------------------------------

    def _metadata(self, environment: str, row: AnyRow) -> SecretMetadata:
        max_age = row.rotation_max_age_seconds
        due = max_age is not None and row.last_rotated_at + timedelta(seconds=max_age) <= self.now()
        return SecretMetadata(
            name=SecretName(environment, row.path),
            current_version=row.current_version,
            created_at=row.created_at,
            created_by=row.created_by,
            updated_at=row.updated_at,
            last_rotated_at=row.last_rotated_at,
            max_age_seconds=max_age,
            rotation_plugin=row.rotation_plugin,
            max_versions=row.max_versions or self.max_versions,
            due=due,
        )


def _missing(connection: Connection, name: SecretName, version: int | None) -> NotFoundError:
    secret = require_secret(connection, name)
    if version is None and secret.current_version is None:
        return NotFoundError(f"{name} has no current version")
    return NotFoundError(
        f"{name} has no version {version}",
        hint=f"`botwarden secret history {name}` lists the versions kept.",
    )


def _check_readable(name: SecretName, row: AnyRow, *, allow_pending: bool) -> None:
    if row.state == "deleted":
        raise NotFoundError(
            f"{name} version {row.version} is deleted",
            hint=f"`botwarden secret undelete {name} --version {row.version}` brings it back.",
        )
    if row.state == "destroyed":
        raise NotFoundError(f"{name} version {row.version} was destroyed and cannot be read")
    if row.state == "pending" and not allow_pending:
        raise NotFoundError(f"{name} version {row.version} is pending a rotation")


def _version_info(row: AnyRow, current: int | None) -> VersionInfo:
    return VersionInfo(
        version=row.version,
        state=row.state,
        created_at=row.created_at,
        created_by=row.created_by,
        deleted_at=row.deleted_at,
        destroyed_at=row.destroyed_at,
        current=row.version == current,
    )
