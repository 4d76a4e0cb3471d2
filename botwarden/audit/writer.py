"""The single writer of an audit store: group commit, the Merkle tree, periodic checkpoints.

Callers hand in prepared records from any thread. Each gets the next sequence
number at once and waits; the writer thread takes everything queued, writes it
with one durable append (one fsync for the whole group), extends the tree, and
only then wakes the callers. If the store fails, the writer stops for good and
every caller, waiting or future, gets ``AuditUnavailableError``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from botwarden.audit.checkpoint import Checkpoint, sign_checkpoint
from botwarden.audit.merkle import CompactRange, leaf_hash
from botwarden.audit.note import NoteSigner
from botwarden.audit.records import PreparedRecord
from botwarden.audit.stores.interface import AuditStore, StoredCheckpoint
from botwarden.errors import AuditError, AuditUnavailableError
from botwarden.logs import get_logger

log = get_logger(__name__)

Publish = Callable[[str, int, str], None]


@dataclass(frozen=True)
class CheckpointPolicy:
    """A checkpoint after ``every`` records or ``interval`` seconds, whichever comes first."""

    every: int = 1000
    interval: float = 10.0


class AuditWriter:
    def __init__(
        self,
        store: AuditStore,
        signer: NoteSigner,
        origin: str,
        *,
        policy: CheckpointPolicy = CheckpointPolicy(),
        publish: Publish | None = None,
        max_batch: int = 4096,
    ) -> None:
        self.store = store
        self.origin = origin
        self._signer = signer
        self._policy = policy
        self._publish = publish
        self._max_batch = max_batch

        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._queue: list[_Pending] = []
        self._durable = 0
        self._failure: str | None = None
        self._closing = False
        self._thread: threading.Thread | None = None

        self._tree = CompactRange()
        self._checkpointed_size = 0
        self._checkpointed_at = time.monotonic()

    # Life cycle --------------------------------------------------------------

    def start(self) -> None:
        """Take the writer role, rebuild the tree from the stored records, start writing."""

        self.store.open_writer()
        for data in self.store.read():
            self._tree.append(leaf_hash(data))
        self._durable = self._tree.size

        checkpoints = self.store.checkpoints()
        self._checkpointed_size = checkpoints[-1].size if checkpoints else 0

        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()
        log.debug("audit_writer_started", store=self.store.name, size=self._durable)

    def close(self) -> None:
        """Write what is queued, make a last checkpoint, release the store."""

        with self._lock:
            self._closing = True
            self._wake.set()
        if self._thread is not None:
            self._thread.join()
        self.store.close()

    # Appending ---------------------------------------------------------------

    def append(self, record: PreparedRecord) -> int:
        """Write ``record`` durably and return its sequence number."""

        pending = _Pending(record)
        self._enqueue(pending)

        waiter = pending.waiter
        if waiter is not None:
            waiter.acquire()
        if pending.seq is None:
            raise AuditUnavailableError(self._failure or "the audit writer stopped")
        return pending.seq

    async def append_async(self, record: PreparedRecord) -> int:
        """``append`` for a coroutine: awaiting costs no thread of its own."""

        pending = _Pending(record, asyncio.get_running_loop().create_future())
        self._enqueue(pending)
        seq: int = await pending.future  # type: ignore[misc]
        return seq

    def _enqueue(self, pending: _Pending) -> None:
        with self._lock:
            if self._failure is not None or self._closing:
                raise AuditUnavailableError(self._failure or "the audit writer is closed")
            self._queue.append(pending)
            if len(self._queue) == 1:
                self._wake.set()

    @property
    def size(self) -> int:
        return self._durable

    # The writer thread -------------------------------------------------------

    def _run(self) -> None:
        while True:
            if not self._checkpoint_due():
                self._wake.wait(timeout=self._seconds_to_next_checkpoint())
            with self._lock:
                batch = self._queue[: self._max_batch]
                del self._queue[: len(batch)]
                if not self._queue:
                    self._wake.clear()
                stopping = self._closing and not self._queue
            try:
                if batch:
                    self._write(batch)
            except AuditError as error:
                self._fail(str(error), batch)
                return
            _wake(batch, None)

            try:
                final = stopping and self._tree.size > self._checkpointed_size
                if self._checkpoint_due() or final:
                    self._checkpoint()
            except AuditError as error:
                self._fail(str(error), [])
                return
            if stopping:
                return

    def _write(self, batch: Sequence[_Pending]) -> None:
        """Append a group with one durable write, after whatever other writers added."""

        def encode(first: int) -> list[bytes]:
            return [pending.record.encode(first + offset) for offset, pending in enumerate(batch)]

        appended = self.store.append_after(self._durable, encode)
        self._tree.extend([leaf_hash(data) for data in (*appended.missed, *appended.records)])
        for offset, pending in enumerate(batch):
            pending.seq = appended.first_seq + offset
        self._durable = appended.first_seq + len(appended.records)

    def _checkpoint_due(self) -> bool:
        pending = self._tree.size - self._checkpointed_size
        if pending <= 0:
            return False
        overdue = time.monotonic() - self._checkpointed_at >= self._policy.interval
        return pending >= self._policy.every or overdue

    def _seconds_to_next_checkpoint(self) -> float:
        elapsed = time.monotonic() - self._checkpointed_at
        return max(0.01, self._policy.interval - elapsed)

    def _checkpoint(self) -> None:
        size = self._tree.size
        note = sign_checkpoint(Checkpoint(self.origin, size, self._tree.root()), self._signer)
        self.store.append_checkpoint(StoredCheckpoint(size=size, note=note))
        self._checkpointed_size = size
        self._checkpointed_at = time.monotonic()
        if self._publish is not None:
            self._publish(self.origin, size, note)

    def _fail(self, reason: str, batch: list[_Pending]) -> None:
        log.error("audit_writer_stopped", store=self.store.name, reason=reason)
        with self._lock:
            self._failure = f"the audit log stopped: {reason}"
            waiting = batch + self._queue
            self._queue = []
        _wake(waiting, self._failure)


class _Pending:
    """A record waiting for its group to be durable.

    A thread waits on ``waiter``, a lock of its own that the writer releases
    when the group is durable: waking only that group's callers keeps 64
    concurrent writers from stampeding after every write. A coroutine waits on
    ``future`` instead, resolved through its event loop once per group.
    """

    __slots__ = ("future", "record", "seq", "waiter")

    def __init__(self, record: PreparedRecord, future: asyncio.Future[int] | None = None) -> None:
        self.record = record
        self.seq: int | None = None
        self.future = future
        self.waiter: threading.Lock | None = None
        if future is None:
            self.waiter = threading.Lock()
            self.waiter.acquire()


def _wake(pendings: Sequence[_Pending], failure: str | None) -> None:
    """Release waiting threads, and resolve waiting coroutines with one call per event loop."""

    by_loop: dict[asyncio.AbstractEventLoop, list[_Pending]] = {}
    for pending in pendings:
        if pending.waiter is not None:
            pending.waiter.release()
        elif pending.future is not None:
            by_loop.setdefault(pending.future.get_loop(), []).append(pending)
    for loop, waiting in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, waiting, failure)
        except RuntimeError:
            log.warning("audit_waiters_loop_closed", waiting=len(waiting))


def _resolve(waiting: Sequence[_Pending], failure: str | None) -> None:
    for pending in waiting:
        future = pending.future
        if future is None or future.done():
            continue
        if pending.seq is None:
            future.set_exception(AuditUnavailableError(failure or "the audit writer stopped"))
        else:
            future.set_result(pending.seq)
