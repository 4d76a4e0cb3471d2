"""Recording security-relevant actions in the tamper-evident audit log (P10).

Every capability calls :func:`record`. It fails closed: when the log cannot
record an action, it raises ``AuditUnavailableError`` and the caller must not
carry the action out. The log of the process is opened by the CLI or the
server with :func:`open_audit_log` and made current with :func:`install`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botwarden.audit.records import Actor, Outcome, PreparedRecord, prepare_members
from botwarden.audit.redaction import SecretRedactor
from botwarden.errors import AuditError, AuditUnavailableError
from botwarden.logs import get_logger

if TYPE_CHECKING:
    from botwarden.audit.log import AuditLog

__all__ = [
    "Actor",
    "Outcome",
    "current",
    "install",
    "record",
    "record_async",
    "register_secret",
    "uninstall",
]


class _Installed:
    """The log this process records to; one per process."""

    log: AuditLog | None = None
    lock = threading.Lock()


_redactor = SecretRedactor()


def install(log: AuditLog) -> None:
    """Make ``log`` the one this process records to."""

    with _Installed.lock:
        _Installed.log = log


def uninstall() -> AuditLog | None:
    """Stop recording to the current log and return it (the caller closes it)."""

    with _Installed.lock:
        previous, _Installed.log = _Installed.log, None
    return previous


def current() -> AuditLog | None:
    return _Installed.log


def register_secret(value: str) -> None:
    """From now on, replace ``value`` by a marker wherever it would enter a record."""

    _redactor.register(value)


def record(
    action: str,
    *,
    actor: Actor | str,
    target: str,
    outcome: Outcome = "allowed",
    details: Mapping[str, Any] | None = None,
    request_id: str | None = None,
    run_id: str | None = None,
    source: str | None = None,
) -> int:
    """Record that ``actor`` did ``action`` on ``target``; return the record's sequence number.

    Raises ``AuditUnavailableError`` when the record cannot be made durable.
    """

    prepared, members = _prepare(
        action, actor, target, outcome, details, request_id, run_id, source
    )
    log = _installed_log()
    try:
        seq = log.append(prepared)
    except AuditUnavailableError:
        raise
    except AuditError as error:
        raise AuditUnavailableError(error.message) from None
    _mirror(seq, members)
    return seq


async def record_async(
    action: str,
    *,
    actor: Actor | str,
    target: str,
    outcome: Outcome = "allowed",
    details: Mapping[str, Any] | None = None,
    request_id: str | None = None,
    run_id: str | None = None,
    source: str | None = None,
) -> int:
    """:func:`record` for a coroutine: the event loop goes on while the record is written."""

    import asyncio

    prepared, members = _prepare(
        action, actor, target, outcome, details, request_id, run_id, source
    )
    log = _installed_log()
    append_async = getattr(log, "append_async", None)
    try:
        if append_async is not None:
            seq = int(await append_async(prepared))
        else:
            seq = await asyncio.to_thread(log.append, prepared)
    except AuditUnavailableError:
        raise
    except AuditError as error:
        raise AuditUnavailableError(error.message) from None
    _mirror(seq, members)
    return seq


def _prepare(
    action: str,
    actor: Actor | str,
    target: str,
    outcome: Outcome,
    details: Mapping[str, Any] | None,
    request_id: str | None,
    run_id: str | None,
    source: str | None,
) -> tuple[PreparedRecord, dict[str, Any]]:
    return prepare_members(
        action,
        actor=actor,
        target=target,
        outcome=outcome,
        details=details,
        request_id=request_id,
        run_id=run_id,
        source=source,
        redactor=_redactor,
    )


def _installed_log() -> AuditLog:
    log = _Installed.log
    if log is None:
        raise AuditUnavailableError("no audit log is open in this process")
    return log


def _mirror(seq: int, members: Mapping[str, Any]) -> None:
    """The durable record, mirrored as a log event from its redacted members."""

    who = members["actor"]
    _events.info(
        "audit",
        seq=seq,
        action=members["action"],
        actor=f"{who['kind']}:{who['id']}",
        target=members["target"],
        outcome=members["outcome"],
        source=members["source"],
        **{key: value for key, value in members["details"].items() if key not in _RESERVED},
    )


_events = get_logger("botwarden.audit")
_RESERVED = {"event", "seq", "action", "actor", "target", "outcome", "source", "level", "timestamp"}
