"""A witness that appends each checkpoint, as a JSON line, to a file on another path."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from botwarden.audit.canonical import canonical_json
from botwarden.audit.witnesses.interface import Witness, WitnessError
from botwarden.crypto.keyfile import fsync_directory
from botwarden.errors import InvalidInputError

_APPEND = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC


class FileWitness(Witness):
    """Checkpoints appended to ``path`` (mode 0600), each made durable before it counts.

    Put the file on another disk or mount than the audit store, so that losing
    or rolling back one leaves the other.
    """

    def __init__(self, path: Path) -> None:
        if not path.is_absolute():
            raise InvalidInputError(f"a file witness needs an absolute path, not {str(path)!a}")
        self.path = path
        self.name = f"file:{path}"
        self._lock = threading.Lock()

    def publish(self, origin: str, size: int, note: str) -> None:
        line = canonical_json({"note": note, "origin": origin, "size": size}) + b"\n"
        try:
            with self._lock:
                self._append(line)
        except OSError as error:
            raise WitnessError(
                f"cannot append to the witness file {self.path}: {error.strerror or error}"
            ) from error

    def _append(self, line: bytes) -> None:
        # NOTE: the directory is never created: if the path is on a mount that
        # is missing, writing beside it on the wrong disk would defeat the witness.
        try:
            fd = os.open(self.path, _APPEND | os.O_CREAT | os.O_EXCL, 0o600)
            created = True
        except FileExistsError:
            fd = os.open(self.path, _APPEND)
            created = False
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_directory(self.path.parent)

    def latest(self, origin: str) -> str | None:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise WitnessError(
                f"cannot read the witness file {self.path}: {error.strerror}"
            ) from error
        with os.fdopen(fd, "rb") as opened:
            lines = opened.read().split(b"\n")

        # A final line without its line break is a write that a crash cut short.
        best: tuple[int, str] | None = None
        for number, line in enumerate(lines[:-1], start=1):
            entry_origin, size, note = self._entry(line, number)
            # NOTE: of two notes of the same size, the first one kept wins: a
            # second one can only come from a log that was rewritten.
            if entry_origin == origin and (best is None or size > best[0]):
                best = (size, note)
        return None if best is None else best[1]

    def _entry(self, line: bytes, number: int) -> tuple[str, int, str]:
        try:
            entry = json.loads(line)
            origin, size, note = entry["origin"], entry["size"], entry["note"]
        except (ValueError, TypeError, KeyError):
            origin = size = note = None
        if not (isinstance(origin, str) and isinstance(note, str) and type(size) is int):
            raise WitnessError(f"line {number} of the witness file {self.path} is not a checkpoint")
        return origin, size, note
