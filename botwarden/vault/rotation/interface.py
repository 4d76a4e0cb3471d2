"""The contract of a rotation plugin and the job the engine hands it at each step.

A plugin knows one kind of target system (a database role, an API key, a
script that updates an appliance). The engine drives it through three steps,
and may drive it through the same step twice after a crash, so each step is
idempotent::

    validate_options(options)    the policy's JSON options, checked and typed
    generate(current, options)   the new fields, computed from the current ones
    apply(job)                   the target system takes the new value
    verify(job)                  the new value works and the old one no longer does

``RotationPluginError`` is the base of what plugins raise; it is a
``RotationError``, so callers catch one family.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from botwarden.crypto import Sensitive
from botwarden.errors import RotationError
from botwarden.vault.names import SecretName
from botwarden.vault.service import Vault

OptionsT = TypeVar("OptionsT")

SecretFields = Mapping[str, Sensitive[str]]

RESUME_HINT = "Fix the cause and rotate again: the rotation resumes with the value already staged."


class RotationPluginError(RotationError):
    """A plugin could not apply or verify a new value on its target system."""

    code = "rotation-plugin-failed"
    default_hint = RESUME_HINT


@dataclass(frozen=True)
class RotationJob(Generic[OptionsT]):
    """One rotation in progress: the current fields, the staged new ones, the options."""

    name: SecretName
    version: int
    current: SecretFields
    new: SecretFields
    options: OptionsT
    vault: Vault
    actor: str
    resumed: bool


class RotationPlugin(ABC, Generic[OptionsT]):
    """A kind of target system whose credential botwarden can rotate."""

    name: ClassVar[str]

    @abstractmethod
    def validate_options(self, options: Mapping[str, object]) -> OptionsT:
        """Check the policy's options and return them typed; raise ``InvalidInputError``."""

    @abstractmethod
    def generate(self, current: SecretFields, options: OptionsT) -> dict[str, Sensitive[str]]:
        """The complete fields of the next version, computed from the current ones."""

    @abstractmethod
    def apply(self, job: RotationJob[OptionsT]) -> None:
        """Give the target system ``job.new``; a second call with the same job is harmless."""

    @abstractmethod
    def verify(self, job: RotationJob[OptionsT]) -> None:
        """Prove ``job.new`` works on the target and ``job.current`` no longer does, or raise."""
