"""Tables of the vault: the root key's fingerprint, environment keys, secrets and their versions."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from botwarden.store.base import Base, UTCDateTime


class RootKeyRow(Base):
    """The fingerprint of the root key in force; the key itself never enters the database."""

    __tablename__ = "vault_root_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class EnvironmentKeyRow(Base):
    """One version of an environment's key-encryption key, wrapped by the root key."""

    __tablename__ = "vault_environment_keys"
    __table_args__ = (UniqueConstraint("environment_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SecretRow(Base):
    """A secret's identity and metadata; its values live in versions."""

    __tablename__ = "vault_secrets"
    __table_args__ = (UniqueConstraint("environment_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(512))
    current_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    next_version: Mapped[int] = mapped_column(Integer, default=1)
    max_versions: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rotation_max_age_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rotation_plugin: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rotation_options: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_rotated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SecretVersionRow(Base):
    """One version of a secret: its fields encrypted under its own data key."""

    __tablename__ = "vault_secret_versions"
    __table_args__ = (
        UniqueConstraint("secret_id", "version"),
        Index("ix_vault_secret_versions_rewrap", "environment_id", "key_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_id: Mapped[int] = mapped_column(ForeignKey("vault_secrets.id", ondelete="CASCADE"))
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    key_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    wrapped_data_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


secrets_table = cast(Table, SecretRow.__table__)
versions_table = cast(Table, SecretVersionRow.__table__)
environment_keys_table = cast(Table, EnvironmentKeyRow.__table__)
root_key_table = cast(Table, RootKeyRow.__table__)
