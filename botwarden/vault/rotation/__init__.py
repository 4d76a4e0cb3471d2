"""Rotation of secrets on their target systems, through plugins, resumable after a crash."""

from botwarden.vault.rotation.engine import RotationResult, rotate_secret
from botwarden.vault.rotation.interface import (
    RotationJob,
    RotationPlugin,
    RotationPluginError,
    SecretFields,
)
from botwarden.vault.rotation.passwords import PasswordPolicy
from botwarden.vault.rotation.registry import PluginRegistry, registry, validate_policy

__all__ = [
    "PasswordPolicy",
    "PluginRegistry",
    "RotationJob",
    "RotationPlugin",
    "RotationPluginError",
    "RotationResult",
    "SecretFields",
    "registry",
    "rotate_secret",
    "validate_policy",
]
