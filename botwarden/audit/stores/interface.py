"""The interface every audit store implements: append-only records and checkpoints."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

Encode = Callable[[int], Sequence[bytes]]


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    note: str


@dataclass(frozen=True)
class Appended:
    """What an append at the end found and wrote: others' records since, then these."""

    missed: tuple[bytes, ...]
    first_seq: int
    records: tuple[bytes, ...]


class AuditStore(ABC):
    """An append-only sequence of records (canonical JSON bytes) and of signed checkpoints.

    A store has one writer at a time. ``append`` and ``append_checkpoint``
    return only once what they were given is durable; if that cannot be
    ensured they raise ``AuditStoreFailedError`` and the store accepts no more.
    """

    name: str

    @abstractmethod
    def open_writer(self) -> None:
        """Become the store's only writer, or raise ``AuditWriterBusyError``."""

    @abstractmethod
    def size(self) -> int:
        """How many records the store holds."""

    @abstractmethod
    def append(self, records: Sequence[bytes], first_seq: int) -> None:
        """Append records whose sequence numbers start at ``first_seq``; durable on return."""

    def append_after(self, known: int, encode: Encode) -> Appended:
        """Append ``encode(first_seq)`` after the records others wrote since ``known``.

        A store with one writer has nothing to catch up on; a shared store
        (PostgreSQL) overrides this to take its lock and report what it missed.
        """

        records = tuple(encode(known))
        self.append(records, known)
        return Appended(missed=(), first_seq=known, records=records)

    @abstractmethod
    def append_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        """Keep a signed checkpoint; durable on return."""

    @abstractmethod
    def read(self, start: int = 0) -> Iterator[bytes]:
        """The records from sequence number ``start`` on, as stored."""

    @abstractmethod
    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every checkpoint kept, oldest first."""

    @abstractmethod
    def close(self) -> None:
        """Release the writer role and any open files or connections."""
