"""Exporting audit records to other systems as JSON lines, RFC 5424 syslog or OCSF events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from botwarden.audit.exporters.interface import ExportContext, Exporter, ExportError, check_members
from botwarden.audit.exporters.jsonl import JsonLinesExporter
from botwarden.audit.exporters.ocsf import OcsfExporter
from botwarden.audit.exporters.syslog import SyslogExporter
from botwarden.audit.records import RecordFormatError, parse_record

EXPORTERS: dict[str, Exporter] = {
    exporter.name: exporter for exporter in (JsonLinesExporter(), SyslogExporter(), OcsfExporter())
}
EXPORT_FORMATS = tuple(EXPORTERS)


def export_records(
    records: Iterable[bytes],
    format: str,
    out: TextIO,
    *,
    hostname: str,
    app_name: str = "botwarden",
) -> int:
    """Write each record to ``out`` as one line of ``format``; return how many were written.

    Each record is the canonical JSON it was stored as (a trailing line break
    is allowed). Exporting needs no key and writes nowhere but ``out``; it
    stops at the first record that is not well-formed, after the lines before it.
    """

    exporter = EXPORTERS.get(format)
    if exporter is None:
        raise ExportError(
            f"there is no audit export format {format!a}",
            hint=f"The formats are: {', '.join(EXPORT_FORMATS)}.",
        )
    context = ExportContext(hostname=hostname, app_name=app_name)

    count = 0
    for data in records:
        stored = data.removesuffix(b"\n")
        try:
            record = parse_record(stored)
        except RecordFormatError as error:
            raise ExportError(f"record {count + 1} of the export is malformed: {error}") from error
        check_members(record)
        out.write(exporter.line(record, stored, context) + "\n")
        count += 1
    return count
