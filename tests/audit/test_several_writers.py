"""Several processes, one log: a CLI beside a running writer, and writers sharing PostgreSQL."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from botwarden.audit.log import open_audit_log
from botwarden.audit.note import generate_signer
from botwarden.audit.records import prepare_record
from botwarden.audit.redaction import SecretRedactor
from botwarden.audit.stores.files import FileAuditStore
from botwarden.audit.stores.postgres import PostgresAuditStore
from botwarden.audit.verify import verify_log
from botwarden.audit.writer import AuditWriter, CheckpointPolicy
from botwarden.crypto import Sensitive
from botwarden.vault import initialise
from tests.audit.conftest import home_settings

ADMIN_URL = os.environ.get(
    "BOTWARDEN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def test_a_cli_run_beside_a_serving_writer_hands_its_records_over(tmp_path: Path) -> None:
    settings = home_settings(tmp_path / "home")
    initialise(settings)
    serving = open_audit_log(settings, serve=True)
    environ = {"PATH": os.environ["PATH"], "BOTWARDEN_HOME": str(settings.home)}

    try:
        result = subprocess.run(
            [sys.executable, "-m", "botwarden.cli.main", "secret", "put", "dev:app/token"],
            input='{"token": "CANARY-over-the-socket"}',
            capture_output=True,
            text=True,
            env=environ,
            timeout=60,
            check=False,
        )
        actions = [json.loads(data)["action"] for data in FileAuditStore(settings.audit_dir).read()]
    finally:
        serving.close()

    assert result.returncode == 0, result.stderr
    assert actions == ["secret.write"]
    assert b"CANARY" not in (settings.audit_dir / "records.jsonl").read_bytes()


@pytest.fixture
def audit_database() -> Iterator[str]:
    from botwarden.audit.stores.postgres_setup import provision_audit_database

    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect():
            pass
    except OperationalError as error:
        pytest.skip(f"no PostgreSQL reachable at {ADMIN_URL}: {error.orig}")
    name, role = f"bw_audit_w_{secrets.token_hex(4)}", f"bw_audit_w_{secrets.token_hex(4)}"

    yield provision_audit_database(ADMIN_URL, name, role, Sensitive(secrets.token_hex(12)))

    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    admin.dispose()


def test_writers_of_several_processes_share_one_gap_free_postgresql_log(
    audit_database: str,
) -> None:
    signer = generate_signer("botwarden.audit/shared")
    writers = [
        AuditWriter(
            PostgresAuditStore(audit_database),
            signer,
            signer.name,
            policy=CheckpointPolicy(50, 3600),
        )
        for _ in range(3)
    ]
    for writer in writers:
        writer.start()
    seqs: list[int] = []
    lock = threading.Lock()

    def work(writer: AuditWriter, worker: int) -> None:
        for number in range(60):
            record = prepare_record(
                "test.shared", actor=f"bot:w{worker}", target=str(number), redactor=SecretRedactor()
            )
            seq = writer.append(record)
            with lock:
                seqs.append(seq)

    threads = [
        threading.Thread(target=work, args=(writers[worker % 3], worker)) for worker in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for writer in writers:
        writer.close()

    store = PostgresAuditStore(audit_database)
    stored = [json.loads(data)["seq"] for data in store.read()]
    report = verify_log(store, signer.verifier())
    store.close()

    assert sorted(seqs) == list(range(360))
    assert stored == list(range(360))
    assert report.size == 360
    assert report.checkpoints >= 3


def test_the_cli_keeps_its_audit_log_in_postgresql_when_told(
    tmp_path: Path, audit_database: str
) -> None:
    settings = home_settings(tmp_path / "home")
    environ = {
        "PATH": os.environ["PATH"],
        "BOTWARDEN_HOME": str(settings.home),
        "BOTWARDEN_DEPLOYMENT": "dev",
        "BOTWARDEN_AUDIT_DATABASE_URL": audit_database,
    }

    def botwarden(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "botwarden.cli.main", *args],
            input=stdin, capture_output=True, text=True, env=environ, timeout=60, check=False,
        )  # fmt: skip

    initialised = botwarden("init")
    written = botwarden("secret", "put", "prod:erp/login", stdin='{"password": "pg-audit"}')
    verified = botwarden("audit", "verify", "--json")

    assert initialised.returncode == 0, initialised.stderr
    assert written.returncode == 0, written.stderr
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["records"] == 2
    assert not (settings.audit_dir / "records.jsonl").exists()
