"""The contract of an audit export format and the error every format raises.

An exporter turns one stored record into one line of text for another system
(a SIEM, a syslog collector). It is handed the record twice: parsed, and as
the canonical bytes it was stored as, so that a format can carry the original
exactly::

    Exporter.line(record, data, context)   one line, without its line break

``ExportError`` is the base of what exporting raises.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from botwarden.audit.records import OUTCOMES
from botwarden.errors import AuditError

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_TIME_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


class ExportError(AuditError):
    """A record could not be exported: it is malformed, or the format is unknown."""

    code = "audit-export-failed"
    default_hint = "Verify the audit log; a record that does not parse was altered or torn."


@dataclass(frozen=True)
class ExportContext:
    """What every line of an export shares: the host the records come from, the app name."""

    hostname: str
    app_name: str = "botwarden"


class Exporter(ABC):
    """One export format."""

    name: ClassVar[str]

    @abstractmethod
    def line(self, record: dict[str, Any], data: bytes, context: ExportContext) -> str:
        """The export of one record as a single line of text; raise ``ExportError``."""


def check_members(record: dict[str, Any]) -> None:
    """Raise ``ExportError`` unless each member of a parsed record has the type records store."""

    actor = record["actor"]
    optional_text = (record["request_id"], record["run_id"], record["source"])
    well_typed = (
        isinstance(record["seq"], int)
        and not isinstance(record["seq"], bool)
        and isinstance(record["action"], str)
        and isinstance(record["target"], str)
        and record["outcome"] in OUTCOMES
        and isinstance(record["redacted"], bool)
        and isinstance(record["details"], dict)
        and isinstance(actor, dict)
        and sorted(actor) == ["id", "kind"]
        and all(isinstance(value, str) for value in actor.values())
        and all(value is None or isinstance(value, str) for value in optional_text)
    )
    if not well_typed:
        raise ExportError("a record has a member of the wrong type")
    record_time(record)


def record_time(record: dict[str, Any]) -> datetime:
    """The record's time, which records store as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""

    text = record["time"]
    try:
        if not isinstance(text, str) or not _TIME_SHAPE.fullmatch(text):
            raise ValueError(text)
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise ExportError(f"record {record['seq']} has a malformed time") from None
