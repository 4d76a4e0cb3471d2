"""Security headers, request ids and the one log line per request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from starlette.testclient import TestClient
from structlog.testing import capture_logs

from botwarden.config import Settings
from botwarden.server import create_app

EXPECTED_HEADERS = {
    "strict-transport-security": "max-age=31536000",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/v1/sys/seal-status", 200),
        ("GET", "/v1/openapi.json", 200),
        ("GET", "/v1/secrets/x", 503),
        ("PUT", "/healthz", 405),
        ("POST", "/v1/sys/unseal", 422),
    ],
)
def test_every_response_carries_the_security_headers(
    sealed_client: TestClient, method: str, path: str, status: int
) -> None:
    response = sealed_client.request(method, path)

    assert response.status_code == status
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers[name] == value
    assert len(response.headers["x-request-id"]) == 32
    assert "server" not in response.headers


def test_each_request_gets_its_own_id(unsealed_client: TestClient) -> None:
    ids = {unsealed_client.get("/healthz").headers["x-request-id"] for _ in range(5)}

    assert len(ids) == 5


def test_a_client_cannot_choose_its_request_id(unsealed_client: TestClient) -> None:
    response = unsealed_client.get("/healthz", headers={"X-Request-ID": "forged\nline"})

    assert response.headers["x-request-id"] != "forged\nline"


def test_plain_http_sends_no_hsts(
    file_settings: Settings, serve_app: Callable[..., TestClient]
) -> None:
    plain = replace(file_settings, server=replace(file_settings.server, tls=False))

    response = serve_app(create_app(plain)).get("/healthz")

    assert "strict-transport-security" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


def test_one_request_line_without_the_query_string(unsealed_client: TestClient) -> None:
    with capture_logs() as logs:
        response = unsealed_client.get("/healthz?token=not-for-logs")

    [line] = [entry for entry in logs if entry["event"] == "request"]
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert line["request_id"] == response.headers["x-request-id"]
    assert "not-for-logs" not in repr(logs)


def test_docs_are_off_unless_debug(unsealed_client: TestClient) -> None:
    for path in ("/docs", "/redoc", "/v1/docs", "/v1/redoc"):
        assert unsealed_client.get(path).status_code == 404


def test_debug_serves_docs_with_their_own_policy(
    file_settings: Settings, serve_app: Callable[..., TestClient]
) -> None:
    client = serve_app(create_app(replace(file_settings, debug=True)))

    response = client.get("/v1/docs")

    assert response.status_code == 200
    assert "/v1/openapi.json" in response.text
    assert "script-src" in response.headers["content-security-policy"]
    assert (
        client.get("/healthz").headers["content-security-policy"].startswith("default-src 'none'")
    )
