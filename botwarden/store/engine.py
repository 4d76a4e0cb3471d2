"""Database engines: SQLite (WAL, foreign keys on) by default, PostgreSQL through psycopg."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as sqlalchemy_create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from botwarden.errors import StoreError

SQLITE_BUSY_TIMEOUT_MS = 10_000
WRITE_OPTION = "botwarden_write"


def create_engine(url: str) -> Engine:
    """An engine for ``url``, configured the way botwarden needs its database."""

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            "the database URL is not valid",
            hint="Use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB.",
        ) from None

    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, parsed.database)
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise StoreError(
                "PostgreSQL is reached through psycopg 3",
                hint="Write the URL as postgresql+psycopg://…",
            )
        return sqlalchemy_create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)

    raise StoreError(
        f"unsupported database {backend!r}", hint="botwarden stores data in SQLite or PostgreSQL."
    )


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        _create_private_file(Path(database))

    engine = sqlalchemy_create_engine(url, pool_size=10, max_overflow=20)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # NOTE: the driver's own transaction handling is turned off so that
        # BEGIN is issued by the listener below, which lets writers take the
        # write lock at once (BEGIN IMMEDIATE) instead of failing when a read
        # lock cannot be upgraded; readers keep a plain, concurrent BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _create_private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only, before SQLite creates it otherwise."""

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
    except OSError as error:
        raise StoreError(f"cannot create the database file {path}: {error.strerror}") from None
