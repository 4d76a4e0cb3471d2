"""`/v1/sys/seal-status` and `/v1/sys/unseal`, and the gate that keeps a sealed server shut."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pytest
from starlette.testclient import TestClient
from structlog.testing import capture_logs

from tests.server.conftest import PASSPHRASE

PROBLEMS = "https://botwarden.dev/problems/"


def unseal_events(logs: list[MutableMapping[str, Any]]) -> list[MutableMapping[str, Any]]:
    return [entry for entry in logs if entry.get("action") == "sys.unseal"]


def test_a_passphrase_home_starts_sealed(sealed_client: TestClient) -> None:
    response = sealed_client.get("/v1/sys/seal-status")

    assert response.status_code == 200
    assert response.json() == {"sealed": True}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/secrets/erp/login"),
        ("POST", "/v1/anything"),
        ("GET", "/docs"),
        ("DELETE", "/healthz/extra"),
    ],
)
def test_sealed_server_answers_503_sealed_everywhere_else(
    sealed_client: TestClient, method: str, path: str
) -> None:
    response = sealed_client.request(method, path)

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEMS + "sealed"
    assert "botwarden unseal" in response.json()["hint"]


def test_correct_passphrase_unseals_and_is_audited(sealed_client: TestClient) -> None:
    with capture_logs() as logs:
        response = sealed_client.post("/v1/sys/unseal", json={"passphrase": PASSPHRASE})

    assert response.status_code == 200
    assert response.json() == {"sealed": False}
    assert sealed_client.get("/v1/sys/seal-status").json() == {"sealed": False}
    assert sealed_client.get("/v1/secrets/anything").status_code == 404
    assert sealed_client.app.state.seal.vault is not None  # type: ignore[attr-defined]
    [event] = unseal_events(logs)
    assert event["outcome"] == "allowed"
    assert (event["actor"], event["source"]) == ("user:anonymous", "testclient")


def test_unsealing_an_unsealed_server_answers_200_without_checking(
    unsealed_client: TestClient,
) -> None:
    with capture_logs() as logs:
        response = unsealed_client.post("/v1/sys/unseal", json={"passphrase": "not even right"})

    assert response.status_code == 200
    assert response.json() == {"sealed": False}
    [event] = unseal_events(logs)
    assert event["outcome"] == "allowed"
    assert event["already_unsealed"] is True


def test_wrong_passphrase_is_403_and_audited_denied(sealed_client: TestClient) -> None:
    with capture_logs() as logs:
        response = sealed_client.post("/v1/sys/unseal", json={"passphrase": "wrong " + PASSPHRASE})

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEMS + "wrong-passphrase"
    assert sealed_client.get("/v1/sys/seal-status").json() == {"sealed": True}
    [event] = unseal_events(logs)
    assert event["outcome"] == "denied"
    assert event["reason"] == "wrong-passphrase"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"passphrase": ""},
        {"passphrase": 12345},
        {"passphrase": PASSPHRASE, "remember": True},
        {"passphrase": "x" * 1025},
    ],
)
def test_malformed_unseal_requests_are_422_and_not_attempts(
    sealed_client: TestClient, body: dict[str, object]
) -> None:
    with capture_logs() as logs:
        response = sealed_client.post("/v1/sys/unseal", json=body)

    assert response.status_code == 422
    assert response.json()["type"] == PROBLEMS + "invalid-request"
    assert unseal_events(logs) == []
