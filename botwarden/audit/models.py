"""Tables of the audit capability in the application database: the witness copy of checkpoints."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import BigInteger, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from botwarden.store.base import Base, UTCDateTime

MAX_ORIGIN_LENGTH = 255


class AuditWitnessCheckpointRow(Base):
    """The newest checkpoint of one audit log, kept apart from the audit store as its witness."""

    __tablename__ = "audit_witness_checkpoints"

    origin: Mapped[str] = mapped_column(String(MAX_ORIGIN_LENGTH), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


audit_witness_table = cast(Table, AuditWitnessCheckpointRow.__table__)
