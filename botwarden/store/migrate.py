"""Applying and checking the Alembic migrations of the schema."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from botwarden.errors import SchemaOutOfDateError
from botwarden.store.session import transaction

if TYPE_CHECKING:
    from alembic.config import Config

# NOTE: the newest revision is written here so that opening the store checks
# the schema with one query, without importing Alembic; a test keeps it equal
# to the head of the migration scripts.
HEAD_REVISION = "0002"
MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision."""

    from alembic import command

    config = alembic_config()
    with transaction(engine, write=True) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    with transaction(engine) as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def check_schema(engine: Engine) -> None:
    """Raise unless the schema is at the newest revision."""

    revision = current_revision(engine)
    if revision is None:
        raise SchemaOutOfDateError(
            "the database has no botwarden schema",
            hint="Run `botwarden init` to set up a new deployment.",
        )
    if revision != HEAD_REVISION:
        raise SchemaOutOfDateError(
            f"the database schema is at revision {revision}, this botwarden needs {HEAD_REVISION}"
        )
