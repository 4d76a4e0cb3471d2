"""Recording security-relevant actions.

This is the seam every capability calls. Until the tamper-evident log exists,
records are structured log events named ``audit``; the call sites and their
fields are the ones the log will store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from botwarden.logs import get_logger

Outcome = Literal["allowed", "denied", "failed"]

_log = get_logger("botwarden.audit")


def record(
    action: str,
    *,
    actor: str,
    target: str,
    outcome: Outcome = "allowed",
    details: Mapping[str, object] | None = None,
) -> None:
    """Record that ``actor`` did ``action`` on ``target`` with ``outcome``. Never pass a secret."""

    _log.info(
        "audit", action=action, actor=actor, target=target, outcome=outcome, **(details or {})
    )
