"""Audit export formats: JSON lines, RFC 5424 syslog and OCSF API Activity."""

from botwarden.audit.exporters.export import EXPORT_FORMATS, export_records
from botwarden.audit.exporters.interface import ExportContext, Exporter, ExportError

__all__ = ["EXPORT_FORMATS", "ExportContext", "ExportError", "Exporter", "export_records"]
