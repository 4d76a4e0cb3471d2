"""Finding environments, secrets and versions inside a transaction, with the vault's errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, select

from botwarden.errors import NotFoundError
from botwarden.store import environments_table
from botwarden.vault.models import secrets_table, versions_table
from botwarden.vault.names import SecretName

AnyRow = Row[*tuple[Any, ...]]


def environment_id(connection: Connection, environment: str) -> int:
    """The id of ``environment``, or a ``NotFoundError`` that says how to list them."""

    found = connection.execute(
        select(environments_table.c.id).where(environments_table.c.name == environment)
    ).scalar()
    if found is None:
        raise NotFoundError(
            f"unknown environment {environment!r}",
            hint="`botwarden env list` shows the environments; `botwarden env add` adds one.",
        )
    return int(found)


def secret_row(connection: Connection, environment: int, path: str) -> AnyRow | None:
    return connection.execute(
        select(secrets_table).where(
            secrets_table.c.environment_id == environment, secrets_table.c.path == path
        )
    ).first()


def require_secret(connection: Connection, name: SecretName) -> AnyRow:
    """The row of secret ``name``, or a ``NotFoundError``."""

    secret = secret_row(connection, environment_id(connection, name.environment), name.path)
    if secret is None:
        raise NotFoundError(
            f"no secret {name}",
            hint=f"`botwarden secret list {name.environment}` shows what exists.",
        )
    return secret


def version_states(
    connection: Connection, secret_id: int, name: SecretName, wanted: Sequence[int]
) -> dict[int, str]:
    """The state of each version in ``wanted``; every one of them must exist."""

    rows = connection.execute(
        select(versions_table.c.version, versions_table.c.state).where(
            versions_table.c.secret_id == secret_id, versions_table.c.version.in_(wanted)
        )
    ).all()
    states = {row.version: row.state for row in rows}
    missing = sorted(set(wanted) - set(states))
    if missing:
        raise NotFoundError(f"{name} has no version {missing[0]}")
    return states


def pending_version(connection: Connection, secret_id: int) -> int | None:
    return connection.execute(
        select(versions_table.c.version).where(
            versions_table.c.secret_id == secret_id, versions_table.c.state == "pending"
        )
    ).scalar()
