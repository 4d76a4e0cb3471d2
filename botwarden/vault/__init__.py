"""The credential vault (P05): envelope-encrypted secrets, versions, keys and rotation."""

from botwarden.vault.deployment import (
    InitResult,
    backup_root_key,
    initialise,
    open_engine,
    open_vault,
    read_backup,
    rotate_root,
)
from botwarden.vault.durations import format_duration, parse_duration
from botwarden.vault.environments import add_environment, list_environments
from botwarden.vault.keyring import Keyring
from botwarden.vault.names import SecretName, parse_secret_name
from botwarden.vault.rewrap import EnvironmentRotation, rotate_environment_key
from botwarden.vault.service import Vault
from botwarden.vault.types import EnvironmentInfo, SecretMetadata, SecretValue, VersionInfo

__all__ = [
    "EnvironmentInfo",
    "EnvironmentRotation",
    "InitResult",
    "Keyring",
    "SecretMetadata",
    "SecretName",
    "SecretValue",
    "Vault",
    "VersionInfo",
    "add_environment",
    "backup_root_key",
    "format_duration",
    "initialise",
    "list_environments",
    "open_engine",
    "open_vault",
    "parse_duration",
    "parse_secret_name",
    "read_backup",
    "rotate_environment_key",
    "rotate_root",
]
