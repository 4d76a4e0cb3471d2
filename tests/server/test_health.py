"""`GET /healthz`."""

from __future__ import annotations

from starlette.testclient import TestClient

from botwarden import __version__


def test_health_answers_while_sealed(sealed_client: TestClient) -> None:
    response = sealed_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "sealed": True, "version": __version__}


def test_health_of_a_server_with_a_key_file_says_unsealed(unsealed_client: TestClient) -> None:
    response = unsealed_client.get("/healthz")

    assert response.json()["sealed"] is False


def test_health_reveals_no_configuration(unsealed_client: TestClient) -> None:
    body = unsealed_client.get("/healthz").text

    assert set(unsealed_client.get("/healthz").json()) == {"status", "sealed", "version"}
    assert "sqlite" not in body
    assert "home" not in body
