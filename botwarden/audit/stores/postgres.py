"""The PostgreSQL audit store: records and checkpoints in a database its role may only add to.

Several processes, on one host or many, may each run a writer against the same
database. Every append takes one transaction-scoped advisory lock, so appends
are serialised by the server and sequence numbers stay gap-free: a writer that
finds the log grown since it last looked learns which records it missed. The
tables and the role are provisioned by ``postgres_setup``; this module only
adds and reads rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from botwarden.audit.merkle import leaf_hash
from botwarden.audit.stores.interface import Appended, AuditStore, Encode, StoredCheckpoint
from botwarden.crypto import Sensitive
from botwarden.errors import AuditStoreFailedError, ConfigError, UnsafeConfigError
from botwarden.logs import get_logger

log = get_logger(__name__)

SCHEMA = "public"
SCHEMA_VERSION = 1
APPEND_LOCK_KEY = 0x626F_7477_6175_6431
"""The advisory lock every append takes ("botwaud1"); advisory locks are per database."""

CONNECT_TIMEOUT_SECONDS = 10
LOCK_TIMEOUT = "30s"
IDLE_IN_APPEND_TIMEOUT = "60s"
READ_BATCH = 1000
PROVISION_HINT = (
    "Provision the database with botwarden.audit.stores.postgres_setup "
    "(see docs/audit-postgres.md) and use the writer role's URL."
)

metadata = MetaData(schema=SCHEMA)
records_table = Table(
    "audit_records",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("record", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary, nullable=False),
)
checkpoints_table = Table(
    "audit_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("note", Text, nullable=False),
)
schema_version_table = Table(
    "audit_schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
)

# NOTE: a role that may change or remove rows defeats the point of an
# append-only store, so the writer refuses to open through one. Ownership
# counts too: an owner can grant itself anything.
_EXCESS_PRIVILEGES = text(
    """
    SELECT c.relname
    FROM pg_catalog.pg_class AS c
    WHERE c.oid IN (to_regclass('public.audit_records'), to_regclass('public.audit_checkpoints'))
      AND (has_table_privilege(c.oid, 'UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
           OR has_any_column_privilege(c.oid, 'UPDATE')
           OR pg_has_role(c.relowner, 'MEMBER'))
    UNION ALL
    SELECT 'schema public' WHERE has_schema_privilege('public', 'CREATE')
    UNION ALL
    SELECT 'database' WHERE has_database_privilege(current_database(), 'CREATE, TEMPORARY')
    """
)
_APPEND_TIMEOUTS = text(
    "SELECT set_config('lock_timeout', :lock, true),"
    " set_config('idle_in_transaction_session_timeout', :idle, true)"
)
_APPEND_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


class AuditStoreMovedError(AuditStoreFailedError):
    """Another writer appended first: the store now holds ``size`` records, not ``expected``."""

    code = "audit-store-moved"

    def __init__(self, size: int, expected: int) -> None:
        super().__init__(
            f"the audit store holds {size} records, not {expected}: another writer appended",
            hint=f"Read the records from {expected} on, then append after them.",
        )
        self.size = size
        self.expected = expected


class PostgresAuditStore(AuditStore):
    """Audit records in ``audit_records`` and checkpoints in ``audit_checkpoints``.

    ``open_writer`` never reports a busy writer: any number of processes may
    write, each append being serialised by the server.
    """

    def __init__(self, url: str, *, unsafe_allow_privileged_role: bool = False) -> None:
        self._url = _parse_url(url)
        self.name = self._url.render_as_string(hide_password=True)
        password = self._url.password
        self._password = Sensitive(str(password)) if password else None
        self._unsafe_allow_privileged_role = unsafe_allow_privileged_role
        self._engine = _create_engine(self._url)
        self._writing = False
        self._failed = False

    # Writing -----------------------------------------------------------------

    def open_writer(self) -> None:
        with (
            self._database_errors("opening the audit store"),
            self._engine.connect() as connection,
        ):
            self._check_schema(connection)
            self._check_privileges(connection)
            size = _end(connection)
        self._writing = True
        log.debug("audit_store_opened", store=self.name, size=size)

    def append(self, records: Sequence[bytes], first_seq: int) -> None:
        """Append at ``first_seq``, or raise ``AuditStoreMovedError`` if the store grew since."""

        self._append(first_seq, lambda _first: records, catch_up=False)

    def append_after(self, known: int, encode: Encode) -> Appended:
        """Append ``encode(first_seq)`` at the end, after the records others wrote since ``known``.

        ``encode`` is called once, while the append lock is held, with the
        sequence number the first of its records gets; it must be quick.
        """

        return self._append(known, encode, catch_up=True)

    def append_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        self._check_writable()
        row = {"size": checkpoint.size, "note": checkpoint.note}
        statement = pg_insert(checkpoints_table).values(row).on_conflict_do_nothing()

        with (
            self._database_errors("storing a checkpoint", stop=True),
            self._engine.begin() as connection,
        ):
            if connection.execute(statement).rowcount == 1:
                return
            stored = connection.scalar(
                select(checkpoints_table.c.note).where(checkpoints_table.c.size == checkpoint.size)
            )

        if stored != checkpoint.note:
            raise AuditStoreFailedError(
                f"a different checkpoint of size {checkpoint.size} is already stored",
                hint="Every writer of one audit database must sign with the same checkpoint "
                "key; if they do, the log has forked: run `botwarden audit verify`.",
            )

    def _append(self, known: int, encode: Encode, *, catch_up: bool) -> Appended:
        self._check_writable()
        with (
            self._database_errors("appending records", stop=True),
            self._engine.begin() as connection,
        ):
            # NOTE: what others wrote is fetched before the lock as well as
            # under it, so that a writer far behind does not hold the lock
            # while it downloads their records.
            missed = _records_between(connection, known, None) if catch_up else []
            connection.execute(
                _APPEND_TIMEOUTS, {"lock": LOCK_TIMEOUT, "idle": IDLE_IN_APPEND_TIMEOUT}
            )
            connection.execute(_APPEND_LOCK, {"key": APPEND_LOCK_KEY})

            end = _end(connection)
            seen = known + len(missed)
            if end < seen:
                raise AuditStoreFailedError(
                    f"the audit store holds {end} records, fewer than the {seen} already read"
                )
            if end > seen and not catch_up:
                raise AuditStoreMovedError(end, known)
            missed.extend(_records_between(connection, seen, end))

            first = known + len(missed)
            records = tuple(encode(first))
            if records:
                connection.execute(insert(records_table), _rows(records, first))
        return Appended(tuple(missed), first, records)

    def _check_writable(self) -> None:
        if not self._writing or self._failed:
            raise AuditStoreFailedError("the audit store is not open for writing")

    # Reading -----------------------------------------------------------------

    def size(self) -> int:
        with self._database_errors("counting records"), self._engine.connect() as connection:
            return _end(connection)

    def read(self, start: int = 0) -> Iterator[bytes]:
        query = (
            select(records_table.c.record)
            .where(records_table.c.seq >= start)
            .order_by(records_table.c.seq)
        )
        with self._database_errors("reading records"), self._engine.connect() as connection:
            streamed = connection.execution_options(yield_per=READ_BATCH).execute(query)
            for (data,) in streamed:
                yield bytes(data)

    def checkpoints(self) -> list[StoredCheckpoint]:
        query = select(checkpoints_table.c.size, checkpoints_table.c.note).order_by(
            checkpoints_table.c.size
        )
        with self._database_errors("reading checkpoints"), self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [StoredCheckpoint(size=int(size), note=str(note)) for size, note in rows]

    def close(self) -> None:
        self._engine.dispose()
        self._writing = False

    # The database --------------------------------------------------------------

    def _check_schema(self, connection: Connection) -> None:
        found = None
        if connection.scalar(text("SELECT to_regclass('public.audit_schema_version') IS NOT NULL")):
            found = connection.scalar(select(func.max(schema_version_table.c.version)))
        if found != SCHEMA_VERSION:
            raise AuditStoreFailedError(
                f"the audit database has schema version {found}, not {SCHEMA_VERSION}",
                hint=PROVISION_HINT,
            )

    def _check_privileges(self, connection: Connection) -> None:
        excess = sorted(str(name) for name in connection.scalars(_EXCESS_PRIVILEGES))
        if not excess:
            return
        if self._unsafe_allow_privileged_role:
            log.warning("audit_store_role_unsafe", store=self.name, may_change=excess)
            return
        raise UnsafeConfigError(
            f"the audit database role may change or create more than it must: {', '.join(excess)}",
            hint=PROVISION_HINT,
        )

    @contextmanager
    def _database_errors(self, doing: str, *, stop: bool = False) -> Iterator[None]:
        """Turn driver errors into ``AuditStoreFailedError``; with ``stop``, accept no more."""

        # NOTE: the driver's exception is not chained: SQLAlchemy's text of it
        # carries the statement's parameters (record bytes). The message keeps
        # only the SQLSTATE and the server's first line, with the password
        # masked should a server or driver ever echo it.
        try:
            yield
        except AuditStoreMovedError:
            raise
        except (DBAPIError, SQLAlchemyError) as error:
            self._failed = self._failed or stop
            detail = _describe(error, self._password)
            log.error("audit_store_failed", store=self.name, doing=doing, error=detail)
            raise AuditStoreFailedError(
                f"the audit database failed while {doing}: {detail}",
                hint="Check that the audit database is running and reachable, then restart "
                "botwarden; nothing was retried.",
            ) from None
        except BaseException:
            self._failed = self._failed or stop
            raise


def _create_engine(url: URL) -> Engine:
    # NOTE: READ COMMITTED gives each statement a fresh snapshot, so the size
    # read just after the advisory lock is taken includes every append that
    # held the lock before; REPEATABLE READ would hide them.
    engine = create_engine(
        url,
        isolation_level="READ COMMITTED",
        pool_size=2,
        max_overflow=4,
        pool_pre_ping=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )
    event.listen(engine, "connect", _check_durability)
    return engine


def _parse_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError("the audit database URL is not valid") from None
    if parsed.get_backend_name() != "postgresql" or parsed.get_driver_name() != "psycopg":
        raise ConfigError(
            "the audit database URL is not a PostgreSQL URL for psycopg",
            hint="Write it as postgresql+psycopg://ROLE:PASSWORD@HOST:PORT/DATABASE.",
        )
    return parsed


def _check_durability(dbapi_connection: Any, _record: Any) -> None:
    """Refuse a session whose commits could return before the WAL reaches the disk."""

    with dbapi_connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('fsync'), current_setting('synchronous_commit')")
        fsync, synchronous_commit = cursor.fetchone()
    dbapi_connection.rollback()

    if fsync != "on" or synchronous_commit == "off":
        dbapi_connection.close()
        raise AuditStoreFailedError(
            f"the audit database does not make commits durable "
            f"(fsync={fsync}, synchronous_commit={synchronous_commit})",
            hint="Turn fsync on for the server and leave synchronous_commit on for the "
            "audit role and database.",
        )


def _end(connection: Connection) -> int:
    """The next sequence number: one past the last record."""

    last = connection.scalar(select(func.max(records_table.c.seq)))
    return 0 if last is None else int(last) + 1


def _records_between(connection: Connection, start: int, stop: int | None) -> list[bytes]:
    query = select(records_table.c.seq, records_table.c.record).where(records_table.c.seq >= start)
    if stop is not None:
        query = query.where(records_table.c.seq < stop)
    rows = connection.execute(query.order_by(records_table.c.seq)).all()

    for offset, (seq, _data) in enumerate(rows):
        if seq != start + offset:
            raise AuditStoreFailedError(
                f"the audit store has no record {start + offset}: sequence numbers have a gap"
            )
    return [bytes(data) for _seq, data in rows]


def _rows(records: Sequence[bytes], first: int) -> list[dict[str, object]]:
    return [
        {"seq": first + offset, "record": data, "leaf_hash": leaf_hash(data)}
        for offset, data in enumerate(records)
    ]


def _describe(error: SQLAlchemyError, password: Sensitive[str] | None) -> str:
    """SQLSTATE and the first line of the server's or driver's message, password masked."""

    original = getattr(error, "orig", None)
    sqlstate = getattr(original, "sqlstate", None)
    diag = getattr(original, "diag", None)
    message = getattr(diag, "message_primary", None) or str(original or type(error).__name__)
    line = message.strip().splitlines()[0] if message.strip() else type(error).__name__
    if password is not None and password.reveal():
        line = line.replace(password.reveal(), str(password))
    return f"{line} (SQLSTATE {sqlstate})" if sqlstate else line
