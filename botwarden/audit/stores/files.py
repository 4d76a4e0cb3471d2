"""The default audit store: append-only files under ``$BOTWARDEN_HOME/audit/``.

``records.jsonl`` holds one canonical JSON record per line, in sequence order,
so that ``grep``, ``jq`` or any JSON tool reads it as it is; the line number
(from 0) is the sequence number and the Merkle leaf index. ``checkpoints.jsonl``
holds one signed checkpoint per line. Only one process writes, holding an
exclusive lock on ``writer.lock``; appends use ``O_APPEND`` and ``fsync``.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from botwarden.audit.canonical import canonical_json
from botwarden.audit.stores.interface import AuditStore, StoredCheckpoint
from botwarden.crypto.keyfile import fsync_directory
from botwarden.errors import AuditStoreFailedError, AuditWriterBusyError
from botwarden.logs import get_logger

log = get_logger(__name__)

RECORDS = "records.jsonl"
CHECKPOINTS = "checkpoints.jsonl"
LOCK = "writer.lock"


class FileAuditStore(AuditStore):
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.name = str(directory)
        self._lock_fd: int | None = None
        self._records_fd: int | None = None
        self._checkpoints_fd: int | None = None
        self._size = 0
        self._failed = False

    @property
    def records_path(self) -> Path:
        return self.directory / RECORDS

    @property
    def checkpoints_path(self) -> Path:
        return self.directory / CHECKPOINTS

    # Writing -----------------------------------------------------------------

    def open_writer(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

        lock_fd = os.open(self.directory / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock_fd)
            raise AuditWriterBusyError(
                f"another process is writing the audit store in {self.directory}"
            ) from None
        self._lock_fd = lock_fd

        self._repair_torn_tail()
        # NOTE: O_DSYNC makes each write durable before it returns (as write and
        # fdatasync would), so a group costs one system call and the writer
        # gives up the interpreter lock once per group instead of twice.
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_DSYNC
        self._records_fd = os.open(self.records_path, flags, 0o600)
        self._checkpoints_fd = os.open(self.checkpoints_path, flags, 0o600)
        fsync_directory(self.directory)
        self._size = _count_lines(self.records_path)

    def append(self, records: Sequence[bytes], first_seq: int) -> None:
        if self._records_fd is None or self._failed:
            raise AuditStoreFailedError("the audit store is not open for writing")
        if first_seq != self._size:
            raise AuditStoreFailedError(
                f"the audit store holds {self._size} records, not {first_seq}"
            )

        self._write_durably(self._records_fd, b"".join(record + b"\n" for record in records))
        self._size += len(records)

    def append_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        if self._checkpoints_fd is None or self._failed:
            raise AuditStoreFailedError("the audit store is not open for writing")
        line = canonical_json({"size": checkpoint.size, "note": checkpoint.note}) + b"\n"
        self._write_durably(self._checkpoints_fd, line)

    def _write_durably(self, fd: int, data: bytes) -> None:
        # NOTE: after a failed synchronous write the page cache may already have
        # dropped the data (PostgreSQL's "fsyncgate"); retrying could report
        # success for records that are lost, so the store stops instead.
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
        except OSError as error:
            self._failed = True
            log.error("audit_store_failed", store=self.name, error=error.strerror)
            raise AuditStoreFailedError(
                f"the audit store could not make records durable: {error.strerror}"
            ) from None

    def _repair_torn_tail(self) -> None:
        """Set aside a last line cut short by a crash; it was never acknowledged."""

        try:
            with self.records_path.open("rb+") as handle:
                end = handle.seek(0, os.SEEK_END)
                if end == 0:
                    return
                handle.seek(end - 1)
                if handle.read(1) == b"\n":
                    return
                keep = _last_newline_end(handle, end)
                handle.seek(keep)
                torn = handle.read()
                (self.directory / f"torn-tail-{keep}.bin").write_bytes(torn)
                handle.truncate(keep)
                os.fsync(handle.fileno())
                log.warning("audit_torn_tail_set_aside", offset=keep, length=len(torn))
        except FileNotFoundError:
            return

    # Reading -----------------------------------------------------------------

    def size(self) -> int:
        if self._records_fd is not None:
            return self._size
        return _count_lines(self.records_path)

    def read(self, start: int = 0) -> Iterator[bytes]:
        try:
            handle = self.records_path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            for index, line in enumerate(handle):
                if not line.endswith(b"\n"):
                    return
                if index >= start:
                    yield line[:-1]

    def torn_tail(self) -> bytes:
        """Bytes after the last complete record, if any (a crash or tampering)."""

        try:
            with self.records_path.open("rb") as handle:
                end = handle.seek(0, os.SEEK_END)
                if end == 0:
                    return b""
                handle.seek(end - 1)
                if handle.read(1) == b"\n":
                    return b""
                start = _last_newline_end(handle, end)
                handle.seek(start)
                return handle.read()
        except FileNotFoundError:
            return b""

    def checkpoints(self) -> list[StoredCheckpoint]:
        try:
            lines = self.checkpoints_path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        found = []
        for line in lines:
            item = json.loads(line)
            found.append(StoredCheckpoint(size=int(item["size"]), note=str(item["note"])))
        return found

    def close(self) -> None:
        for fd in (self._records_fd, self._checkpoints_fd, self._lock_fd):
            if fd is not None:
                os.close(fd)
        self._records_fd = self._checkpoints_fd = self._lock_fd = None


def _count_lines(path: Path) -> int:
    count = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                count += chunk.count(b"\n")
    except FileNotFoundError:
        return 0
    return count


def _last_newline_end(handle: BinaryIO, end: int) -> int:
    position = end
    while position > 0:
        step = min(1 << 16, position)
        position -= step
        handle.seek(position)
        chunk = handle.read(step)
        found = chunk.rfind(b"\n")
        if found >= 0:
            return position + found + 1
    return 0
