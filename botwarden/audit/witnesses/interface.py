"""The contract of a witness: a place outside the audit store that keeps copies of checkpoints.

A witness receives every checkpoint the log makes and gives back the newest
one it holds, so that a store that was truncated, rolled back or rewritten is
caught by comparing it with the witness copies::

    publish(origin, size, note)   keep this checkpoint; raise WitnessError if it cannot
    latest(origin)                the newest note held for the log, or None if it cannot tell

``WitnessError`` is the base of what witnesses raise; it is an ``AuditError``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from botwarden.errors import AuditError


class WitnessError(AuditError):
    """A witness could not take or give back a checkpoint."""

    code = "audit-witness-unreachable"
    default_hint = (
        "Check that the witness is reachable and accepts writes; botwarden keeps "
        "retrying with the newest checkpoint and the log goes on meanwhile."
    )


class Witness(ABC):
    """One place that keeps copies of the log's checkpoints."""

    name: str

    @abstractmethod
    def publish(self, origin: str, size: int, note: str) -> None:
        """Keep the checkpoint ``note`` of tree ``size`` for the log ``origin``."""

    @abstractmethod
    def latest(self, origin: str) -> str | None:
        """The newest checkpoint note held for ``origin``; None when none can be read back."""

    def close(self) -> None:  # noqa: B027 - an optional hook, not an abstract method
        """Release connections the witness holds; the default holds none."""
