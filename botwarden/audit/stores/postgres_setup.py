"""Provisioning the PostgreSQL audit database: its tables, and a role that may only add and read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from botwarden.audit.stores.postgres import SCHEMA_VERSION
from botwarden.crypto import Sensitive
from botwarden.errors import ConfigError, StoreError
from botwarden.logs import get_logger

log = get_logger(__name__)

DRIVER = "postgresql+psycopg"
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_VERIFIER = re.compile(r"SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+")

TABLES = (
    """
    CREATE TABLE IF NOT EXISTS public.audit_schema_version (
        version integer PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS public.audit_records (
        seq bigint PRIMARY KEY CHECK (seq >= 0),
        record bytea NOT NULL,
        leaf_hash bytea NOT NULL CHECK (leaf_hash = sha256(decode('00', 'hex') || record))
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS public.audit_checkpoints (
        size bigint PRIMARY KEY CHECK (size >= 0),
        note text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE OR REPLACE FUNCTION public.audit_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $body$
    BEGIN
        RAISE EXCEPTION USING
            MESSAGE = 'the audit tables are append-only: ' || TG_OP || ' on ' || TG_TABLE_NAME;
    END
    $body$
    """,
)
APPEND_ONLY_TABLES = ("audit_records", "audit_checkpoints")


def provision_audit_database(
    admin_url: str, database: str, writer_role: str, writer_password: Sensitive[str] | None
) -> str:
    """Create ``database``, its tables and ``writer_role``; return the URL the writer uses.

    Run by an administrator (a role with CREATEDB and CREATEROLE, or a
    superuser); running it again is harmless. Steps:

    (1) create the role, LOGIN and nothing more, or check an existing one;
    (2) create the database, owned by the administrator, not by the role;
    (3) create the tables and the triggers that refuse changes even to their owner;
    (4) take every privilege from PUBLIC and the role, then grant the role
        CONNECT, USAGE on the schema and SELECT, INSERT on the two tables.

    NOTE: the password is sent only as a SCRAM-SHA-256 verifier computed
    here, so that it appears in no statement a server could log.
    """

    _check_name(database, "database")
    _check_name(writer_role, "role")
    admin = _parse_admin_url(admin_url)
    verifier = _verifier(writer_password) if writer_password is not None else None

    with _connection(admin, autocommit=True) as connection:
        # (1)
        _create_or_check_role(connection, writer_role, verifier)

        # (2)
        exists = connection.scalar(
            text("SELECT 1 FROM pg_catalog.pg_database WHERE datname = :name"), {"name": database}
        )
        if not exists:
            connection.exec_driver_sql(f"CREATE DATABASE {_quote(database)}")

    with _connection(admin.set(database=database), autocommit=False) as connection:
        # (3)
        _create_tables(connection)

        # (4)
        for statement in _grants(database, writer_role):
            connection.exec_driver_sql(statement)

    log.info("audit_database_provisioned", database=database, role=writer_role)
    password = writer_password.reveal() if writer_password is not None else None
    writer_url = URL.create(
        DRIVER,
        username=writer_role,
        password=password,
        host=admin.host,
        port=admin.port,
        database=database,
        query=admin.query,
    )
    return writer_url.render_as_string(hide_password=False)


def _create_or_check_role(connection: Connection, role: str, verifier: str | None) -> None:
    password = f" PASSWORD '{verifier}'" if verifier is not None else ""
    found = connection.execute(
        text(
            "SELECT r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication"
            " OR r.rolbypassrls OR r.rolname = current_user"
            " OR EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members AS m WHERE m.member = r.oid)"
            " FROM pg_catalog.pg_roles AS r WHERE r.rolname = :name"
        ),
        {"name": role},
    ).first()

    if found is None:
        connection.exec_driver_sql(
            f"CREATE ROLE {_quote(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
            f" NOINHERIT NOREPLICATION NOBYPASSRLS{password}"
        )
        return
    if found[0]:
        raise ConfigError(
            f"the role {role!a} already exists with more rights than the audit writer may have",
            hint="Choose a new role name; the audit writer's role must be able to do "
            "nothing but log in, insert and select.",
        )
    connection.exec_driver_sql(f"ALTER ROLE {_quote(role)} LOGIN NOINHERIT{password}")


def _create_tables(connection: Connection) -> None:
    for statement in TABLES:
        connection.exec_driver_sql(statement)
    for table in APPEND_ONLY_TABLES:
        trigger = _quote(f"{table}_append_only")
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger} ON public.{table}")
        connection.exec_driver_sql(
            f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE OR TRUNCATE ON public.{table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION public.audit_refuse_change()"
        )

    connection.execute(
        text(
            "INSERT INTO public.audit_schema_version (version) VALUES (:version)"
            " ON CONFLICT (version) DO NOTHING"
        ),
        {"version": SCHEMA_VERSION},
    )
    newest = connection.scalar(text("SELECT max(version) FROM public.audit_schema_version"))
    if newest != SCHEMA_VERSION:
        raise StoreError(
            f"the audit database has schema version {newest}; this botwarden knows "
            f"{SCHEMA_VERSION}",
            hint="Provision it with the botwarden version that created it.",
        )


def _grants(database: str, role: str) -> list[str]:
    """The privilege statements of step (4), in order; also shown in docs/audit-postgres.md."""

    tables = ", ".join(f"public.{table}" for table in (*APPEND_ONLY_TABLES, "audit_schema_version"))
    database, role = _quote(database), _quote(role)
    return [
        f"REVOKE ALL ON DATABASE {database} FROM PUBLIC, {role}",
        f"GRANT CONNECT ON DATABASE {database} TO {role}",
        f"REVOKE ALL ON SCHEMA public FROM PUBLIC, {role}",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"REVOKE ALL ON {tables} FROM PUBLIC, {role}",
        f"REVOKE ALL ON FUNCTION public.audit_refuse_change() FROM PUBLIC, {role}",
        f"GRANT SELECT, INSERT ON public.audit_records, public.audit_checkpoints TO {role}",
        f"GRANT SELECT ON public.audit_schema_version TO {role}",
    ]


@contextmanager
def _connection(url: URL, *, autocommit: bool) -> Iterator[Connection]:
    """A connection as the administrator; with ``autocommit=False``, one transaction."""

    engine = create_engine(
        url,
        isolation_level="AUTOCOMMIT" if autocommit else "READ COMMITTED",
        poolclass=NullPool,
        connect_args={"connect_timeout": 10},
    )
    try:
        with engine.connect() as connection:
            if autocommit:
                yield connection
            else:
                with connection.begin():
                    yield connection
    except SQLAlchemyError as error:
        original = getattr(error, "orig", None)
        diag = getattr(original, "diag", None)
        message = getattr(diag, "message_primary", None) or str(original or error)
        line = message.strip().splitlines()[0]
        if url.password:
            line = line.replace(str(url.password), "**********")
        state = getattr(original, "sqlstate", None)
        raise StoreError(
            f"provisioning the audit database failed: {line}"
            + (f" (SQLSTATE {state})" if state else ""),
            hint="The administrator's role needs CREATEDB and CREATEROLE, or superuser.",
        ) from None
    finally:
        engine.dispose()


def _parse_admin_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError("the administrator's database URL is not valid") from None
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError("the audit database is provisioned on PostgreSQL only")
    return parsed.set(drivername=DRIVER)


def _verifier(password: Sensitive[str]) -> str:
    from botwarden.vault.rotation.scram import scram_sha256_verifier

    verifier = scram_sha256_verifier(password)
    if not _VERIFIER.fullmatch(verifier):
        raise ValueError("a SCRAM verifier has an unexpected form")
    return verifier


def _check_name(name: str, what: str) -> None:
    if not _NAME.fullmatch(name):
        raise ConfigError(
            f"the {what} name {name!a} is not a plain PostgreSQL name",
            hint="Use 1 to 63 lower-case letters, digits and underscores, not starting "
            "with a digit.",
        )


def _quote(name: str) -> str:
    """A name already checked by ``_check_name``, quoted as an identifier."""

    return f'"{name}"'
