"""The vault's service layer: write, read, list and manage the versions of secrets."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)

from botwarden import audit
from botwarden.errors import ConflictError, InvalidInputError, NotFoundError
from botwarden.logs import get_logger
from botwarden.store import environments_table, inserted_id, transaction, utcnow
from botwarden.vault.envelope import decrypt_version, encrypt_version
from botwarden.vault.fields import validate_fields
from botwarden.vault.keyring import Keyring
from botwarden.vault.models import secrets_table, versions_table
from botwarden.vault.names import SecretName, validate_path
from botwarden.vault.types import SecretMetadata, SecretValue, VersionInfo

log = get_logger(__name__)
AnyRow = Row[*tuple[Any, ...]]
environments = environments_table
secrets, versions = secrets_table, versions_table

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
                    bindparam("version", type_=versions.c.version.type), secrets.c.current_version
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
        now = self._clock()

        with transaction(self.engine, write=True) as connection:
            environment_id = self._environment_id(connection, name.environment)
            secret = self._secret_row(connection, environment_id, name.path)
            current = secret.current_version if secret is not None else None
            if expected_version is not None and expected_version != (current or 0):
                raise ConflictError(
                    f"{name} is at version {current or 0}, not {expected_version}",
                    hint="Read the secret again and retry with its current version.",
                )

            secret_id = (
                secret.id
                if secret is not None
                else self._create_secret(connection, environment_id, name.path, actor, now)
            )
            version = self._add_version(
                connection, name, environment_id, secret_id, checked, "active", actor, now
            )
            connection.execute(
                update(secrets)
                .where(secrets.c.id == secret_id)
                .values(current_version=version, updated_at=now, last_rotated_at=now)
            )
            self._prune(connection, secret_id)

        audit.record("secret.write", actor=actor, target=str(name), details={"version": version})
        return self.version_info(name, version)

    def stage_pending(self, name: SecretName, fields: Mapping[str, object], *, actor: str) -> int:
        """Store ``fields`` as a pending version that is not yet current (rotation, step one)."""

        checked = validate_fields(fields)
        now = self._clock()

        with transaction(self.engine, write=True) as connection:
            environment_id = self._environment_id(connection, name.environment)
            secret = self._require_secret(connection, environment_id, name)
            if self._pending_version(connection, secret.id) is not None:
                raise ConflictError(f"{name} already has a pending version")
            version = self._add_version(
                connection, name, environment_id, secret.id, checked, "pending", actor, now
            )
            connection.execute(
                update(secrets).where(secrets.c.id == secret.id).values(updated_at=now)
            )

        audit.record("secret.stage", actor=actor, target=str(name), details={"version": version})
        return version

    def promote_pending(self, name: SecretName, version: int, *, actor: str) -> None:
        """Make a pending version current (rotation, last step)."""

        now = self._clock()
        with transaction(self.engine, write=True) as connection:
            environment_id = self._environment_id(connection, name.environment)
            secret = self._require_secret(connection, environment_id, name)
            promoted = connection.execute(
                update(versions)
                .where(
                    versions.c.secret_id == secret.id,
                    versions.c.version == version,
                    versions.c.state == "pending",
                )
                .values(state="active")
            ).rowcount
            if promoted != 1:
                raise ConflictError(f"{name} has no pending version {version}")
            connection.execute(
                update(secrets)
                .where(secrets.c.id == secret.id)
                .values(current_version=version, updated_at=now, last_rotated_at=now)
            )
            self._prune(connection, secret.id)

        audit.record("secret.rotate", actor=actor, target=str(name), details={"version": version})

    def discard_pending(self, name: SecretName, *, actor: str) -> int | None:
        """Remove a pending version that will never become current."""

        with transaction(self.engine, write=True) as connection:
            environment_id = self._environment_id(connection, name.environment)
            secret = self._require_secret(connection, environment_id, name)
            pending = self._pending_version(connection, secret.id)
            if pending is not None:
                connection.execute(
                    delete(versions).where(
                        versions.c.secret_id == secret.id, versions.c.version == pending
                    )
                )

        if pending is not None:
            audit.record(
                "secret.discard", actor=actor, target=str(name), details={"version": pending}
            )
        return pending

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

        values: dict[str, Any] = {"updated_at": self._clock()}
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
            environment_id = self._environment_id(connection, name.environment)
            secret = self._require_secret(connection, environment_id, name)
            connection.execute(update(secrets).where(secrets.c.id == secret.id).values(**values))
            self._prune(connection, secret.id)

        changed = sorted(key for key in values if key != "updated_at")
        audit.record("secret.policy", actor=actor, target=str(name), details={"changed": changed})

    # Reading -----------------------------------------------------------------

    def read(self, name: SecretName, version: int | None = None) -> SecretValue:
        """Decrypt the current version of ``name``, or the one asked for."""

        with transaction(self.engine) as connection:
            row = connection.execute(
                READ_VERSION_QUERY,
                {"environment": name.environment, "path": name.path, "version": version},
            ).first()
            if row is None:
                raise self._missing(connection, name, version)
            self._check_readable(name, row)
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
        return SecretValue(name=name, version=row.version, fields=fields, created_at=row.created_at)

    def read_pending(self, name: SecretName) -> SecretValue | None:
        """The pending version of ``name``, if a rotation left one."""

        with transaction(self.engine) as connection:
            environment_id = self._environment_id(connection, name.environment)
            secret = self._require_secret(connection, environment_id, name)
            pending = self._pending_version(connection, secret.id)
        if pending is None:
            return None

        with transaction(self.engine) as connection:
            row = connection.execute(
                READ_VERSION_QUERY,
                {"environment": name.environment, "path": name.path, "version": pending},
            ).one()
            key = self.keyring.environment_key(
                connection, row.environment_id, name.environment, row.key_version
            )
        fields = decrypt_version(
            key, name.environment, name.path, pending, row.wrapped_data_key, row.ciphertext
        )
        return SecretValue(name=name, version=pending, fields=fields, created_at=row.created_at)

    def metadata(self, name: SecretName) -> SecretMetadata:
        with transaction(self.engine) as connection:
            environment_id = self._environment_id(connection, name.environment)
            secret = self._require_secret(connection, environment_id, name)
        return self._metadata(name.environment, secret)

    def list_secrets(
        self, environment: str, *, prefix: str = "", due: bool = False
    ) -> list[SecretMetadata]:
        """Secrets of ``environment`` under ``prefix``; with ``due``, only those past their age."""

        with transaction(self.engine) as connection:
            environment_id = self._environment_id(connection, environment)
            query = select(secrets).where(secrets.c.environment_id == environment_id)
            if prefix:
                escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                query = query.where(secrets.c.path.like(escaped + "%", escape="\\"))
            rows = connection.execute(query.order_by(secrets.c.path)).all()

        found = [self._metadata(environment, row) for row in rows]
        return [item for item in found if item.due] if due else found

    def history(self, name: SecretName) -> list[VersionInfo]:
        with transaction(self.engine) as connection:
            environment_id = self._environment_id(connection, name.environment)
            secret = self._require_secret(connection, environment_id, name)
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

    # Deleting ----------------------------------------------------------------

    def delete(
        self, name: SecretName, versions_: Sequence[int] | None = None, *, actor: str
    ) -> list[int]:
        """Soft-delete versions (the current one by default); `undelete` brings them back."""

        return self._change_state(name, versions_, actor, "active", "deleted", "secret.delete")

    def undelete(
        self, name: SecretName, versions_: Sequence[int] | None = None, *, actor: str
    ) -> list[int]:
        return self._change_state(name, versions_, actor, "deleted", "active", "secret.undelete")

    def destroy(self, name: SecretName, versions_: Sequence[int], *, actor: str) -> list[int]:
        """Erase the encrypted data of versions for good; their metadata stays."""

        if not versions_:
            raise InvalidInputError(
                "name the versions to destroy", hint="Use --version N or --all."
            )
        now = self._clock()
        with transaction(self.engine, write=True) as connection:
            environment_id = self._environment_id(connection, name.environment)
            secret = self._require_secret(connection, environment_id, name)
            self._require_versions(connection, secret.id, name, versions_)
            connection.execute(
                update(versions)
                .where(versions.c.secret_id == secret.id, versions.c.version.in_(versions_))
                .values(
                    state="destroyed",
                    ciphertext=None,
                    wrapped_data_key=None,
                    key_version=None,
                    destroyed_at=now,
                )
            )

        audit.record(
            "secret.destroy", actor=actor, target=str(name), details={"versions": versions_}
        )
        return sorted(versions_)

    def destroy_all(self, name: SecretName, *, actor: str) -> None:
        """Erase a secret with every version and its metadata."""

        with transaction(self.engine, write=True) as connection:
            environment_id = self._environment_id(connection, name.environment)
            secret = self._require_secret(connection, environment_id, name)
            connection.execute(delete(versions).where(versions.c.secret_id == secret.id))
            connection.execute(delete(secrets).where(secrets.c.id == secret.id))

        audit.record("secret.destroy", actor=actor, target=str(name), details={"versions": "all"})

    # Helpers -----------------------------------------------------------------

    def _change_state(
        self,
        name: SecretName,
        versions_: Sequence[int] | None,
        actor: str,
        source: str,
        target: str,
        action: str,
    ) -> list[int]:
        with transaction(self.engine, write=True) as connection:
            environment_id = self._environment_id(connection, name.environment)
            secret = self._require_secret(connection, environment_id, name)
            chosen = versions_ or ([secret.current_version] if secret.current_version else [])
            if not chosen:
                raise NotFoundError(f"{name} has no current version")
            states = self._require_versions(connection, secret.id, name, chosen)
            wrong = [version for version in chosen if states[version] != source]
            if wrong:
                raise ConflictError(
                    f"{name} version {wrong[0]} is {states[wrong[0]]}, not {source}",
                    hint="`botwarden secret history` shows the state of each version.",
                )
            connection.execute(
                update(versions)
                .where(versions.c.secret_id == secret.id, versions.c.version.in_(chosen))
                .values(state=target, deleted_at=self._clock() if target == "deleted" else None)
            )

        audit.record(action, actor=actor, target=str(name), details={"versions": chosen})
        return sorted(chosen)

    def _require_versions(
        self, connection: Connection, secret_id: int, name: SecretName, wanted: Sequence[int]
    ) -> dict[int, str]:
        rows = connection.execute(
            select(versions.c.version, versions.c.state).where(
                versions.c.secret_id == secret_id, versions.c.version.in_(wanted)
            )
        ).all()
        states = {row.version: row.state for row in rows}
        missing = sorted(set(wanted) - set(states))
        if missing:
            raise NotFoundError(f"{name} has no version {missing[0]}")
        return states

    def _environment_id(self, connection: Connection, environment: str) -> int:
        found = connection.execute(
            select(environments.c.id).where(environments.c.name == environment)
        ).scalar()
        if found is None:
            raise NotFoundError(
                f"unknown environment {environment!r}",
                hint="`botwarden env list` shows the environments; `botwarden env add` adds one.",
            )
        return int(found)

    def _secret_row(self, connection: Connection, environment_id: int, path: str) -> AnyRow | None:
        return connection.execute(
            select(secrets).where(
                secrets.c.environment_id == environment_id, secrets.c.path == path
            )
        ).first()

    def _require_secret(
        self, connection: Connection, environment_id: int, name: SecretName
    ) -> AnyRow:
        secret = self._secret_row(connection, environment_id, name.path)
        if secret is None:
            raise NotFoundError(
                f"no secret {name}",
                hint=f"`botwarden secret list {name.environment}` shows what exists.",
            )
        return secret

    def _create_secret(
        self, connection: Connection, environment_id: int, path: str, actor: str, now: datetime
    ) -> int:
        result = connection.execute(
            insert(secrets).values(
                environment_id=environment_id,
                path=path,
                next_version=1,
                created_at=now,
                created_by=actor,
                updated_at=now,
                last_rotated_at=now,
            )
        )
        return inserted_id(result)

    def _add_version(
        self,
        connection: Connection,
        name: SecretName,
        environment_id: int,
        secret_id: int,
        fields: Mapping[str, str],
        state: str,
        actor: str,
        now: datetime,
    ) -> int:
        version = int(
            connection.execute(
                select(secrets.c.next_version).where(secrets.c.id == secret_id)
            ).scalar_one()
        )
        key_version = self.keyring.current_version(connection, environment_id)
        environment_key = self.keyring.environment_key(
            connection, environment_id, name.environment, key_version
        )
        wrapped, ciphertext = encrypt_version(
            environment_key, name.environment, name.path, version, fields
        )
        connection.execute(
            insert(versions).values(
                secret_id=secret_id,
                environment_id=environment_id,
                version=version,
                state=state,
                key_version=key_version,
                wrapped_data_key=wrapped,
                ciphertext=ciphertext,
                created_at=now,
                created_by=actor,
            )
        )
        connection.execute(
            update(secrets).where(secrets.c.id == secret_id).values(next_version=version + 1)
        )
        return version

    def _pending_version(self, connection: Connection, secret_id: int) -> int | None:
        return connection.execute(
            select(versions.c.version).where(
                versions.c.secret_id == secret_id, versions.c.state == "pending"
            )
        ).scalar()

    def _prune(self, connection: Connection, secret_id: int) -> None:
        """Remove the oldest versions beyond the limit; never the current or a pending one."""

        secret = connection.execute(
            select(secrets.c.current_version, secrets.c.max_versions).where(
                secrets.c.id == secret_id
            )
        ).one()
        limit = secret.max_versions or self.max_versions
        kept = (
            connection.execute(
                select(versions.c.version)
                .where(versions.c.secret_id == secret_id, versions.c.state != "pending")
                .order_by(versions.c.version.desc())
            )
            .scalars()
            .all()
        )
        removable = [v for v in kept[limit:] if v != secret.current_version]
        if removable:
            connection.execute(
                delete(versions).where(
                    versions.c.secret_id == secret_id, versions.c.version.in_(removable)
                )
            )

    def _missing(
        self, connection: Connection, name: SecretName, version: int | None
    ) -> NotFoundError:
        environment_id = self._environment_id(connection, name.environment)
        secret = self._require_secret(connection, environment_id, name)
        if version is None and secret.current_version is None:
            return NotFoundError(f"{name} has no current version")
        return NotFoundError(
            f"{name} has no version {version}",
            hint=f"`botwarden secret history {name}` lists the versions kept.",
        )

    def _check_readable(self, name: SecretName, row: AnyRow) -> None:
        if row.state == "deleted":
            raise NotFoundError(
                f"{name} version {row.version} is deleted",
                hint=f"`botwarden secret undelete {name} --version {row.version}` brings it back.",
            )
        if row.state == "destroyed":
            raise NotFoundError(f"{name} version {row.version} was destroyed and cannot be read")
        if row.state == "pending":
            raise NotFoundError(f"{name} version {row.version} is pending a rotation")

    def _metadata(self, environment: str, row: AnyRow) -> SecretMetadata:
        max_age = row.rotation_max_age_seconds
        due = (
            max_age is not None
            and row.last_rotated_at + timedelta(seconds=max_age) <= self._clock()
        )
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
