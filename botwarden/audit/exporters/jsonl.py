"""The ``jsonl`` export format: each record's stored canonical JSON, unchanged, one per line."""

from __future__ import annotations

from typing import Any

from botwarden.audit.exporters.interface import ExportContext, Exporter


class JsonLinesExporter(Exporter):
    """Records exactly as stored, so that anyone can recompute their leaf hashes."""

    name = "jsonl"

    def line(self, record: dict[str, Any], data: bytes, context: ExportContext) -> str:
        # NOTE: the bytes were checked to be canonical UTF-8 JSON, which escapes
        # every control character, so a record can never span two lines.
        return data.decode("utf-8")
