"""Tests of the command plugin with a real child process: stdin only, clean environment, limits."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from botwarden.crypto.sensitive import MASK
from botwarden.errors import RotationError
from botwarden.vault import SecretName, Vault
from botwarden.vault.rotation import rotate_secret

SCRIPT = Path(__file__).parent / "fake_target.py"
FIRST = "first-Pa55word-for-the-command"


def _command(record: Path, mode: str) -> list[str]:
    return [sys.executable, str(SCRIPT), str(record), mode]


def _records(record: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in record.read_text().splitlines()]


def _configure(vault: Vault, name: SecretName, record: Path, **modes: Any) -> None:
    options: dict[str, Any] = {"command": _command(record, modes.pop("apply", "ok"))}
    if "verify" in modes:
        options["verify_command"] = _command(record, modes.pop("verify"))
    options.update(modes)
    vault.set_policy(name, rotation_plugin="command", rotation_options=options, actor="alice")


@pytest.fixture
def record(tmp_path: Path, vault: Vault, name: SecretName) -> Path:
    vault.put(name, {"username": "svc", "password": FIRST}, actor="alice")
    return tmp_path / "record.jsonl"


def test_command_gets_the_secret_on_stdin_and_nowhere_else(
    vault: Vault, name: SecretName, record: Path
) -> None:
    _configure(vault, name, record, verify="ok")

    result = rotate_secret(vault, name, actor="alice")

    new = vault.read(name).reveal()["password"]
    apply, verify = _records(record)
    assert apply["document"] == {
        "action": "apply",
        "secret": "dev:db/app",
        "version": result.version,
        "current": {"username": "svc", "password": FIRST},
        "new": {"username": "svc", "password": new},
    }
    assert verify["document"]["action"] == "verify"
    for seen in (apply, verify):
        exposed = json.dumps([seen["argv"], seen["cmdline"], seen["environ"]])
        assert new not in exposed
        assert FIRST not in exposed


def test_command_runs_with_only_a_minimal_path(
    vault: Vault, name: SecretName, record: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_PASSWORD", "inherited-secret")
    _configure(vault, name, record)

    rotate_secret(vault, name, actor="alice")

    environ = _records(record)[0]["environ"]
    assert environ["PATH"] == "/usr/local/bin:/usr/bin:/bin"
    assert set(environ) <= {"PATH", "LC_CTYPE"}
    assert "inherited-secret" not in json.dumps(environ)


def test_non_zero_exit_raises_with_stderr_masked(
    vault: Vault, name: SecretName, record: Path
) -> None:
    _configure(vault, name, record, apply="fail")

    with pytest.raises(RotationError, match="exited with status 3: cannot set") as caught:
        rotate_secret(vault, name, actor="alice")

    pending = vault.read_pending(name)
    assert pending is not None
    message = str(caught.value)
    assert MASK in message
    assert pending.reveal()["password"] not in message
    assert FIRST not in message


def test_failed_command_is_retried_with_the_same_staged_password(
    vault: Vault, name: SecretName, record: Path
) -> None:
    _configure(vault, name, record, apply="fail")
    with pytest.raises(RotationError):
        rotate_secret(vault, name, actor="alice")
    _configure(vault, name, record, apply="ok")

    result = rotate_secret(vault, name, actor="alice")

    failed, succeeded = _records(record)
    assert result.resumed
    assert failed["document"]["new"] == succeeded["document"]["new"]
    assert vault.read(name).reveal() == succeeded["document"]["new"]


def test_failing_verify_command_keeps_the_rotation_pending(
    vault: Vault, name: SecretName, record: Path
) -> None:
    _configure(vault, name, record, verify="fail")

    with pytest.raises(RotationError, match=r"verify command .* exited with status 3"):
        rotate_secret(vault, name, actor="alice")

    assert vault.read(name).reveal()["password"] == FIRST
    assert vault.read_pending(name) is not None


def test_command_past_its_timeout_is_killed_with_its_children(
    vault: Vault, name: SecretName, record: Path
) -> None:
    _configure(vault, name, record, apply="hang", timeout=1)
    started = time.monotonic()

    with pytest.raises(RotationError, match="did not finish within 1 seconds") as caught:
        rotate_secret(vault, name, actor="alice")

    assert time.monotonic() - started < 10
    pending = vault.read_pending(name)
    assert pending is not None
    assert pending.reveal()["password"] not in str(caught.value)
    assert f"hanging with {MASK}" in str(caught.value)
    assert caught.value.__context__ is None
    seen = _records(record)[0]
    for pid in (seen["pid"], seen["grandchild"]):
        assert _gone_or_zombie(pid)


def test_missing_program_is_reported_without_a_traceback_of_secrets(
    vault: Vault, name: SecretName, record: Path
) -> None:
    vault.set_policy(
        name,
        rotation_plugin="command",
        rotation_options={"command": ["/nonexistent/set-password"]},
        actor="alice",
    )

    with pytest.raises(RotationError, match="could not start: No such file"):
        rotate_secret(vault, name, actor="alice")


def _gone_or_zombie(pid: int) -> bool:
    for _ in range(50):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in {"Z", "X"}:
            return True
        time.sleep(0.1)
    return False
