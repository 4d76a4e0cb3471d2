"""Creating a deployment's environments, each with its own key hierarchy (P02)."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, func, insert, select

from botwarden import audit
from botwarden.config import BUILTIN_ENVIRONMENTS, validate_environment_name, validate_tier
from botwarden.crypto import RootKey
from botwarden.errors import ConflictError, InvalidInputError
from botwarden.store import environments_table, inserted_id, transaction, utcnow
from botwarden.vault.keyring import Keyring, record_root_key
from botwarden.vault.models import environment_keys_table, root_key_table, secrets_table
from botwarden.vault.types import EnvironmentInfo

environments = environments_table


def initialise_vault(engine: Engine, root: RootKey) -> Keyring:
    """Record the root key and create the built-in environments of a new deployment."""

    keyring = Keyring(root)
    with transaction(engine, write=True) as connection:
        if connection.execute(select(root_key_table.c.id)).first() is not None:
            raise ConflictError(
                "this database already belongs to an initialised deployment",
                hint="Use its root key, or point BOTWARDEN_DATABASE_URL at an empty database.",
            )
        record_root_key(connection, root)
        for name, tier in BUILTIN_ENVIRONMENTS.items():
            environment_id = _insert_environment(connection, name, tier, "built in")
            keyring.create_environment_key(connection, environment_id, name, 1)
        details = {"key": root.fingerprint[:16]}
        audit.record("deployment.init", actor="system:botwarden", target="vault", details=details)

    return keyring


def add_environment(
    engine: Engine, keyring: Keyring, name: str, *, tier: str, description: str, actor: str
) -> EnvironmentInfo:
    """Add an environment with a key of its own."""

    validate_environment_name(name)
    checked_tier = validate_tier(tier)
    if len(description) > 200:
        raise InvalidInputError("an environment description has at most 200 characters")

    with transaction(engine, write=True) as connection:
        exists = connection.execute(select(environments.c.id).where(environments.c.name == name))
        if exists.first() is not None:
            raise ConflictError(f"environment {name!r} already exists")
        environment_id = _insert_environment(connection, name, checked_tier, description)
        keyring.create_environment_key(connection, environment_id, name, 1)
        audit.record("environment.add", actor=actor, target=name, details={"tier": checked_tier})

    return next(item for item in list_environments(engine) if item.name == name)


def list_environments(engine: Engine) -> list[EnvironmentInfo]:
    key_versions = (
        select(
            environment_keys_table.c.environment_id,
            func.max(environment_keys_table.c.version).label("key_version"),
        )
        .group_by(environment_keys_table.c.environment_id)
        .subquery()
    )
    secret_counts = (
        select(secrets_table.c.environment_id, func.count().label("secrets"))
        .group_by(secrets_table.c.environment_id)
        .subquery()
    )
    query = (
        select(
            environments,
            key_versions.c.key_version,
            func.coalesce(secret_counts.c.secrets, 0).label("secrets"),
        )
        .outerjoin(key_versions, key_versions.c.environment_id == environments.c.id)
        .outerjoin(secret_counts, secret_counts.c.environment_id == environments.c.id)
        .order_by(environments.c.id)
    )
    with transaction(engine) as connection:
        rows = connection.execute(query).all()

    return [
        EnvironmentInfo(
            name=row.name,
            tier=row.tier,
            description=row.description,
            created_at=row.created_at,
            key_version=row.key_version or 0,
            secrets=row.secrets,
        )
        for row in rows
    ]


def _insert_environment(connection: Connection, name: str, tier: str, description: str) -> int:
    result = connection.execute(
        insert(environments).values(
            name=name, tier=tier, description=description, created_at=utcnow()
        )
    )
    return inserted_id(result)
