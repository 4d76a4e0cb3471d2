"""The application database as the default witness: the newest checkpoint of each audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import SQLAlchemyError

from botwarden.audit.models import MAX_ORIGIN_LENGTH, audit_witness_table
from botwarden.audit.witnesses.interface import Witness, WitnessError
from botwarden.errors import StoreError
from botwarden.logs import get_logger
from botwarden.store import transaction, utcnow

log = get_logger(__name__)

table = audit_witness_table


class DatabaseWitness(Witness):
    """The newest checkpoint per log origin, in the application database.

    The stored size only ever grows: an older checkpoint never replaces a
    newer one, so a rolled-back audit store cannot drag its witness back.
    With ``owns_engine`` the witness disposes of the engine when closed.
    """

    name = "database"

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime] = utcnow,
        owns_engine: bool = False,
    ) -> None:
        self.engine = engine
        self._clock = clock
        self._owns_engine = owns_engine

    def publish(self, origin: str, size: int, note: str) -> None:
        if len(origin) > MAX_ORIGIN_LENGTH:
            raise WitnessError(
                f"the database witness keeps origins of {MAX_ORIGIN_LENGTH} characters at most"
            )

        values = {"origin": origin, "size": size, "note": note, "updated_at": self._clock()}
        try:
            with transaction(self.engine, write=True) as connection:
                kept = connection.execute(_raise_only(connection, values)).first() is not None
                held = None if kept else self._held_size(connection, origin)
        except (StoreError, SQLAlchemyError) as error:
            raise WitnessError(
                f"the database witness cannot keep the checkpoint: {_reason(error)}"
            ) from error

        if held is not None and held > size:
            log.warning(
                "audit_witness_older_checkpoint",
                witness=self.name,
                origin=origin,
                held_size=held,
                offered_size=size,
            )

    def latest(self, origin: str) -> str | None:
        statement = select(table.c.note).where(table.c.origin == origin)
        try:
            with transaction(self.engine) as connection:
                note: str | None = connection.execute(statement).scalar_one_or_none()
        except (StoreError, SQLAlchemyError) as error:
            raise WitnessError(f"the database witness cannot be read: {_reason(error)}") from error
        return note

    def _held_size(self, connection: Connection, origin: str) -> int | None:
        statement = select(table.c.size).where(table.c.origin == origin)
        size: int | None = connection.execute(statement).scalar_one_or_none()
        return size

    def close(self) -> None:
        if self._owns_engine:
            self.engine.dispose()


def _raise_only(connection: Connection, values: dict[str, Any]) -> Any:
    """An INSERT that, for a known origin, updates the row only if the new size is larger.

    It returns a row when it inserted or updated one, and none when it kept the stored row.
    """

    dialect = connection.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgres_insert

        statement: Any = postgres_insert(table).values(values)
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(table).values(values)
    else:
        raise WitnessError(f"the database witness does not support {dialect}")
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[table.c.origin],
        set_={"size": excluded.size, "note": excluded.note, "updated_at": excluded.updated_at},
        where=table.c.size < excluded.size,
    ).returning(table.c.size)


def _reason(error: Exception) -> str:
    # NOTE: a driver's message can quote SQL parameters; only the kind is shown.
    if isinstance(error, StoreError):
        return error.message
    return type(error).__name__
