"""The database: engines, the shared base and tables, transactions and migrations."""

from botwarden.store.base import Base, UTCDateTime, utcnow
from botwarden.store.engine import create_engine
from botwarden.store.migrate import HEAD_REVISION, check_schema, current_revision, upgrade
from botwarden.store.models import EnvironmentRow, environments_table, inserted_id
from botwarden.store.session import transaction

__all__ = [
    "HEAD_REVISION",
    "Base",
    "EnvironmentRow",
    "UTCDateTime",
    "check_schema",
    "create_engine",
    "current_revision",
    "environments_table",
    "inserted_id",
    "transaction",
    "upgrade",
    "utcnow",
]
