"""Audit records: who did what to which target, with what outcome, as canonical JSON bytes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from time import time_ns
from typing import Any, Literal

from botwarden.audit.canonical import canonical_json
from botwarden.audit.redaction import Sanitiser, SecretRedactor

Outcome = Literal["allowed", "denied", "failed"]
ACTOR_KINDS = ("user", "bot", "runner", "run", "system")
OUTCOMES: tuple[Outcome, ...] = ("allowed", "denied", "failed")

# The members of a record, in canonical (sorted) order. Those before "seq" and
# those after it are encoded when a record is prepared, so that the writer only
# splices in the sequence number.
FIELDS = (
    "action",
    "actor",
    "details",
    "outcome",
    "redacted",
    "request_id",
    "run_id",
    "seq",
    "source",
    "target",
    "time",
)


@dataclass(frozen=True)
class Actor:
    """Who acted: a kind (user, bot, runner, run, system) and an id."""

    kind: str
    id: str

    @classmethod
    def parse(cls, text: str) -> Actor:
        """``kind:id``; a bare id is the system acting on its own behalf."""

        kind, separator, identifier = text.partition(":")
        if separator and kind in ACTOR_KINDS:
            return cls(kind, identifier)
        return cls("system", text)

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class PreparedRecord:
    """A record encoded but for its sequence number."""

    head: bytes
    tail: bytes

    def encode(self, seq: int) -> bytes:
        return b"{" + self.head + b',"seq":' + str(seq).encode("ascii") + b"," + self.tail + b"}"


def prepare_record(
    action: str,
    *,
    actor: Actor | str,
    target: str,
    outcome: Outcome = "allowed",
    details: Mapping[str, Any] | None = None,
    request_id: str | None = None,
    run_id: str | None = None,
    source: str | None = None,
    time: datetime | None = None,
    redactor: SecretRedactor,
) -> PreparedRecord:
    """Sanitise and encode a record. Never raises for what a caller passes in details."""

    return prepare_members(
        action,
        actor=actor,
        target=target,
        outcome=outcome,
        details=details,
        request_id=request_id,
        run_id=run_id,
        source=source,
        time=time,
        redactor=redactor,
    )[0]


def prepare_members(
    action: str,
    *,
    actor: Actor | str,
    target: str,
    outcome: Outcome = "allowed",
    details: Mapping[str, Any] | None = None,
    request_id: str | None = None,
    run_id: str | None = None,
    source: str | None = None,
    time: datetime | None = None,
    redactor: SecretRedactor,
) -> tuple[PreparedRecord, dict[str, Any]]:
    """The prepared record and its sanitised members (for a log line that mirrors it)."""

    sanitiser = Sanitiser(redactor)
    who = actor if isinstance(actor, Actor) else Actor.parse(actor)

    members: dict[str, Any] = {
        "action": sanitiser.text(action),
        "actor": {"kind": who.kind, "id": sanitiser.text(who.id)},
        "details": sanitiser.value(dict(details or {})),
        "outcome": outcome if outcome in OUTCOMES else "failed",
        "request_id": None if request_id is None else sanitiser.text(request_id),
        "run_id": None if run_id is None else sanitiser.text(run_id),
        "source": None if source is None else sanitiser.text(source),
        "target": sanitiser.text(target),
        "time": _timestamp(time),
        "seq": _SEQ_PLACEHOLDER,
    }
    members["redacted"] = sanitiser.redacted

    # The record is encoded once with a placeholder sequence number and cut
    # there. The last occurrence is the top-level member: only string members
    # follow it, and inside a JSON string a quote is always escaped.
    encoded = (_plain_json if sanitiser.plain else canonical_json)(members)
    cut = encoded.rindex(_SEQ_MARKER)
    prepared = PreparedRecord(encoded[1:cut], encoded[cut + len(_SEQ_MARKER) : -1])
    return prepared, members


_SEQ_PLACEHOLDER = -1
_SEQ_MARKER = b',"seq":-1,'
_second_cache: list[tuple[int, str]] = [(-1, "")]


def _timestamp(when: datetime | None) -> str:
    """RFC 3339 UTC with microseconds; the date and time of day are formatted once a second."""

    if when is not None:
        return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    now = time_ns()
    second, micros = divmod(now // 1000, 1_000_000)
    cached_second, prefix = _second_cache[0]
    if cached_second != second:
        prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second_cache[0] = (second, prefix)
    return f"{prefix}.{micros:06d}Z"


_plain_encoder = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode


def _plain_json(value: Any) -> bytes:
    """RFC 8785 bytes through the C encoder, for values without floats or astral names.

    For such values the two agree exactly: integers, literals and strings are
    written alike (both escape only quotes, backslashes and control characters),
    and sorting by code point equals sorting by UTF-16 code units within the
    Basic Multilingual Plane.
    """

    return _plain_encoder(value).encode("utf-8")


class RecordFormatError(ValueError):
    """Stored bytes that are not a well-formed canonical audit record."""


def parse_record(data: bytes) -> dict[str, Any]:
    """The record in ``data``, checked to be canonical and complete."""

    try:
        record = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise RecordFormatError("not valid JSON") from None
    if not isinstance(record, dict) or tuple(sorted(record)) != FIELDS:
        raise RecordFormatError("not an audit record (members missing or unknown)")
    if canonical_json(record) != data:
        raise RecordFormatError("not in canonical form")
    return record
