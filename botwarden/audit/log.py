"""Opening the audit log of a deployment: as its writer, or as a client of the writer process."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from botwarden.audit.records import PreparedRecord
from botwarden.audit.stores.files import FileAuditStore
from botwarden.audit.stores.interface import AuditStore
from botwarden.audit.transport import AuditSocketServer, SocketAuditClient
from botwarden.audit.writer import AuditWriter, CheckpointPolicy
from botwarden.config import Settings
from botwarden.errors import AuditUnavailableError, AuditWriterBusyError, KeyFileError
from botwarden.logs import get_logger

if TYPE_CHECKING:
    from botwarden.audit.witnesses import WitnessPublisher

log = get_logger(__name__)

KEY_FILE = "checkpoint.key"
SOCKET_FILE = "writer.sock"
WRITER_WAIT_SECONDS = 15.0


class AuditLog(Protocol):
    def append(self, record: PreparedRecord) -> int: ...

    def close(self) -> None: ...


@dataclass
class WritingAuditLog:
    """This process is the writer; with ``server`` it also takes records from other processes."""

    writer: AuditWriter
    server: AuditSocketServer | None = None
    on_close: list[object] = field(default_factory=list)

    def append(self, record: PreparedRecord) -> int:
        return self.writer.append(record)

    async def append_async(self, record: PreparedRecord) -> int:
        return await self.writer.append_async(record)

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        self.writer.close()
        for closer in self.on_close:
            close = getattr(closer, "close", None)
            if callable(close):
                close()


class LazyAuditLog:
    """Opens the deployment's audit log on the first append, for short-lived commands."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._opened: AuditLog | None = None
        self._lock = threading.Lock()

    def append(self, record: PreparedRecord) -> int:
        with self._lock:
            if self._opened is None:
                self._opened = open_audit_log(self._settings)
        return self._opened.append(record)

    def close(self) -> None:
        with self._lock:
            if self._opened is not None:
                self._opened.close()
                self._opened = None


def key_path(settings: Settings) -> Path:
    return settings.audit_dir / KEY_FILE


def create_audit_key(settings: Settings) -> str:
    """Create the audit store's own checkpoint key (0600) and its public verifier key."""

    from botwarden.audit.checkpoint import create_audit_key as create_key
    from botwarden.audit.checkpoint import write_verifier_key

    settings.audit_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    origin = f"botwarden.audit/{secrets.token_hex(8)}"
    signer = create_key(key_path(settings), origin)
    write_verifier_key(key_path(settings), signer)
    return signer.verifier_key()


def open_store(settings: Settings) -> AuditStore:
    """The deployment's audit store: PostgreSQL when BOTWARDEN_AUDIT_DATABASE_URL is set."""

    if settings.audit.database_url:
        from botwarden.audit.stores.postgres import PostgresAuditStore

        return PostgresAuditStore(settings.audit.database_url)
    return FileAuditStore(settings.audit_dir)


def open_audit_log(settings: Settings, *, serve: bool = False) -> AuditLog:
    """The audit log of this deployment, ready to append to.

    With the file store, the first process to take the writer lock writes;
    others send their records through its socket. With ``serve`` the writer
    also opens that socket (the server does; short CLI runs need not).
    """

    socket_path = settings.audit_dir / SOCKET_FILE
    deadline = time.monotonic() + WRITER_WAIT_SECONDS
    while True:
        if not settings.audit.database_url and socket_path.exists():
            try:
                return SocketAuditClient(socket_path)
            except OSError:
                log.debug("audit_socket_stale", path=str(socket_path))
        try:
            return _open_as_writer(settings, serve=serve)
        except AuditWriterBusyError:
            if time.monotonic() > deadline:
                raise AuditUnavailableError(
                    "another process holds the audit writer and offers no socket"
                ) from None
            time.sleep(0.05)


def _open_as_writer(settings: Settings, *, serve: bool) -> WritingAuditLog:
    from botwarden.audit.checkpoint import load_audit_key

    if not key_path(settings).exists():
        raise KeyFileError(
            f"no audit checkpoint key at {key_path(settings)}",
            hint="Run `botwarden init` to set up this home.",
        )
    signer = load_audit_key(key_path(settings))
    policy = CheckpointPolicy(
        every=settings.audit.checkpoint_every, interval=float(settings.audit.checkpoint_interval)
    )
    publisher = _witness_publisher(settings)
    writer = AuditWriter(
        open_store(settings), signer, signer.name, policy=policy, publish=publisher.publish
    )
    try:
        writer.start()
    except BaseException:
        publisher.close()
        raise

    opened = WritingAuditLog(writer, on_close=[publisher])
    if serve and not settings.audit.database_url:
        opened.server = AuditSocketServer(settings.audit_dir / SOCKET_FILE, writer.append)
        opened.server.start()
    return opened


def _witness_publisher(settings: Settings) -> WitnessPublisher:
    """The database witness of the deployment, plus the configured outside witnesses."""

    from botwarden.audit.witnesses import witness_publisher_for

    return witness_publisher_for(settings)
