"""Tests of the PostgreSQL plugin against a private cluster that really checks passwords."""

from __future__ import annotations

import traceback
from typing import Any

import pytest
import structlog

from botwarden.errors import RotationError
from botwarden.vault import SecretName, Vault, parse_secret_name
from botwarden.vault.rotation import RotationJob, rotate_secret
from botwarden.vault.rotation.postgres import PostgresOptions, PostgresPlugin
from tests.helpers import find_leaks
from tests.vault.rotation.cluster import HOST, PrivateCluster

OLD = "old-Passw0rd-that-must-never-reach-the-server"
ADMIN = parse_secret_name("dev:db/admin")


class Crash(BaseException):
    """The process dying mid-rotation: nothing in botwarden catches it."""


class CrashBeforeApply(PostgresPlugin):
    def apply(self, job: RotationJob[PostgresOptions]) -> None:
        raise Crash


class CrashAfterApply(PostgresPlugin):
    def apply(self, job: RotationJob[PostgresOptions]) -> None:
        super().apply(job)
        raise Crash


class ForgetfulPlugin(PostgresPlugin):
    """Claims to apply the new password but leaves the server alone."""

    def apply(self, job: RotationJob[PostgresOptions]) -> None:
        return None


def _store_role(
    vault: Vault,
    cluster: PrivateCluster,
    name: SecretName,
    role: str,
    password: str = OLD,
    **options: Any,
) -> None:
    fields = {
        "host": HOST,
        "port": str(cluster.port),
        "username": role,
        "password": password,
        "database": "postgres",
    }
    vault.put(name, fields, actor="alice")
    vault.set_policy(
        name,
        rotation_plugin="postgresql",
        rotation_options={"sslmode": "disable", **options},
        actor="alice",
    )


@pytest.fixture
def target(vault: Vault, cluster: PrivateCluster, name: SecretName, role: str) -> str:
    """A role that changes its own password, its secret stored in the vault."""

    cluster.create_role(role, OLD)
    _store_role(vault, cluster, name, role)
    return role


@pytest.fixture
def admin_target(vault: Vault, cluster: PrivateCluster, name: SecretName, role: str) -> str:
    """A role whose password an admin role with CREATEROLE changes."""

    admin_role, admin_password = f"{role}_admin", f"admin-{role}-Passw0rd"
    cluster.create_role(admin_role, admin_password, createrole=True)
    cluster.create_role(role, OLD)
    _store_role(vault, cluster, ADMIN, admin_role, admin_password)
    _store_role(vault, cluster, name, role, admin_secret=str(ADMIN))
    return role


def assert_rotated(vault: Vault, cluster: PrivateCluster, name: SecretName, role: str) -> str:
    """One current version, nothing pending, the new password in force and the old one dead."""

    history = vault.history(name)
    assert [info.version for info in history if info.current] == [history[-1].version]
    assert all(info.state != "pending" for info in history)
    new = vault.read(name).reveal()["password"]
    assert new != OLD
    assert cluster.can_log_in(role, new)
    assert not cluster.can_log_in(role, OLD)
    return new


def test_role_rotates_its_own_password(
    vault: Vault, cluster: PrivateCluster, name: SecretName, target: str
) -> None:
    result = rotate_secret(vault, name, actor="alice")

    assert (result.previous_version, result.version, result.resumed) == (1, 2, False)
    assert_rotated(vault, cluster, name, target)


def test_admin_secret_rotates_the_role_password(
    vault: Vault, cluster: PrivateCluster, name: SecretName, admin_target: str
) -> None:
    rotate_secret(vault, name, actor="alice")

    assert_rotated(vault, cluster, name, admin_target)
    assert vault.read(ADMIN).version == 1


@pytest.mark.parametrize("via_admin", [False, True], ids=["self", "admin"])
def test_server_log_holds_the_verifier_but_never_a_plaintext_password(
    vault: Vault,
    cluster: PrivateCluster,
    name: SecretName,
    role: str,
    via_admin: bool,
    request: pytest.FixtureRequest,
) -> None:
    request.getfixturevalue("admin_target" if via_admin else "target")

    rotate_secret(vault, name, actor="alice")

    new = assert_rotated(vault, cluster, name, role)
    log = cluster.log_text()
    assert cluster.stored_verifier(role) in log
    assert f'ALTER ROLE "{role}" PASSWORD \'SCRAM-SHA-256$4096:' in log
    assert find_leaks(new, log.encode()) == []
    assert find_leaks(OLD, log.encode()) == []


def test_rotation_logs_and_audit_hold_no_password(
    vault: Vault, cluster: PrivateCluster, name: SecretName, target: str
) -> None:
    with structlog.testing.capture_logs() as captured:
        rotate_secret(vault, name, actor="alice")

    new = assert_rotated(vault, cluster, name, target)
    assert find_leaks(new, repr(captured).encode()) == []
    assert find_leaks(OLD, repr(captured).encode()) == []


def test_crash_after_staging_is_finished_by_the_next_rotation(
    vault: Vault, cluster: PrivateCluster, name: SecretName, target: str
) -> None:
    with pytest.raises(Crash):
        rotate_secret(vault, name, actor="alice", plugins={"postgresql": CrashBeforeApply()})
    assert vault.read_pending(name) is not None
    assert cluster.can_log_in(target, OLD)

    result = rotate_secret(vault, name, actor="alice")

    assert result.resumed
    assert_rotated(vault, cluster, name, target)


@pytest.mark.parametrize("via_admin", [False, True], ids=["self", "admin"])
def test_crash_after_apply_is_finished_by_the_next_rotation(
    vault: Vault,
    cluster: PrivateCluster,
    name: SecretName,
    role: str,
    via_admin: bool,
    request: pytest.FixtureRequest,
) -> None:
    request.getfixturevalue("admin_target" if via_admin else "target")
    with pytest.raises(Crash):
        rotate_secret(vault, name, actor="alice", plugins={"postgresql": CrashAfterApply()})
    pending = vault.read_pending(name)
    assert pending is not None
    assert cluster.can_log_in(role, pending.reveal()["password"])
    assert vault.read(name).reveal()["password"] == OLD

    with structlog.testing.capture_logs() as captured:
        result = rotate_secret(vault, name, actor="alice")

    assert result.resumed
    assert result.version == pending.version
    assert assert_rotated(vault, cluster, name, role) == pending.reveal()["password"]
    already = [entry for entry in captured if entry["event"] == "secret.rotate.already_applied"]
    assert len(already) == (0 if via_admin else 1)


def test_crash_after_verify_before_promote_is_finished_by_the_next_rotation(
    vault: Vault,
    cluster: PrivateCluster,
    name: SecretName,
    target: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def crash(*_args: object, **_kwargs: object) -> None:
        raise Crash

    monkeypatch.setattr(vault, "promote_pending", crash)
    with pytest.raises(Crash):
        rotate_secret(vault, name, actor="alice")
    monkeypatch.undo()
    pending = vault.read_pending(name)
    assert pending is not None
    assert vault.metadata(name).current_version == 1

    result = rotate_secret(vault, name, actor="alice")

    assert result.resumed
    assert assert_rotated(vault, cluster, name, target) == pending.reveal()["password"]


def test_wrong_admin_password_is_refused_without_revealing_any_password(
    vault: Vault, cluster: PrivateCluster, name: SecretName, admin_target: str
) -> None:
    wrong = "wrong-admin-Passw0rd-canary"
    admin = vault.read(ADMIN).reveal()
    vault.put(ADMIN, {**admin, "password": wrong}, actor="alice")

    with pytest.raises(RotationError, match=r"could not log in to role .* admin secret") as caught:
        rotate_secret(vault, name, actor="alice")

    error = caught.value
    assert "password authentication failed" in str(error)
    assert error.__cause__ is None
    assert error.__context__ is None
    pending = vault.read_pending(name)
    assert pending is not None
    rendered = "".join(traceback.format_exception(error)) + error.hint + repr(error)
    for password in (wrong, OLD, pending.reveal()["password"]):
        assert find_leaks(password, rendered.encode()) == []
    assert cluster.can_log_in(admin_target, OLD)


def test_new_password_that_does_not_log_in_fails_verification(
    vault: Vault, cluster: PrivateCluster, name: SecretName, target: str
) -> None:
    with pytest.raises(RotationError, match=r"the new password: .*authentication failed"):
        rotate_secret(vault, name, actor="alice", plugins={"postgresql": ForgetfulPlugin()})

    assert vault.read_pending(name) is not None
    assert vault.read(name).reveal()["password"] == OLD


def test_server_that_skips_the_password_check_fails_verification(
    vault: Vault, cluster: PrivateCluster, name: SecretName, target: str
) -> None:
    cluster.trust_role(target)
    with pytest.raises(RotationError, match="scram-sha-256"):
        rotate_secret(vault, name, actor="alice")
    vault.set_policy(
        name,
        rotation_plugin="postgresql",
        rotation_options={"sslmode": "disable", "unsafe_allow_weaker_auth": True},
        actor="alice",
    )

    with pytest.raises(RotationError, match="still accepts the old password"):
        rotate_secret(vault, name, actor="alice")

    assert vault.read(name).reveal()["password"] == OLD


def test_current_password_unknown_to_the_server_is_reported(
    vault: Vault, cluster: PrivateCluster, name: SecretName, role: str
) -> None:
    cluster.create_role(role, "a-password-the-vault-never-knew")
    _store_role(vault, cluster, name, role)

    with pytest.raises(RotationError, match="refuses the current password") as caught:
        rotate_secret(vault, name, actor="alice")

    assert OLD not in str(caught.value)


def test_admin_secret_of_another_environment_is_refused(
    vault: Vault, cluster: PrivateCluster, name: SecretName, target: str
) -> None:
    vault.set_policy(
        name,
        rotation_plugin="postgresql",
        rotation_options={"sslmode": "disable", "admin_secret": "prod:db/admin"},
        actor="alice",
    )

    with pytest.raises(RotationError, match="not in the environment of dev:db/app"):
        rotate_secret(vault, name, actor="alice")

    assert cluster.can_log_in(target, OLD)


def test_secret_without_a_host_is_refused_before_anything_is_staged(
    vault: Vault, name: SecretName
) -> None:
    vault.put(name, {"username": "app", "password": OLD}, actor="alice")
    vault.set_policy(name, rotation_plugin="postgresql", actor="alice")

    with pytest.raises(RotationError, match="has no field 'host'"):
        rotate_secret(vault, name, actor="alice")

    assert vault.read_pending(name) is None
