"""The `botwarden` command as users run it: real processes, stdin, exit codes, no leaks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import find_leaks, postgres_schema_url

Run = subprocess.CompletedProcess[str]


class Botwarden:
    """Runs the CLI in a subprocess against one home."""

    def __init__(self, home: Path, database_url: str = "") -> None:
        self.environ = {
            "PATH": os.environ.get("PATH", ""),
            "BOTWARDEN_HOME": str(home),
            "BOTWARDEN_DEPLOYMENT": "dev",
        }
        if database_url:
            self.environ["BOTWARDEN_DATABASE_URL"] = database_url
        self.outputs: list[str] = []

    def __call__(self, *args: str, stdin: str = "", check: bool = True) -> Run:
        result = subprocess.run(
            [sys.executable, "-m", "botwarden.cli.main", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.environ,
            timeout=120,
            check=False,
        )
        self.outputs.append(result.stdout + result.stderr)
        if check and result.returncode != 0:
            raise AssertionError(f"botwarden {' '.join(args)} failed:\n{result.stderr}")
        return result


@pytest.fixture(scope="session")
def initialised_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One home initialised by the real `init`, copied for each test (SQLite)."""

    template = tmp_path_factory.mktemp("template") / "home"
    Botwarden(template)("init")
    return template


@pytest.fixture
def botwarden(initialised_home: Path, home: Path) -> Botwarden:
    shutil.copytree(initialised_home, home)
    return Botwarden(home)


def test_the_same_commands_work_on_postgresql(home: Path, postgres_database: str) -> None:
    for url in postgres_schema_url(postgres_database):
        botwarden = Botwarden(home, url)
        botwarden("init")
        botwarden("secret", "put", "prod:erp/login", stdin='{"password": "on-postgres"}')
        botwarden("key", "rotate", "--env", "prod")
        botwarden("key", "rotate", "--root")
        value = botwarden("secret", "get", "prod:erp/login", "--reveal", "--field", "password")

        assert value.stdout.strip() == "on-postgres"
        assert not (home / "botwarden.db").exists()


def test_init_without_options_writes_the_key_file_and_never_prompts(home: Path) -> None:
    result = Botwarden(home)("init", "--json")

    summary = json.loads(result.stdout)
    assert summary["key_source"] == "file"
    assert Path(summary["root_key"]) == home / "keys" / "root.key"


def test_put_from_stdin_then_get_hides_values_unless_revealed(
    botwarden: Botwarden, canary: str
) -> None:
    fields = json.dumps({"username": "bot", "password": canary})

    botwarden("secret", "put", "prod:erp/login", stdin=fields)
    hidden = botwarden("secret", "get", "prod:erp/login")
    shown = botwarden("secret", "get", "prod:erp/login", "--reveal", "--json")
    one = botwarden("secret", "get", "prod:erp/login", "--reveal", "--field", "password")

    assert "password = (hidden)" in hidden.stdout
    assert canary not in hidden.stdout + hidden.stderr
    assert json.loads(shown.stdout)["fields"] == {"username": "bot", "password": canary}
    assert one.stdout == canary + "\n"


def test_field_prompts_read_each_value_from_stdin(botwarden: Botwarden) -> None:
    botwarden(
        "secret", "put", "prod:mail/imap", "--field", "username", "--field", "password",
        stdin="mailbot\nhunter2-long\n",
    )  # fmt: skip

    shown = botwarden("secret", "get", "prod:mail/imap", "--reveal", "--json")

    assert json.loads(shown.stdout)["fields"] == {"username": "mailbot", "password": "hunter2-long"}


def test_history_delete_undelete_and_destroy(botwarden: Botwarden) -> None:
    for value in ("one", "two", "three"):
        botwarden("secret", "put", "dev:app/key", stdin=json.dumps({"key": value}))

    botwarden("secret", "delete", "dev:app/key")
    deleted = botwarden("secret", "get", "dev:app/key", check=False)
    botwarden("secret", "undelete", "dev:app/key")
    botwarden("secret", "destroy", "dev:app/key", "--version", "1", "--yes")
    history = json.loads(botwarden("secret", "history", "dev:app/key", "--json").stdout)

    assert deleted.returncode == 1
    assert "version 3 is deleted" in deleted.stderr
    assert "secret undelete" in deleted.stderr
    assert [(item["version"], item["state"]) for item in history] == [
        (1, "destroyed"),
        (2, "active"),
        (3, "active"),
    ]


def test_list_due_and_environments(botwarden: Botwarden) -> None:
    botwarden("secret", "put", "prod:erp/login", "--max-age", "90d", stdin='{"password": "x"}')
    botwarden("env", "add", "staging", "--tier", "test", "--description", "pre-production")

    listed = json.loads(botwarden("secret", "list", "prod", "--json").stdout)
    due = json.loads(botwarden("secret", "list", "prod", "--due", "--json").stdout)
    environments = json.loads(botwarden("env", "list", "--json").stdout)

    assert [item["name"] for item in listed] == ["prod:erp/login"]
    assert listed[0]["max_age_seconds"] == 90 * 86400
    assert due == []
    assert [item["name"] for item in environments] == ["dev", "test", "prod", "staging"]


def test_key_rotation_commands_keep_the_secret_readable(botwarden: Botwarden, canary: str) -> None:
    botwarden("secret", "put", "prod:erp/login", stdin=json.dumps({"password": canary}))

    env_rotation = json.loads(botwarden("key", "rotate", "--env", "prod", "--json").stdout)
    botwarden("key", "rotate", "--root")
    value = botwarden("secret", "get", "prod:erp/login", "--reveal", "--field", "password")

    assert env_rotation["rewrapped"] == 1
    assert value.stdout.strip() == canary


def test_backup_then_restore_into_a_new_home(
    botwarden: Botwarden, home: Path, tmp_path: Path
) -> None:
    botwarden("secret", "put", "prod:erp/login", stdin='{"password": "kept"}')
    backup = tmp_path / "root.backup"
    botwarden("key", "backup", "--output", str(backup), stdin="a backup passphrase\n")

    (home / "keys" / "root.key").unlink()
    (home / "config.toml").unlink()
    lost = botwarden("secret", "get", "prod:erp/login", check=False)
    botwarden("init", "--restore", str(backup), stdin="a backup passphrase\n")
    value = botwarden("secret", "get", "prod:erp/login", "--reveal", "--field", "password")

    assert lost.returncode == 1
    assert "no root key file" in lost.stderr
    assert value.stdout.strip() == "kept"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["secret", "put", "prod:../etc"], '{"a": "b"}', "contains '..'"),
        (["secret", "put", "prod:a//b"], '{"a": "b"}', "empty segment"),
        (["secret", "put", "qa:erp/login"], '{"a": "b"}', "unknown environment 'qa'"),
        (["secret", "put", "prod:erp/login"], "not json", "not a JSON object"),
        (["secret", "put", "prod:erp/login"], '["a"]', "must hold a JSON object"),
        (["secret", "put", "prod:erp/login"], "{}", "has no fields"),
        (["secret", "put", "prod:erp/login"], json.dumps({"p": "x" * 70000}), "over the limit"),
        (["secret", "get", "prod:nothing/here"], "", "no secret prod:nothing/here"),
        (["secret", "destroy", "prod:erp/login", "--yes"], "", "name the versions"),
        (["key", "rotate"], "", "choose what to rotate"),
        (["env", "add", "Bad_Name"], "", "invalid environment name"),
        (["secret", "put", "prod:erp/login", "--max-age", "soon"], '{"a": "b"}', "not a duration"),
    ],
)
def test_bad_input_gets_a_clear_error_and_stores_nothing(
    botwarden: Botwarden, args: list[str], stdin: str, message: str
) -> None:
    result = botwarden(*args, stdin=stdin, check=False)
    listed = botwarden("secret", "list", "prod", "--json")

    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(listed.stdout) == []


def test_usage_errors_exit_with_2(botwarden: Botwarden) -> None:
    result = botwarden("secret", "put", check=False)

    assert result.returncode == 2
    assert "Missing argument" in result.stderr


def test_a_corrupt_key_file_is_reported_not_a_traceback(botwarden: Botwarden, home: Path) -> None:
    key_file = home / "keys" / "root.key"
    key_file.write_text(key_file.read_text()[:40])

    result = botwarden("secret", "list", "prod", check=False)

    assert result.returncode == 1
    assert "corrupt or truncated" in result.stderr
    assert "init --restore" in result.stderr


def test_no_command_output_ever_shows_a_canary_unless_revealed(
    botwarden: Botwarden, canary: str
) -> None:
    botwarden("secret", "put", "prod:erp/login", stdin=json.dumps({"password": canary}))
    botwarden(
        "secret",
        "put",
        "prod:erp/login",
        stdin=json.dumps({"password": canary, "n": 1}),
        check=False,
    )
    for args in (
        ["secret", "get", "prod:erp/login"],
        ["secret", "get", "prod:erp/login", "--json"],
        ["secret", "list", "prod", "--json"],
        ["secret", "history", "prod:erp/login"],
        ["key", "rotate", "--env", "prod"],
    ):
        botwarden(*args)

    assert [output for output in botwarden.outputs if find_leaks(canary, output.encode())] == []


def test_rotate_through_the_command_plugin(botwarden: Botwarden, tmp_path: Path) -> None:
    applied = tmp_path / "applied.json"
    script = tmp_path / "apply.py"
    script.write_text(
        "import json, pathlib, sys\n"
        f"pathlib.Path({str(applied)!r}).write_text(json.dumps(json.load(sys.stdin)['new']))\n"
    )
    options = json.dumps({"command": [sys.executable, str(script)]})
    botwarden("secret", "put", "prod:app/token", stdin='{"username": "bot", "password": "old"}')

    result = botwarden(
        "secret", "rotate", "prod:app/token", "--plugin", "command", "--options", options, "--json"
    )
    current = botwarden("secret", "get", "prod:app/token", "--reveal", "--json")

    fields = json.loads(current.stdout)["fields"]
    assert json.loads(result.stdout)["version"] == 2
    assert json.loads(applied.read_text()) == fields
    assert fields["username"] == "bot"
    assert fields["password"] not in {"old", ""}


def test_rotate_with_an_unknown_plugin_changes_nothing(botwarden: Botwarden) -> None:
    botwarden("secret", "put", "prod:app/token", stdin='{"password": "old"}')

    result = botwarden("secret", "rotate", "prod:app/token", "--plugin", "teleport", check=False)
    history = json.loads(botwarden("secret", "history", "prod:app/token", "--json").stdout)

    assert result.returncode == 1
    assert "teleport" in result.stderr
    assert [item["version"] for item in history] == [1]


def test_commands_that_only_read_leave_the_audit_log_untouched(
    botwarden: Botwarden, home: Path
) -> None:
    botwarden("secret", "put", "prod:erp/login", stdin='{"password": "x-audited"}')
    audit_files = sorted((home / "audit").glob("*.jsonl"))
    before = [path.read_bytes() for path in audit_files]

    for args in (
        ["secret", "list", "prod"],
        ["secret", "history", "prod:erp/login"],
        ["env", "list"],
    ):
        botwarden(*args)

    assert [path.read_bytes() for path in audit_files] == before
    assert b'"secret.write"' in (home / "audit" / "records.jsonl").read_bytes()
