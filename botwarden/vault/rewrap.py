"""Rotating an environment key: a new key version, then data keys re-wrapped in batches.

Reads go on throughout: each version row carries the key version that wraps
its data key, and a batch updates both together, so a reader always finds a
pair that opens. Old key versions are deleted only when nothing uses them.
An interrupted rotation is finished by the next one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, bindparam, func, select, update

from botwarden import audit
from botwarden.logs import get_logger
from botwarden.store import environments_table, transaction
from botwarden.vault import lookup
from botwarden.vault.envelope import rewrap_data_key
from botwarden.vault.keyring import Keyring, retire_unused_environment_keys
from botwarden.vault.models import secrets_table, versions_table

log = get_logger(__name__)
environments = environments_table

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EnvironmentRotation:
    environment: str
    key_version: int
    rewrapped: int
    retired_key_versions: list[int]


def rotate_environment_key(
    engine: Engine,
    keyring: Keyring,
    environment: str,
    *,
    actor: str,
    batch_size: int = 500,
    progress: Progress | None = None,
) -> EnvironmentRotation:
    """Add a key version to ``environment`` and move every data key onto it."""

    with transaction(engine, write=True) as connection:
        environment_id = lookup.environment_id(connection, environment)
        new_version = keyring.current_version(connection, environment_id) + 1
        keyring.create_environment_key(connection, environment_id, environment, new_version)
        details = {"key_version": new_version}
        audit.record("key.rotate_environment", actor=actor, target=environment, details=details)

    rewrapped = rewrap_environment(
        engine, keyring, environment, batch_size=batch_size, progress=progress
    )

    with transaction(engine, write=True) as connection:
        in_use = set(
            connection.execute(
                select(versions_table.c.key_version)
                .where(
                    versions_table.c.environment_id == environment_id,
                    versions_table.c.key_version.is_not(None),
                )
                .distinct()
            ).scalars()
        )
        retired = retire_unused_environment_keys(
            connection, keyring, environment_id, new_version, in_use
        )
        summary: dict[str, object] = {
            "key_version": new_version,
            "rewrapped": rewrapped,
            "retired": retired,
        }
        audit.record("key.rewrapped_environment", actor=actor, target=environment, details=summary)

    return EnvironmentRotation(environment, new_version, rewrapped, retired)


def rewrap_environment(
    engine: Engine,
    keyring: Keyring,
    environment: str,
    *,
    batch_size: int = 500,
    progress: Progress | None = None,
) -> int:
    """Re-wrap, batch by batch, every data key not yet under the newest key version."""

    with transaction(engine) as connection:
        environment_id = lookup.environment_id(connection, environment)
        current = keyring.current_version(connection, environment_id)
        total = _outdated_count(connection, environment_id, current)

    done = 0
    update_row = (
        update(versions_table)
        .where(
            versions_table.c.id == bindparam("row_id"),
            versions_table.c.key_version == bindparam("old_version"),
        )
        .values(key_version=current, wrapped_data_key=bindparam("wrapped"))
    )

    while True:
        with transaction(engine, write=True) as connection:
            rows = connection.execute(
                select(
                    versions_table.c.id,
                    versions_table.c.version,
                    versions_table.c.key_version,
                    versions_table.c.wrapped_data_key,
                    secrets_table.c.path,
                )
                .join(secrets_table, secrets_table.c.id == versions_table.c.secret_id)
                .where(
                    versions_table.c.environment_id == environment_id,
                    versions_table.c.key_version < current,
                )
                .limit(batch_size)
            ).all()
            if not rows:
                break

            new_key = keyring.environment_key(connection, environment_id, environment, current)
            changes = []
            for row in rows:
                old_key = keyring.environment_key(
                    connection, environment_id, environment, row.key_version
                )
                wrapped = rewrap_data_key(
                    old_key, new_key, environment, row.path, row.version, row.wrapped_data_key
                )
                changes.append(
                    {"row_id": row.id, "old_version": row.key_version, "wrapped": wrapped}
                )
            connection.execute(update_row, changes)

        done += len(rows)
        if progress is not None:
            progress(done, max(total, done))
        log.debug("environment_key_batch_rewrapped", environment=environment, done=done)

    return done


def _outdated_count(connection: Connection, environment_id: int, current: int) -> int:
    return int(
        connection.execute(
            select(func.count()).where(
                versions_table.c.environment_id == environment_id,
                versions_table.c.key_version < current,
            )
        ).scalar_one()
    )
