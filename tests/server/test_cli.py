"""`botwarden server`, `unseal` and `ca export`, invoked in-process."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from cryptography import x509

from botwarden.cli.main import cli
from botwarden.cli.server import ca, default_url, unseal
from botwarden.config import Settings
from botwarden.errors import ConfigError, ServerError


@pytest.fixture
def runner(home: Path) -> CliRunner:
    return CliRunner(env={"BOTWARDEN_HOME": str(home), "BOTWARDEN_DEPLOYMENT": "dev"})


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("server", ["--host", "--port", "safety check", "HTTPS"]),
        ("unseal", ["--url", "--ca", "--json", "never taken from"]),
        ("ca", ["export"]),
    ],
)
def test_each_command_explains_itself(runner: CliRunner, command: str, expected: list[str]) -> None:
    result = runner.invoke(cli, [command, "--help"])

    assert result.exit_code == 0
    for text in expected:
        assert text in result.output


def test_ca_export_help_mentions_output(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["ca", "export", "--help"])

    assert result.exit_code == 0
    assert "--output" in result.output


def test_unseal_has_no_way_to_take_the_passphrase_from_argv_or_environment() -> None:
    assert isinstance(unseal, click.Command)

    for parameter in unseal.params:
        assert "pass" not in (parameter.name or "")
        assert not getattr(parameter, "envvar", None)


def test_ca_export_prints_only_the_ca_certificate(
    runner: CliRunner, file_settings: Settings
) -> None:
    result = runner.invoke(ca, ["export"])

    assert result.exit_code == 0, result.output
    assert result.stdout.encode() == file_settings.ca_cert_file.read_bytes()
    assert "PRIVATE KEY" not in result.stdout
    assert x509.load_pem_x509_certificate(result.stdout.encode()).extensions
    assert "SHA-256 fingerprint" in result.stderr


def test_ca_export_writes_a_file(
    runner: CliRunner, file_settings: Settings, tmp_path: Path
) -> None:
    target = tmp_path / "botwarden-ca.pem"

    result = runner.invoke(ca, ["export", "--output", str(target)])

    assert result.exit_code == 0, result.output
    assert target.read_bytes() == file_settings.ca_cert_file.read_bytes()
    assert result.stdout == ""


def test_ca_export_without_a_ca_says_how_to_get_one(runner: CliRunner) -> None:
    result = runner.invoke(ca, ["export"])

    assert isinstance(result.exception, ConfigError)
    assert "no CA certificate" in result.exception.message
    assert "botwarden init" in result.exception.hint


def test_unseal_refuses_plain_http_to_another_host_before_prompting(runner: CliRunner) -> None:
    result = runner.invoke(unseal, ["--url", "http://192.0.2.10:8443"], input="secret\n")

    assert isinstance(result.exception, ConfigError)
    assert "plain HTTP" in result.exception.message
    assert "Passphrase" not in result.output


def test_unseal_says_when_the_server_is_unreachable(runner: CliRunner) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    result = runner.invoke(unseal, ["--url", f"https://127.0.0.1:{port}"], input="secret\n")

    assert isinstance(result.exception, ServerError)
    assert "cannot reach" in result.exception.message
    assert "botwarden server" in result.exception.hint


@pytest.mark.parametrize(
    ("host", "tls", "expected"),
    [
        ("127.0.0.1", True, "https://127.0.0.1:8443"),
        ("0.0.0.0", True, "https://127.0.0.1:8443"),  # noqa: S104
        ("::", True, "https://[::1]:8443"),
        ("bots.example.com", True, "https://bots.example.com:8443"),
        ("127.0.0.1", False, "http://127.0.0.1:8443"),
    ],
)
def test_default_url_follows_the_settings(
    file_settings: Settings, host: str, tls: bool, expected: str
) -> None:
    settings = replace(file_settings, server=replace(file_settings.server, host=host, tls=tls))

    assert default_url(settings) == expected


def test_loading_the_commands_imports_no_heavy_library() -> None:
    import subprocess
    import sys

    heavy = ["fastapi", "uvicorn", "httpx", "cryptography", "starlette", "sqlalchemy"]
    code = (
        "import sys, botwarden.cli.server; "
        f"print([name for name in {heavy!r} if name in sys.modules])"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )

    assert result.stdout.strip() == "[]"
