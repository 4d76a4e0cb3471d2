"""Transactions over an engine, with database errors translated into ``StoreError``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from botwarden.errors import StoreError
from botwarden.store.engine import WRITE_OPTION


@contextmanager
def transaction(engine: Engine, *, write: bool = False) -> Iterator[Connection]:
    """A connection inside one transaction, committed on success and rolled back on error.

    ``write=True`` takes SQLite's write lock at the start, so that two writers
    queue instead of failing halfway.
    """

    try:
        with engine.connect() as opened:
            connection = opened.execution_options(**{WRITE_OPTION: True}) if write else opened
            with connection.begin():
                yield connection
    except OperationalError as error:
        raise StoreError(
            "the database is unavailable or busy",
            hint="Check that the database server is running and reachable, then retry.",
        ) from error
    except DBAPIError as error:
        if error.connection_invalidated:
            raise StoreError("the database connection was lost; retry") from error
        raise
