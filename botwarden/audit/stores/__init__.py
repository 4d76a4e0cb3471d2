"""Where audit records live: files under the home by default, or a PostgreSQL database."""

from botwarden.audit.stores.files import FileAuditStore
from botwarden.audit.stores.interface import AuditStore, StoredCheckpoint

__all__ = ["AuditStore", "FileAuditStore", "StoredCheckpoint"]
