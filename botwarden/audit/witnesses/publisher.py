"""Sending each new checkpoint to every witness from background threads, retrying failures."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from botwarden.audit.witnesses.interface import Witness, WitnessError
from botwarden.logs import get_logger

log = get_logger(__name__)

DEFAULT_RETRY_INTERVAL_SECONDS = 30.0
DEFAULT_CLOSE_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class WitnessedCheckpoint:
    """A checkpoint on its way to the witnesses."""

    origin: str
    size: int
    note: str


class WitnessPublisher:
    """Publishes checkpoints to witnesses without ever making the log wait on them.

    Each witness has a thread of its own, so that a slow one delays no other.
    A witness that fails raises an alert (the ``audit_witness_unreachable``
    error event) and is retried every ``retry_interval`` seconds until it takes
    the checkpoint. Only the newest checkpoint of a log matters: those made
    while a witness was down are skipped in favour of the newest.

    The publisher owns its witnesses and closes them in :meth:`close`.
    """

    def __init__(
        self,
        witnesses: Sequence[Witness],
        *,
        retry_interval: float = DEFAULT_RETRY_INTERVAL_SECONDS,
    ) -> None:
        if not retry_interval > 0:
            raise ValueError("retry_interval must be positive")
        self._couriers = [_Courier(witness, retry_interval) for witness in witnesses]
        self._closed = False
        for courier in self._couriers:
            courier.thread.start()

    @property
    def witnesses(self) -> list[Witness]:
        return [courier.witness for courier in self._couriers]

    def publish(self, origin: str, size: int, note: str) -> None:
        """Hand a new checkpoint to every witness; returns at once."""

        if self._closed:
            raise RuntimeError("the witness publisher is closed")
        if not origin or size < 0 or not note:
            raise ValueError("a checkpoint needs an origin, a size and a note")
        checkpoint = WitnessedCheckpoint(origin, size, note)
        for courier in self._couriers:
            courier.offer(checkpoint)

    def undelivered(self) -> list[str]:
        """The names of the witnesses that do not yet hold the newest checkpoint."""

        return [courier.witness.name for courier in self._couriers if not courier.idle()]

    def close(self, timeout: float = DEFAULT_CLOSE_TIMEOUT_SECONDS) -> list[str]:
        """Wait up to ``timeout`` seconds for pending checkpoints, then stop.

        Returns the names of the witnesses still missing the newest checkpoint
        (an empty list when every witness has it).
        """

        if self._closed:
            return self.undelivered()
        self._closed = True
        deadline = time.monotonic() + timeout
        for courier in self._couriers:
            courier.drain(deadline)
        missing = self.undelivered()

        for courier in self._couriers:
            courier.stop()
        for courier in self._couriers:
            courier.thread.join(max(0.0, deadline - time.monotonic()))
            if not courier.thread.is_alive():
                courier.witness.close()
        if missing:
            log.error("audit_witness_undelivered", witnesses=missing)
        return missing

    def __enter__(self) -> WitnessPublisher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _Courier:
    """The thread that carries checkpoints to one witness."""

    def __init__(self, witness: Witness, retry_interval: float) -> None:
        self.witness = witness
        self.retry_interval = retry_interval
        self.thread = threading.Thread(
            target=self._run, name=f"botwarden-witness {witness.name}", daemon=True
        )
        self._pending: dict[str, WitnessedCheckpoint] = {}
        self._busy = False
        self._stopping = False
        self._condition = threading.Condition()

    def offer(self, checkpoint: WitnessedCheckpoint) -> None:
        with self._condition:
            self._keep(checkpoint)
            self._condition.notify_all()

    def idle(self) -> bool:
        with self._condition:
            return not self._pending and not self._busy

    def drain(self, deadline: float) -> None:
        with self._condition:
            while self._pending or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.thread.is_alive():
                    return
                self._condition.wait(remaining)

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()

    def _keep(self, checkpoint: WitnessedCheckpoint) -> None:
        current = self._pending.get(checkpoint.origin)
        if current is None or checkpoint.size >= current.size:
            self._pending[checkpoint.origin] = checkpoint

    def _run(self) -> None:
        failures = 0
        while True:
            with self._condition:
                while not self._pending and not self._stopping:
                    self._condition.wait()
                if self._stopping:
                    return
                checkpoint = self._pending.pop(next(iter(self._pending)))
                self._busy = True

            delivered = self._deliver(checkpoint, failures + 1)

            with self._condition:
                self._busy = False
                if not delivered:
                    self._keep_unless_newer(checkpoint)
                self._condition.notify_all()
            if delivered:
                if failures:
                    log.info(
                        "audit_witness_recovered", witness=self.witness.name, attempts=failures + 1
                    )
                failures = 0
            else:
                failures += 1
                self._pause()

    def _deliver(self, checkpoint: WitnessedCheckpoint, attempt: int) -> bool:
        try:
            self.witness.publish(checkpoint.origin, checkpoint.size, checkpoint.note)
        except Exception as error:
            # NOTE: any failure, even a bug in a witness, is an alert and a
            # retry; it never reaches the log that published the checkpoint.
            reason = error.message if isinstance(error, WitnessError) else type(error).__name__
            log.error(
                "audit_witness_unreachable",
                witness=self.witness.name,
                reason=reason,
                origin=checkpoint.origin,
                size=checkpoint.size,
                attempt=attempt,
            )
            return False
        log.debug("audit_witness_published", witness=self.witness.name, size=checkpoint.size)
        return True

    def _keep_unless_newer(self, checkpoint: WitnessedCheckpoint) -> None:
        current = self._pending.get(checkpoint.origin)
        if current is None or current.size < checkpoint.size:
            self._pending[checkpoint.origin] = checkpoint

    def _pause(self) -> None:
        """Wait ``retry_interval`` before the next attempt; new checkpoints do not cut it short."""

        deadline = time.monotonic() + self.retry_interval
        with self._condition:
            while not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._condition.wait(remaining)
