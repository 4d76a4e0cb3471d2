"""Tests of the rotation engine with an in-memory target: step order, audit, resumption."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
import structlog

from botwarden.crypto import Sensitive
from botwarden.errors import ConflictError, RotationError
from botwarden.vault import SecretName, Vault
from botwarden.vault.rotation import RotationJob, RotationPlugin, RotationPluginError, rotate_secret
from botwarden.vault.rotation.interface import SecretFields
from botwarden.vault.rotation.options import reject_unknown
from botwarden.vault.rotation.passwords import PasswordPolicy, with_new_password


class MemoryPlugin(RotationPlugin[None]):
    """A target system that is one password in memory."""

    name = "memory"

    def __init__(self, password: str) -> None:
        self.password = password
        self.fail_at: str | None = None
        self.steps: list[str] = []

    def validate_options(self, options: Mapping[str, object]) -> None:
        reject_unknown(options, (), self.name)

    def generate(self, current: SecretFields, options: None) -> dict[str, Sensitive[str]]:
        return with_new_password(current, "password", PasswordPolicy())

    def apply(self, job: RotationJob[None]) -> None:
        self.steps.append("apply")
        if self.fail_at == "apply":
            raise RotationPluginError("the target is down")
        self.password = job.new["password"].reveal()

    def verify(self, job: RotationJob[None]) -> None:
        self.steps.append("verify")
        if self.password != job.new["password"].reveal():
            raise RotationPluginError("the target does not hold the new password")


@pytest.fixture
def target(vault: Vault, name: SecretName) -> MemoryPlugin:
    vault.put(name, {"username": "app", "password": "first-password"}, actor="alice")
    vault.set_policy(name, rotation_plugin="memory", rotation_options={}, actor="alice")
    return MemoryPlugin("first-password")


def _audited(captured: Sequence[Mapping[str, Any]]) -> list[tuple[object, object]]:
    return [
        (entry["action"], entry["outcome"])
        for entry in captured
        if str(entry.get("action", "")).startswith("secret.rotate.")
    ]


def test_rotation_stages_applies_verifies_then_promotes(
    vault: Vault, name: SecretName, target: MemoryPlugin
) -> None:
    result = rotate_secret(vault, name, actor="alice", plugins={"memory": target})

    assert (result.previous_version, result.version, result.resumed) == (1, 2, False)
    assert vault.read(name).reveal() == {"username": "app", "password": target.password}
    assert target.password != "first-password"
    assert vault.read_pending(name) is None
    assert vault.metadata(name).current_version == 2


def test_every_step_is_audited_without_secret_values(
    vault: Vault, name: SecretName, target: MemoryPlugin
) -> None:
    with structlog.testing.capture_logs() as captured:
        rotate_secret(vault, name, actor="alice", plugins={"memory": target})

    assert _audited(captured) == [
        ("secret.rotate.stage", "allowed"),
        ("secret.rotate.apply", "allowed"),
        ("secret.rotate.verify", "allowed"),
        ("secret.rotate.promote", "allowed"),
    ]
    assert all(entry["actor"] == "system:alice" for entry in captured if "actor" in entry)
    everything = repr(captured)
    assert "first-password" not in everything
    assert target.password not in everything


def test_failed_step_is_audited_raises_and_keeps_the_pending_version(
    vault: Vault, name: SecretName, target: MemoryPlugin
) -> None:
    target.fail_at = "apply"

    with (
        structlog.testing.capture_logs() as captured,
        pytest.raises(RotationError, match="the target is down") as caught,
    ):
        rotate_secret(vault, name, actor="alice", plugins={"memory": target})

    assert "resumes" in caught.value.hint
    assert _audited(captured)[-1] == ("secret.rotate.apply", "failed")
    assert vault.read_pending(name) is not None
    assert vault.read(name).reveal()["password"] == "first-password"


def test_next_rotation_resumes_with_the_staged_value(
    vault: Vault, name: SecretName, target: MemoryPlugin
) -> None:
    target.fail_at = "apply"
    with pytest.raises(RotationError):
        rotate_secret(vault, name, actor="alice", plugins={"memory": target})
    staged = vault.read_pending(name)
    assert staged is not None
    target.fail_at = None

    result = rotate_secret(vault, name, actor="alice", plugins={"memory": target})

    assert result.resumed
    assert result.version == staged.version
    assert target.password == staged.reveal()["password"]
    assert vault.read(name).reveal() == staged.reveal()


def test_unexpected_exception_is_translated_without_its_text(
    vault: Vault, name: SecretName, target: MemoryPlugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    def leaky(job: RotationJob[None]) -> None:
        raise ValueError(f"bad password {job.new['password'].reveal()}")

    monkeypatch.setattr(target, "apply", leaky)

    with pytest.raises(RotationError, match="unexpected ValueError") as caught:
        rotate_secret(vault, name, actor="alice", plugins={"memory": target})

    pending = vault.read_pending(name)
    assert pending is not None
    assert pending.reveal()["password"] not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_promotion_done_by_a_concurrent_rotation_counts_as_success(
    vault: Vault, name: SecretName, target: MemoryPlugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    promote = vault.promote_pending

    def promoted_twice(name_: SecretName, version: int, *, actor: str) -> None:
        promote(name_, version, actor=actor)
        raise ConflictError(f"{name_} has no pending version {version}")

    monkeypatch.setattr(vault, "promote_pending", promoted_twice)

    result = rotate_secret(vault, name, actor="alice", plugins={"memory": target})

    assert vault.metadata(name).current_version == result.version


def test_secret_without_a_rotation_plugin_is_refused(vault: Vault, name: SecretName) -> None:
    vault.put(name, {"password": "p"}, actor="alice")

    with pytest.raises(RotationError, match="has no rotation plugin"):
        rotate_secret(vault, name, actor="alice")


def test_unknown_stored_plugin_is_refused(vault: Vault, name: SecretName) -> None:
    vault.put(name, {"password": "p"}, actor="alice")
    vault.set_policy(name, rotation_plugin="ldap", actor="alice")

    with pytest.raises(RotationError, match="no rotation plugin 'ldap'"):
        rotate_secret(vault, name, actor="alice")


def test_invalid_stored_options_are_refused_before_anything_is_staged(
    vault: Vault, name: SecretName
) -> None:
    vault.put(name, {"password": "p"}, actor="alice")
    vault.set_policy(
        name, rotation_plugin="command", rotation_options={"command": ["rel"]}, actor="alice"
    )

    with pytest.raises(RotationError, match=r"policy of dev:db/app is invalid: .*absolute path"):
        rotate_secret(vault, name, actor="alice")

    assert vault.read_pending(name) is None
