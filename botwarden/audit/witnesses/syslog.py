"""A witness that sends each checkpoint as an RFC 5424 message to a syslog socket or UDP server."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from botwarden.audit.canonical import canonical_json
from botwarden.audit.exporters.syslog import FACILITY_AUTHPRIV, structured_data, syslog_message
from botwarden.audit.witnesses.interface import Witness, WitnessError
from botwarden.errors import InvalidInputError
from botwarden.store import utcnow

CHECKPOINT_SD_ID = "checkpoint@32473"
SEVERITY_NOTICE = 5
SEND_TIMEOUT_SECONDS = 5.0


class SyslogWitness(Witness):
    """Checkpoints sent to a syslog daemon, which keeps them where the store cannot reach.

    A syslog daemon cannot be asked for what it holds, so ``latest`` is always
    None; read its files or its collector to compare.
    """

    def __init__(
        self,
        target: tuple[str, int] | Path,
        *,
        hostname: str | None = None,
        app_name: str = "botwarden",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if isinstance(target, Path):
            if not target.is_absolute():
                raise InvalidInputError(f"a syslog socket needs an absolute path, not {target}")
            self.name = f"syslog:unix://{target}"
        else:
            host, port = target
            if not host or not 0 < port < 65536:
                raise InvalidInputError(f"{host}:{port} is not a syslog host and port")
            self.name = f"syslog:udp://{_host_port(host, port)}"
        self.target = target
        self.hostname = hostname or socket.gethostname()
        self.app_name = app_name
        self._clock = clock

    def message(self, origin: str, size: int, note: str) -> bytes:
        """The RFC 5424 message for a checkpoint; its body is the checkpoint as one JSON object.

        JSON keeps the note's line breaks as ``\\n`` escapes, so the message is
        one line and the note can be read back exactly.
        """

        body = canonical_json({"note": note, "origin": origin, "size": size}).decode("utf-8")
        text = syslog_message(
            facility=FACILITY_AUTHPRIV,
            severity=SEVERITY_NOTICE,
            timestamp=self._clock().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            hostname=self.hostname,
            app_name=self.app_name,
            procid=str(os.getpid()),
            msgid="checkpoint",
            structured=structured_data(CHECKPOINT_SD_ID, (("origin", origin), ("size", str(size)))),
            message=body,
        )
        return text.encode("utf-8")

    def publish(self, origin: str, size: int, note: str) -> None:
        message = self.message(origin, size, note)
        try:
            family, address = self._address()
            with socket.socket(family, socket.SOCK_DGRAM) as sender:
                sender.settimeout(SEND_TIMEOUT_SECONDS)
                sender.connect(address)
                sender.send(message)
        except OSError as error:
            reason = error.strerror or str(error) or type(error).__name__
            raise WitnessError(f"cannot send to {self.name}: {reason}") from error

    def _address(self) -> tuple[int, str | tuple[Any, ...]]:
        if isinstance(self.target, Path):
            return socket.AF_UNIX, str(self.target)
        host, port = self.target
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        return family, tuple(address)

    def latest(self, origin: str) -> str | None:
        return None


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
