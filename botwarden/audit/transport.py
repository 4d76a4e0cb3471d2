"""A local socket through which other processes on the host hand records to the writer.

The writer process listens on ``$BOTWARDEN_HOME/audit/writer.sock`` (mode 0600
in a 0700 directory) and accepts only peers running as its own user. A frame is
a 4-byte big-endian length and a payload; a request carries a prepared record
(its two encoded halves), a reply the record's sequence number or an error.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
from collections.abc import Callable
from pathlib import Path

from botwarden.audit.records import PreparedRecord
from botwarden.errors import AuditError, AuditUnavailableError
from botwarden.logs import get_logger

log = get_logger(__name__)

MAX_FRAME = 1 << 20
_LENGTH = struct.Struct(">I")
_SEQ = struct.Struct(">Q")


def _send(connection: socket.socket, payload: bytes) -> None:
    connection.sendall(_LENGTH.pack(len(payload)) + payload)


def _receive(connection: socket.socket) -> bytes | None:
    header = _receive_exactly(connection, _LENGTH.size)
    if header is None:
        return None
    (length,) = _LENGTH.unpack(header)
    if length > MAX_FRAME:
        raise ConnectionError("frame too large")
    return _receive_exactly(connection, length)


def _receive_exactly(connection: socket.socket, count: int) -> bytes | None:
    chunks, remaining = [], count
    while remaining:
        chunk = connection.recv(remaining)
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _encode_record(record: PreparedRecord) -> bytes:
    return _LENGTH.pack(len(record.head)) + record.head + record.tail


def _decode_record(payload: bytes) -> PreparedRecord:
    (head_length,) = _LENGTH.unpack_from(payload)
    head = payload[_LENGTH.size : _LENGTH.size + head_length]
    return PreparedRecord(head=head, tail=payload[_LENGTH.size + head_length :])


class AuditSocketServer:
    """Accepts records from other local processes and appends them through ``append``."""

    def __init__(self, path: Path, append: Callable[[PreparedRecord], int]) -> None:
        self.path = path
        self._append = append
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._stopped = threading.Event()

    def start(self) -> None:
        self.path.unlink(missing_ok=True)
        previous = os.umask(0o177)
        try:
            self._listener.bind(str(self.path))
        finally:
            os.umask(previous)
        self._listener.listen(64)
        threading.Thread(target=self._accept, name="audit-socket", daemon=True).start()

    def close(self) -> None:
        self._stopped.set()
        self._listener.close()
        self.path.unlink(missing_ok=True)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            if not _same_user(connection):
                log.warning("audit_socket_peer_refused")
                connection.close()
                continue
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            while True:
                try:
                    payload = _receive(connection)
                    if payload is None:
                        return
                    seq = self._append(_decode_record(payload))
                    _send(connection, b"S" + _SEQ.pack(seq))
                except AuditError as error:
                    _send(connection, b"E" + error.message.encode("utf-8", "replace"))
                except (OSError, ConnectionError, struct.error):
                    return


def _same_user(connection: socket.socket) -> bool:
    credentials = connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return bool(uid == os.getuid())


class SocketAuditClient:
    """Hands records to the writer process over its socket."""

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        self.path = path
        self._connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._connection.settimeout(timeout)
        self._connection.connect(str(path))
        self._lock = threading.Lock()

    def append(self, record: PreparedRecord) -> int:
        with self._lock:
            try:
                _send(self._connection, _encode_record(record))
                reply = _receive(self._connection)
            except OSError as error:
                raise AuditUnavailableError(
                    f"the audit writer process did not answer: {error.strerror or error}"
                ) from None
        if reply is None:
            raise AuditUnavailableError("the audit writer process closed the connection")
        if reply[:1] == b"S":
            return int(_SEQ.unpack(reply[1:])[0])
        raise AuditUnavailableError(reply[1:].decode("utf-8", "replace"))

    def close(self) -> None:
        self._connection.close()
