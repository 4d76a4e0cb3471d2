"""`botwarden server` and `botwarden unseal` as real processes talking real TLS."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from botwarden.config import Settings
from tests.helpers import find_leaks
from tests.server.conftest import initialise_sealed_home

pytestmark = pytest.mark.slow

STARTUP_SECONDS = 30.0
COMMAND_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environ_for(home: Path, port: int, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "BOTWARDEN_HOME": str(home),
        "BOTWARDEN_HOST": "127.0.0.1",
        "BOTWARDEN_PORT": str(port),
        **extra,
    }


def botwarden(*args: str) -> list[str]:
    return [sys.executable, "-m", "botwarden.cli.main", *args]


class RunningServer:
    """A `botwarden server` subprocess; its output goes to files so no pipe can fill up."""

    def __init__(self, home: Path, port: int, log_dir: Path) -> None:
        self.url = f"https://127.0.0.1:{port}"
        self.environ = environ_for(home, port)
        self.stderr_path = log_dir / "server.stderr"
        self.stdout_path = log_dir / "server.stdout"
        with self.stdout_path.open("wb") as stdout, self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                botwarden("server"),
                env=self.environ,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.stdout_path.read_text() + self.stderr_path.read_text()

    def wait_until_healthy(self, trust: ssl.SSLContext) -> dict[str, object]:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.output()}")
            try:
                response = httpx.get(f"{self.url}/healthz", verify=trust, timeout=2)
            except httpx.TransportError:
                time.sleep(0.1)
                continue
            return dict(response.json())
        pytest.fail(f"the server did not answer within {STARTUP_SECONDS}s:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def sealed_home(home: Path, canary: str) -> Settings:
    """A home sealed under the canary, so any leak of the passphrase is a leak of it."""

    return initialise_sealed_home(home, canary)


@pytest.fixture
def server(sealed_home: Settings, tmp_path: Path) -> Iterator[RunningServer]:
    running = RunningServer(sealed_home.home, free_port(), tmp_path)
    try:
        yield running
    finally:
        running.stop()


def run_unseal(
    server: RunningServer, passphrase: str, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        botwarden("unseal", *args),
        input=passphrase + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=server.environ,
        timeout=COMMAND_SECONDS,
        check=False,
        start_new_session=True,
    )


def test_sealed_server_over_tls_is_unsealed_by_the_cli(
    server: RunningServer, sealed_home: Settings, canary: str
) -> None:
    trust = ssl.create_default_context(cafile=str(sealed_home.ca_cert_file))

    health = server.wait_until_healthy(trust)
    with httpx.Client(base_url=server.url, verify=trust, timeout=10) as client:
        sealed_before = client.get("/v1/sys/seal-status").json()
        gated = client.get("/v1/secrets/erp/login")
        wrong = run_unseal(server, canary + "-wrong")
        right = run_unseal(server, canary, "--json")
        sealed_after = client.get("/v1/sys/seal-status").json()
        again = run_unseal(server, "")

    assert health["sealed"] is True
    assert sealed_before == {"sealed": True}
    assert gated.status_code == 503
    assert gated.headers["strict-transport-security"] == "max-age=31536000"
    assert wrong.returncode == 1
    assert "passphrase does not open" in wrong.stderr
    assert right.returncode == 0, right.stderr
    assert json.loads(right.stdout) == {
        "url": server.url,
        "sealed": False,
        "already_unsealed": False,
    }
    assert sealed_after == {"sealed": False}
    assert again.returncode == 0
    assert "already unsealed" in again.stdout
    server.stop()
    logs = server.output()
    stored = (sealed_home.audit_dir / "records.jsonl").read_bytes()
    unseals = [json.loads(line) for line in stored.splitlines() if b'"sys.unseal"' in line]
    assert [record["outcome"] for record in unseals] == ["denied", "allowed"]
    assert find_leaks(canary, stored) == []
    for output in (logs, wrong.stdout + wrong.stderr, right.stdout + right.stderr):
        assert find_leaks(canary, output.encode("utf-8")) == []


def test_server_refuses_to_start_in_prod_with_debug(home: Path, tmp_path: Path) -> None:
    initialise_sealed_home(home, "a long passphrase here")
    port = free_port()
    environ = environ_for(home, port, BOTWARDEN_DEPLOYMENT="prod", BOTWARDEN_DEBUG="true")

    result = subprocess.run(
        botwarden("server"),
        capture_output=True,
        text=True,
        env=environ,
        timeout=COMMAND_SECONDS,
        check=False,
        stdin=subprocess.DEVNULL,
    )

    assert result.returncode == 1
    assert "refusing to start a prod deployment" in result.stderr
    assert "set `debug = false` in config.toml and unset BOTWARDEN_DEBUG" in result.stderr
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
