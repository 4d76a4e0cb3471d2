"""Fixtures shared by the whole suite: homes, both database backends, canaries."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from botwarden.config import Settings, load_settings
from tests.helpers import postgres_schema_url

POSTGRES_ADMIN_URL = os.environ.get(
    "BOTWARDEN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(autouse=True)
def _quiet_structlog() -> Iterator[None]:
    """Library code logs through structlog; tests keep its output off the terminal."""

    structlog.reset_defaults()
    structlog.configure(
        processors=[structlog.processors.KeyValueRenderer()],
        logger_factory=structlog.ReturnLoggerFactory(),
    )
    yield
    structlog.reset_defaults()


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("BOTWARDEN_") and name != "BOTWARDEN_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A PostgreSQL database of the test session's own, dropped at the end."""

    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"botwarden_test_{secrets.token_hex(4)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        pytest.skip(f"no PostgreSQL reachable at {POSTGRES_ADMIN_URL}: {error.orig}")

    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """The database URL of an empty database, once per backend."""

    if request.param == "sqlite":
        yield ""
        return
    database = request.getfixturevalue("postgres_database")
    yield from postgres_schema_url(database)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def settings(home: Path, backend: str) -> Settings:
    """Settings of a fresh home on the backend under test."""

    environ = {"BOTWARDEN_HOME": str(home), "BOTWARDEN_DEPLOYMENT": "dev"}
    if backend:
        environ["BOTWARDEN_DATABASE_URL"] = backend
    return load_settings(environ)


@pytest.fixture
def sqlite_settings(home: Path) -> Settings:
    return load_settings({"BOTWARDEN_HOME": str(home), "BOTWARDEN_DEPLOYMENT": "dev"})


@pytest.fixture
def canary() -> str:
    """A value that must never appear anywhere but where it is revealed."""

    return f"CANARY-{secrets.token_hex(8)}-ü"


@pytest.fixture(autouse=True)
def audit_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real audit log for the test, installed as the process's log (record() fails closed)."""

    from botwarden import audit
    from botwarden.audit.log import WritingAuditLog
    from botwarden.audit.note import generate_signer
    from botwarden.audit.stores.files import FileAuditStore
    from botwarden.audit.writer import AuditWriter, CheckpointPolicy

    signer = generate_signer("botwarden.audit/tests")
    store = FileAuditStore(tmp_path_factory.mktemp("audit"))
    writer = AuditWriter(store, signer, signer.name, policy=CheckpointPolicy(100_000, 3600))
    writer.start()
    log = WritingAuditLog(writer)
    audit.install(log)

    yield log

    audit.uninstall()
    log.close()
