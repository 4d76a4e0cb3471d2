"""Writing secret and version rows: new secrets, encrypted versions, pruning old versions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from botwarden.store import inserted_id
from botwarden.vault.envelope import encrypt_version
from botwarden.vault.keyring import Keyring
from botwarden.vault.models import secrets_table, versions_table
from botwarden.vault.names import SecretName


def create_secret(
    connection: Connection, environment_id: int, path: str, actor: str, now: datetime
) -> int:
    result = connection.execute(
        insert(secrets_table).values(
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


def add_version(
    connection: Connection,
    keyring: Keyring,
    name: SecretName,
    environment_id: int,
    secret_id: int,
    fields: Mapping[str, str],
    *,
    state: str,
    actor: str,
    now: datetime,
) -> int:
    """Encrypt ``fields`` under the environment's newest key as the secret's next version."""

    version = int(
        connection.execute(
            select(secrets_table.c.next_version).where(secrets_table.c.id == secret_id)
        ).scalar_one()
    )
    key_version = keyring.current_version(connection, environment_id)
    environment_key = keyring.environment_key(
        connection, environment_id, name.environment, key_version
    )
    wrapped, ciphertext = encrypt_version(
        environment_key, name.environment, name.path, version, fields
    )

    connection.execute(
        insert(versions_table).values(
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
        update(secrets_table)
        .where(secrets_table.c.id == secret_id)
        .values(next_version=version + 1)
    )
    return version


def make_current(connection: Connection, secret_id: int, version: int, now: datetime) -> None:
    """Point the secret at ``version`` and record the change as a rotation."""

    connection.execute(
        update(secrets_table)
        .where(secrets_table.c.id == secret_id)
        .values(current_version=version, updated_at=now, last_rotated_at=now)
    )


def prune(connection: Connection, secret_id: int, default_limit: int) -> None:
    """Remove the oldest versions beyond the limit; never the current or a pending one."""

    secret = connection.execute(
        select(secrets_table.c.current_version, secrets_table.c.max_versions).where(
            secrets_table.c.id == secret_id
        )
    ).one()
    limit = secret.max_versions or default_limit
    kept = (
        connection.execute(
            select(versions_table.c.version)
            .where(versions_table.c.secret_id == secret_id, versions_table.c.state != "pending")
            .order_by(versions_table.c.version.desc())
        )
        .scalars()
        .all()
    )

    removable = [version for version in kept[limit:] if version != secret.current_version]
    if removable:
        connection.execute(
            delete(versions_table).where(
                versions_table.c.secret_id == secret_id,
                versions_table.c.version.in_(removable),
            )
        )
