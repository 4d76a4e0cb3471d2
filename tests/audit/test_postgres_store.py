"""The PostgreSQL audit store: provisioning, privileges the server enforces, many writers."""

from __future__ import annotations

import json
import os
import secrets
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool
from structlog.testing import capture_logs

from botwarden.audit.merkle import leaf_hash
from botwarden.audit.stores import postgres
from botwarden.audit.stores.interface import StoredCheckpoint
from botwarden.audit.stores.postgres import (
    APPEND_LOCK_KEY,
    AuditStoreMovedError,
    PostgresAuditStore,
)
from botwarden.audit.stores.postgres_setup import provision_audit_database
from botwarden.crypto import Sensitive
from botwarden.errors import AuditStoreFailedError, ConfigError, UnsafeConfigError

pytestmark = pytest.mark.postgres

ADMIN_URL = os.environ.get(
    "BOTWARDEN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TABLES = ("audit_records", "audit_checkpoints")


@dataclass(frozen=True)
class AuditDatabase:
    name: str
    writer_url: str
    password: str

    def admin_engine(self) -> Engine:
        url = make_url(ADMIN_URL).set(database=self.name)
        return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def writer_engine(self) -> Engine:
        return create_engine(self.writer_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


@pytest.fixture(scope="module")
def admin() -> Iterator[Engine]:
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        pytest.skip(f"no PostgreSQL reachable at {ADMIN_URL}: {error.orig}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def writer_role(admin: Engine) -> Iterator[str]:
    role = f"bw_audit_writer_{secrets.token_hex(4)}"
    yield role
    with admin.connect() as connection:
        connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


@pytest.fixture(scope="module")
def password() -> str:
    return f"CANARY-{secrets.token_hex(8)}"


def provisioned(admin: Engine, role: str, password: str) -> Iterator[AuditDatabase]:
    name = f"bw_audit_test_{secrets.token_hex(4)}"
    url = provision_audit_database(ADMIN_URL, name, role, Sensitive(password))
    yield AuditDatabase(name, url, password)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def database(admin: Engine, writer_role: str, password: str) -> Iterator[AuditDatabase]:
    """A freshly provisioned, empty audit database of this test's own."""

    yield from provisioned(admin, writer_role, password)


@pytest.fixture(scope="module")
def shared(admin: Engine, writer_role: str, password: str) -> Iterator[AuditDatabase]:
    """One provisioned database holding a record and a checkpoint, for tests that change nothing."""

    for database in provisioned(admin, writer_role, password):
        store = PostgresAuditStore(database.writer_url)
        store.open_writer()
        store.append([record(0)], 0)
        store.append_checkpoint(StoredCheckpoint(1, "note"))
        store.close()
        yield database


@pytest.fixture
def open_store(database: AuditDatabase) -> Iterator[Callable[[], PostgresAuditStore]]:
    """Opens writers on the test's database, as separate processes would, and closes them."""

    opened: list[PostgresAuditStore] = []

    def open_one() -> PostgresAuditStore:
        store = PostgresAuditStore(database.writer_url)
        store.open_writer()
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        store.close()


def record(seq: int, writer: str = "a", text_: str = "ok") -> bytes:
    return json.dumps(
        {"seq": seq, "text": text_, "writer": writer}, ensure_ascii=False, separators=(",", ":")
    ).encode()


def batch_of(count: int, writer: str, first: int) -> list[bytes]:
    return [record(first + offset, writer) for offset in range(count)]


def sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)


def assert_no_password(error: BaseException, password: str) -> None:
    hint = getattr(error, "hint", "")
    shown = [str(error), repr(error), hint, "".join(traceback.format_exception(error))]
    assert all(password not in text_ for text_ in shown)


# Provisioning and privileges ---------------------------------------------------


def test_writer_role_may_insert_and_select(database: AuditDatabase) -> None:
    data = record(0)
    engine = database.writer_engine()

    with engine.connect() as connection:
        connection.execute(
            text("INSERT INTO audit_records VALUES (0, :data, :hash)"),
            {"data": data, "hash": leaf_hash(data)},
        )
        connection.execute(text("INSERT INTO audit_checkpoints (size, note) VALUES (1, 'n')"))
        stored = connection.scalar(text("SELECT record FROM audit_records WHERE seq = 0"))
    engine.dispose()

    assert stored == data


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize(
    "statement",
    ["UPDATE {table} SET {column} = {column}", "DELETE FROM {table}", "TRUNCATE {table}"],
)
def test_server_refuses_writer_role_changing_rows(
    shared: AuditDatabase, table: str, statement: str
) -> None:
    column = "seq" if table == "audit_records" else "size"
    engine = shared.writer_engine()

    with engine.connect() as connection, pytest.raises(DBAPIError) as refused:
        connection.execute(text(statement.format(table=table, column=column)))
    with engine.connect() as connection:
        rows = connection.scalar(
            text(
                "SELECT (SELECT count(*) FROM audit_records)"
                " + (SELECT count(*) FROM audit_checkpoints)"
            )
        )
    engine.dispose()

    assert sqlstate(refused.value) == "42501"
    assert "permission denied" in str(refused.value.orig)
    assert rows == 2


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE public.shadow (x int)",
        "CREATE TEMPORARY TABLE audit_records (x int)",
        "CREATE SCHEMA shadow",
        "ALTER TABLE audit_records DROP CONSTRAINT audit_records_leaf_hash_check",
        "DROP TRIGGER audit_records_append_only ON audit_records",
        "ALTER TABLE audit_records DISABLE TRIGGER ALL",
        "ALTER TABLE audit_records OWNER TO CURRENT_USER",
        f"SET ROLE {make_url(ADMIN_URL).username}",
        "UPDATE audit_records SET record = record",
    ],
)
def test_server_refuses_writer_role_changing_the_schema(
    shared: AuditDatabase, statement: str
) -> None:
    engine = shared.writer_engine()

    with engine.connect() as connection, pytest.raises(DBAPIError) as refused:
        connection.execute(text(statement))
    engine.dispose()

    assert sqlstate(refused.value) == "42501"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_records SET seq = seq",
        "DELETE FROM audit_records",
        "TRUNCATE audit_checkpoints",
    ],
)
def test_triggers_refuse_changes_even_to_the_owner(shared: AuditDatabase, statement: str) -> None:
    engine = shared.admin_engine()

    with engine.connect() as connection, pytest.raises(DBAPIError, match="append-only"):
        connection.execute(text(statement))
    engine.dispose()


def test_server_refuses_a_leaf_hash_that_is_not_the_records(shared: AuditDatabase) -> None:
    engine = shared.writer_engine()

    with engine.connect() as connection, pytest.raises(DBAPIError) as refused:
        connection.execute(
            text("INSERT INTO audit_records VALUES (1, :data, :hash)"),
            {"data": record(1), "hash": leaf_hash(record(2))},
        )
    engine.dispose()

    assert sqlstate(refused.value) == "23514"


def test_provisioning_again_keeps_records_and_privileges(
    database: AuditDatabase, open_store: Callable[[], PostgresAuditStore], writer_role: str
) -> None:
    open_store().append([record(0)], 0)

    url = provision_audit_database(ADMIN_URL, database.name, writer_role, None)
    again = PostgresAuditStore(url)
    again.open_writer()
    stored = list(again.read())
    again.close()

    assert stored == [record(0)]
    assert database.password not in url


def test_provisioning_refuses_an_existing_privileged_role(shared: AuditDatabase) -> None:
    with pytest.raises(ConfigError, match="more rights than the audit writer"):
        provision_audit_database(ADMIN_URL, shared.name, "postgres", None)


@pytest.mark.parametrize("name", ["", "Audit", "a-b", 'x"; DROP DATABASE postgres; --', "a" * 64])
def test_provisioning_refuses_names_that_need_quoting(name: str) -> None:
    with pytest.raises(ConfigError, match="not a plain PostgreSQL name"):
        provision_audit_database(ADMIN_URL, name, "bw_audit_writer", None)


# Appending and reading -------------------------------------------------------


def test_records_round_trip_as_exact_bytes(
    database: AuditDatabase, open_store: Callable[[], PostgresAuditStore]
) -> None:
    records = [
        record(0, text_="plain"),
        record(1, text_="Grüße, 東京, 🔐, \u2028"),
        b'{"seq":2,"z":"\\u0000","a":"not sorted on purpose"}',
    ]
    store = open_store()

    store.append(records, 0)
    engine = database.admin_engine()
    with engine.connect() as connection:
        hashes = connection.execute(text("SELECT leaf_hash FROM audit_records ORDER BY seq"))
        stored_hashes = [bytes(row[0]) for row in hashes]
    engine.dispose()

    assert list(store.read()) == records
    assert store.size() == 3
    assert stored_hashes == [leaf_hash(data) for data in records]


def test_read_from_the_middle_streams_in_batches(
    open_store: Callable[[], PostgresAuditStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "READ_BATCH", 7)
    records = [record(seq) for seq in range(50)]
    store = open_store()
    store.append(records, 0)

    assert list(store.read(23)) == records[23:]
    assert list(store.read(50)) == []
    assert list(store.read()) == records


def test_append_before_open_writer_is_refused(shared: AuditDatabase) -> None:
    store = PostgresAuditStore(shared.writer_url)

    with pytest.raises(AuditStoreFailedError, match="not open for writing"):
        store.append([record(0)], 0)
    store.close()


def test_append_at_a_stale_size_reports_the_moved_size(
    open_store: Callable[[], PostgresAuditStore],
) -> None:
    first, second = open_store(), open_store()
    first.append([record(0), record(1)], 0)

    with pytest.raises(AuditStoreMovedError) as moved:
        second.append([record(0, "b")], 0)
    second.append([record(2, "b")], moved.value.size)

    assert moved.value.size == 2
    assert list(first.read()) == [record(0), record(1), record(2, "b")]


def test_append_after_returns_the_records_it_missed(
    open_store: Callable[[], PostgresAuditStore],
) -> None:
    first, second = open_store(), open_store()
    first.append([record(0), record(1)], 0)

    appended = second.append_after(0, lambda seq: [record(seq, "b"), record(seq + 1, "b")])

    assert appended.missed == (record(0), record(1))
    assert appended.first_seq == 2
    assert appended.records == (record(2, "b"), record(3, "b"))
    assert list(first.read()) == [record(0), record(1), record(2, "b"), record(3, "b")]


def test_a_forged_row_beyond_the_end_stops_appends_as_a_gap(
    database: AuditDatabase, open_store: Callable[[], PostgresAuditStore]
) -> None:
    store = open_store()
    store.append([record(0)], 0)
    engine = database.writer_engine()
    with engine.connect() as connection:
        connection.execute(
            text("INSERT INTO audit_records VALUES (5, :data, :hash)"),
            {"data": record(5), "hash": leaf_hash(record(5))},
        )
    engine.dispose()

    with pytest.raises(AuditStoreFailedError, match="no record 1: sequence numbers have a gap"):
        store.append_after(1, partial(batch_of, 1, "a"))


def test_concurrent_writers_leave_no_gap_and_no_duplicate(
    open_store: Callable[[], PostgresAuditStore],
) -> None:
    writers = {name: open_store() for name in ("a", "b", "c")}
    views: dict[str, list[bytes]] = {name: [] for name in writers}
    errors: list[BaseException] = []
    start = threading.Barrier(len(writers))

    def write(name: str) -> None:
        store, view = writers[name], views[name]
        try:
            start.wait()
            for batch in range(30):
                appended = store.append_after(len(view), partial(batch_of, 1 + batch % 3, name))
                view.extend(appended.missed + appended.records)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(name,)) for name in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = list(writers["a"].read())
    decoded = [json.loads(data) for data in stored]

    assert errors == []
    assert [item["seq"] for item in decoded] == list(range(len(stored)))
    assert len(stored) == len(writers) * sum(1 + batch % 3 for batch in range(30))
    assert all(view == stored[: len(view)] for view in views.values())


def test_concurrent_plain_appends_catch_up_after_a_move(
    open_store: Callable[[], PostgresAuditStore],
) -> None:
    writers = {name: open_store() for name in ("a", "b")}
    moves: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(writers))

    def write(name: str) -> None:
        store, size = writers[name], 0
        try:
            start.wait()
            for _ in range(25):
                while True:
                    try:
                        store.append([record(size, name)], size)
                        size += 1
                        break
                    except AuditStoreMovedError as moved:
                        moves.append(moved.size)
                        size += len(list(store.read(size)))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(name,)) for name in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    decoded = [json.loads(data) for data in writers["a"].read()]

    assert errors == []
    assert [item["seq"] for item in decoded] == list(range(50))
    assert sorted(item["writer"] for item in decoded) == ["a"] * 25 + ["b"] * 25


# Checkpoints -----------------------------------------------------------------


def test_checkpoints_round_trip_in_size_order(open_store: Callable[[], PostgresAuditStore]) -> None:
    store = open_store()
    notes = {3: "origin\n3\nroot\n\n— key sig\n", 1: "origin\n1\nroot ü\n"}

    for size, note in notes.items():
        store.append_checkpoint(StoredCheckpoint(size, note))
    store.append_checkpoint(StoredCheckpoint(3, notes[3]))

    assert store.checkpoints() == [StoredCheckpoint(1, notes[1]), StoredCheckpoint(3, notes[3])]


def test_a_different_checkpoint_of_a_stored_size_is_refused(
    open_store: Callable[[], PostgresAuditStore],
) -> None:
    first, second = open_store(), open_store()
    first.append_checkpoint(StoredCheckpoint(5, "one note"))

    with pytest.raises(AuditStoreFailedError, match="different checkpoint of size 5"):
        second.append_checkpoint(StoredCheckpoint(5, "another note"))
    assert first.checkpoints() == [StoredCheckpoint(5, "one note")]


# Failures --------------------------------------------------------------------


def test_a_stopped_database_fails_without_showing_the_password() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    password = f"CANARY-{secrets.token_hex(8)}"
    store = PostgresAuditStore(f"postgresql+psycopg://writer:{password}@127.0.0.1:{port}/audit")

    with capture_logs() as logs, pytest.raises(AuditStoreFailedError, match="opening") as failed:
        store.open_writer()
    store.close()

    assert_no_password(failed.value, password)
    assert password not in str(logs)
    assert password not in store.name


def test_a_dropped_connection_stops_the_store_without_showing_the_password(
    database: AuditDatabase, open_store: Callable[[], PostgresAuditStore]
) -> None:
    store = open_store()
    failures: list[BaseException] = []
    engine = database.admin_engine()

    def append() -> None:
        try:
            store.append([record(0)], 0)
        except BaseException as error:
            failures.append(error)

    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": APPEND_LOCK_KEY})
        thread = threading.Thread(target=append)
        thread.start()
        waiting = _backend_waiting_for_the_lock(connection)
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": waiting})
        thread.join()
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": APPEND_LOCK_KEY})
    engine.dispose()

    assert len(failures) == 1
    assert isinstance(failures[0], AuditStoreFailedError)
    assert "appending records" in str(failures[0])
    assert_no_password(failures[0], database.password)
    with pytest.raises(AuditStoreFailedError, match="not open for writing"):
        store.append([record(0)], 0)


def _backend_waiting_for_the_lock(connection: Connection) -> int:
    query = text(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        pid = connection.scalar(query)
        if pid is not None:
            return int(pid)
        time.sleep(0.02)
    raise AssertionError("no append waited for the lock")


def test_a_session_without_synchronous_commit_is_refused(shared: AuditDatabase) -> None:
    store = PostgresAuditStore(f"{shared.writer_url}?options=-csynchronous_commit%3Doff")

    with pytest.raises(AuditStoreFailedError, match="synchronous_commit=off"):
        store.open_writer()
    store.close()


def test_a_role_that_may_change_rows_is_refused(shared: AuditDatabase) -> None:
    superuser = make_url(ADMIN_URL).set(database=shared.name).render_as_string(False)
    store = PostgresAuditStore(superuser)

    with pytest.raises(UnsafeConfigError, match="audit_checkpoints, audit_records"):
        store.open_writer()
    store.close()


def test_the_unsafe_escape_hatch_warns_each_time(shared: AuditDatabase) -> None:
    superuser = make_url(ADMIN_URL).set(database=shared.name).render_as_string(False)
    store = PostgresAuditStore(superuser, unsafe_allow_privileged_role=True)

    with capture_logs() as logs:
        store.open_writer()
        store.open_writer()
    store.close()

    warnings = [entry for entry in logs if entry["log_level"] == "warning"]
    assert [entry["event"] for entry in warnings] == ["audit_store_role_unsafe"] * 2


def test_a_database_without_the_tables_is_refused(admin: Engine) -> None:
    store = PostgresAuditStore(ADMIN_URL)

    with pytest.raises(AuditStoreFailedError, match="schema version None") as refused:
        store.open_writer()
    store.close()

    assert "postgres_setup" in refused.value.hint


def test_the_name_hides_the_password(shared: AuditDatabase) -> None:
    store = PostgresAuditStore(shared.writer_url)

    assert shared.password not in store.name
    assert store.name.endswith(f":***@{make_url(shared.writer_url).host}:5432/{shared.name}")


@pytest.mark.parametrize("url", ["sqlite:///audit.db", "postgresql+psycopg2://u@h/d", "not a url"])
def test_only_psycopg_urls_are_accepted(url: str) -> None:
    with pytest.raises(ConfigError):
        PostgresAuditStore(url)
