"""Values the vault hands to its callers: environments, secrets, versions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from botwarden.crypto import Sensitive
from botwarden.vault.names import SecretName

VersionState = Literal["pending", "active", "deleted", "destroyed"]


@dataclass(frozen=True)
class EnvironmentInfo:
    name: str
    tier: str
    description: str
    created_at: datetime
    key_version: int
    secrets: int


@dataclass(frozen=True)
class VersionInfo:
    version: int
    state: VersionState
    created_at: datetime
    created_by: str
    deleted_at: datetime | None
    destroyed_at: datetime | None
    current: bool


@dataclass(frozen=True)
class SecretMetadata:
    name: SecretName
    current_version: int | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    last_rotated_at: datetime
    max_age_seconds: int | None
    rotation_plugin: str | None
    max_versions: int
    due: bool


@dataclass(frozen=True)
class SecretValue:
    """One decrypted version. Field values stay masked until revealed."""

    name: SecretName
    version: int
    fields: Mapping[str, Sensitive[str]]
    created_at: datetime

    def reveal(self) -> dict[str, str]:
        return {name: value.reveal() for name, value in self.fields.items()}
