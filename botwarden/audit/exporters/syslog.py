"""The ``syslog`` export format: an RFC 5424 message per record, and helpers such messages share."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from botwarden.audit.exporters.interface import ExportContext, Exporter

# NOTE: authpriv (10) rather than "log audit" (13): common syslog daemons route
# authpriv to a file only administrators can read, while facility 13 has no
# name in glibc and usually lands in the general, more widely readable log.
FACILITY_AUTHPRIV = 10
SEVERITY = {"allowed": 5, "denied": 4, "failed": 3}
NILVALUE = "-"
BOM = "\ufeff"

# 32473 is the private enterprise number RFC 5612 reserves for examples and
# documentation; botwarden has no number of its own.
RECORD_SD_ID = "botwarden@32473"

_NOT_PRINTABLE_ASCII = re.compile(r"[^\x21-\x7e]")
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_SD_SPECIAL = re.compile(r'(["\\\]])')


def header_field(text: str, limit: int) -> str:
    """A header field of RFC 5424 §6.2: printable US-ASCII, at most ``limit`` characters."""

    clean = _NOT_PRINTABLE_ASCII.sub("_", text)[:limit]
    return clean or NILVALUE


def param_value(text: str) -> str:
    """A PARAM-VALUE of RFC 5424 §6.3.3, with ``"``, ``\\`` and ``]`` escaped.

    NOTE: RFC 5424 has no escape for line breaks, which would split the message
    in a line-oriented file or stream; they become U+FFFD here. The message
    body keeps the exact value.
    """

    return _SD_SPECIAL.sub(r"\\\1", _LINE_BREAKING.sub("\ufffd", text))


def structured_data(sd_id: str, params: Sequence[tuple[str, str]]) -> str:
    """One SD-ELEMENT: ``[id name="value" …]``."""

    pairs = "".join(f' {name}="{param_value(value)}"' for name, value in params)
    return f"[{sd_id}{pairs}]"


def syslog_message(
    *,
    facility: int,
    severity: int,
    timestamp: str,
    hostname: str,
    app_name: str,
    procid: str,
    msgid: str,
    structured: str,
    message: str,
) -> str:
    """An RFC 5424 §6 message whose MSG is UTF-8 text, marked by a BOM as §6.4 asks."""

    header = " ".join(
        (
            f"<{facility * 8 + severity}>1",
            timestamp,
            header_field(hostname, 255),
            header_field(app_name, 48),
            header_field(procid, 128),
            header_field(msgid, 32),
        )
    )
    return f"{header} {structured} {BOM}{message}"


class SyslogExporter(Exporter):
    """Records as RFC 5424 messages for a syslog collector, the canonical record as the body."""

    name = "syslog"

    def line(self, record: dict[str, Any], data: bytes, context: ExportContext) -> str:
        actor = record["actor"]
        params = (
            ("seq", str(record["seq"])),
            ("actor", f"{actor['kind']}:{actor['id']}"),
            ("outcome", record["outcome"]),
            ("target", record["target"]),
        )
        return syslog_message(
            facility=FACILITY_AUTHPRIV,
            severity=SEVERITY[record["outcome"]],
            timestamp=record["time"],
            hostname=context.hostname,
            app_name=context.app_name,
            procid=NILVALUE,
            msgid=record["action"],
            structured=structured_data(RECORD_SD_ID, params),
            message=data.decode("utf-8"),
        )
