"""The whole schema: every capability's tables, for migrations and the tests that check them."""

from __future__ import annotations

from sqlalchemy import MetaData


def full_metadata() -> MetaData:
    """The metadata with every table of every capability registered."""

    import botwarden.audit.models
    import botwarden.store.models
    import botwarden.vault.models  # noqa: F401
    from botwarden.store.base import Base

    return Base.metadata
