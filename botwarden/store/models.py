"""Tables shared by every capability: the environments of the deployment."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import CursorResult, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from botwarden.store.base import Base, UTCDateTime


class EnvironmentRow(Base):
    """One environment (P02): dev, test, prod, or one an admin added."""

    __tablename__ = "environments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    tier: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


environments_table = cast(Table, EnvironmentRow.__table__)


def inserted_id(result: CursorResult[object]) -> int:
    """The primary key of the row an INSERT just added."""

    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the INSERT returned no primary key")
    return int(key[0])
