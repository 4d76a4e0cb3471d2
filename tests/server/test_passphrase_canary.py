"""The unseal passphrase never appears in a response or a log line, whatever happens."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from structlog.testing import capture_logs

from botwarden.config import Settings
from botwarden.crypto import Sensitive
from botwarden.server import create_app
from botwarden.server.ratelimit import FailureLimiter
from botwarden.server.seal import SealState
from botwarden.vault import Vault
from tests.helpers import find_leaks, recorded
from tests.server.conftest import FakeClock, initialise_sealed_home


def test_the_passphrase_stays_out_of_responses_and_logs(
    audit_log: object,
    home: Path,
    canary: str,
    clock: FakeClock,
    serve_app: Callable[..., TestClient],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = initialise_sealed_home(home, canary)
    client = serve_app(create_app(settings, clock=clock))
    caplog.set_level(logging.DEBUG)
    attempts: list[dict[str, object]] = [
        {"passphrase": canary + "-wrong"},
        {"passphrase": canary[::-1]},
        {"passphrase": [canary]},
        {"passphrase": canary * 50},
        {"passphrase": canary, "unknown": 1},
        {"passphrase": canary},
        {"passphrase": canary},
    ]

    with capture_logs() as logs:
        responses = [client.post("/v1/sys/unseal", json=body) for body in attempts]
        responses.append(client.get("/v1/sys/unseal", params={"passphrase": canary}))

    assert [response.status_code for response in responses] == [
        403, 403, 422, 422, 422, 200, 200, 405
    ]  # fmt: skip
    records = recorded(audit_log)
    assert [record["outcome"] for record in records if record["action"] == "sys.unseal"] == [
        "denied", "denied", "allowed", "allowed"
    ]  # fmt: skip
    assert find_leaks(canary, repr(records).encode()) == []
    assert any(entry.get("event") == "request" for entry in logs)
    for response in responses:
        assert find_leaks(canary, response.content + str(response.headers).encode()) == []
    assert find_leaks(canary, repr(logs).encode()) == []
    assert find_leaks(canary, caplog.text.encode()) == []
    captured = capsys.readouterr()
    assert find_leaks(canary, (captured.out + captured.err).encode()) == []


def test_an_unexpected_failure_while_unsealing_leaks_nothing(
    audit_log: object,
    canary: str,
    clock: FakeClock,
    sealed_settings: Settings,
    serve_app: Callable[..., TestClient],
) -> None:
    app = create_app(sealed_settings, clock=clock)

    def broken_opener(passphrase: Sensitive[str]) -> Vault:
        raise RuntimeError(f"opening failed for {passphrase}")

    app.state.seal = SealState(broken_opener, FailureLimiter(clock))
    client = serve_app(app)

    with capture_logs() as logs:
        response = client.post("/v1/sys/unseal", json={"passphrase": canary})

    assert response.status_code == 500
    assert find_leaks(canary, response.content) == []
    assert find_leaks(canary, repr(logs).encode()) == []
    [audit] = [record for record in recorded(audit_log) if record["action"] == "sys.unseal"]
    assert audit["outcome"] == "failed"
    assert find_leaks(canary, repr(audit).encode()) == []
    assert any(entry["event"] == "unhandled_error" for entry in logs)
