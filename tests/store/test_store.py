"""The store on both backends: migrations match the models, SQLite is set up safely."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from botwarden.config import Settings
from botwarden.errors import SchemaOutOfDateError, StoreError
from botwarden.store import HEAD_REVISION, check_schema, create_engine, current_revision, upgrade


def test_head_revision_constant_matches_the_migration_scripts() -> None:
    from alembic.script import ScriptDirectory

    from botwarden.store.migrate import alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


def test_migrations_create_exactly_the_models_schema(settings: Settings) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from botwarden.schema import full_metadata

    engine = create_engine(settings.database_url)
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), full_metadata())
    engine.dispose()

    assert differences == []


def test_an_empty_database_is_reported_with_the_command_to_run(settings: Settings) -> None:
    engine = create_engine(settings.database_url)

    with pytest.raises(SchemaOutOfDateError, match="no botwarden schema"):
        check_schema(engine)
    upgrade(engine)
    check_schema(engine)
    assert current_revision(engine) == HEAD_REVISION
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys_in_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "store" / "botwarden.db"
    engine = create_engine(f"sqlite:///{path}")

    with engine.connect() as connection:
        journal = connection.execute(text("PRAGMA journal_mode")).scalar()
        foreign_keys = connection.execute(text("PRAGMA foreign_keys")).scalar()
    engine.dispose()

    assert (journal, foreign_keys) == ("wal", 1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/db", "unsupported database 'mysql'"),
        ("postgresql+psycopg2://postgres@localhost/db", "through psycopg 3"),
        ("not a url", "not valid"),
    ],
)
def test_unsupported_database_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        create_engine(url)


def test_an_unreachable_postgresql_is_a_store_error_without_the_password() -> None:
    engine = create_engine("postgresql+psycopg://bot:CANARY-pw@127.0.0.1:1/none?connect_timeout=2")

    with pytest.raises(StoreError, match="unavailable") as refused:
        check_schema(engine)
    engine.dispose()

    assert "CANARY" not in str(refused.value) + refused.value.hint
