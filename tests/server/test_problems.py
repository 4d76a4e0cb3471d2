"""Every error is application/problem+json with a stable type and no internals."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient
from structlog.testing import capture_logs

from botwarden.config import Settings
from botwarden.errors import NotFoundError, StoreError
from botwarden.server import create_app

PROBLEMS = "https://botwarden.dev/problems/"
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "request_id"}


def assert_problem(response: object, status: int, code: str) -> dict[str, object]:
    from httpx import Response

    assert isinstance(response, Response)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_MEMBERS
    assert body["type"] == PROBLEMS + code
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    return dict(body)


@pytest.fixture
def app_with_faults(file_settings: Settings) -> FastAPI:
    """An unsealed app with routes that fail in each way a later route might."""

    app = create_app(file_settings)

    def explode() -> None:
        raise RuntimeError("internal detail /srv/botwarden/secret.db password=hunter2")

    def missing() -> None:
        raise NotFoundError("no secret prod/erp/login")

    def database_down() -> None:
        raise StoreError("cannot open /srv/botwarden/botwarden.db: disk I/O error")

    app.add_api_route("/v1/test/explode", explode)
    app.add_api_route("/v1/test/missing", missing)
    app.add_api_route("/v1/test/database-down", database_down)
    return app


def test_unknown_path_is_a_404_problem(unsealed_client: TestClient) -> None:
    body = assert_problem(unsealed_client.get("/v1/nothing-here"), 404, "not-found")

    assert body["title"] == "Not found"


def test_wrong_method_is_a_405_problem_that_keeps_allow(unsealed_client: TestClient) -> None:
    response = unsealed_client.delete("/v1/sys/seal-status")

    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "GET"


def test_invalid_json_is_a_422_problem_listing_where(unsealed_client: TestClient) -> None:
    response = unsealed_client.post(
        "/v1/sys/unseal", content=b"{not json", headers={"content-type": "application/json"}
    )

    body = assert_problem(response, 422, "invalid-request")
    assert body["errors"] == [
        {"loc": ["body", "1"], "type": "json_invalid", "msg": "JSON decode error"}
    ]


def test_validation_problem_never_echoes_the_submitted_value(
    sealed_client: TestClient, canary: str
) -> None:
    bodies: list[dict[str, object]] = [
        {"passphrase": [canary]},
        {"passphrase": {"nested": canary}},
        {"passphrase": canary * 60},
        {"passphrase": canary, "extra": canary},
    ]

    for body in bodies:
        response = sealed_client.post("/v1/sys/unseal", json=body)

        problem = assert_problem(response, 422, "invalid-request")
        assert canary not in response.text
        assert isinstance(problem["errors"], list)
        assert all(set(error) == {"loc", "type", "msg"} for error in problem["errors"])


def test_unexpected_exception_is_a_bare_500_logged_with_the_request_id(
    app_with_faults: FastAPI, serve_app: Callable[..., TestClient]
) -> None:
    client = serve_app(app_with_faults)

    with capture_logs() as logs:
        response = client.get("/v1/test/explode")

    body = assert_problem(response, 500, "internal-error")
    assert body["detail"] == "the server could not complete the request"
    for internal in ("RuntimeError", "Traceback", "hunter2", "/srv/", "explode", "File "):
        assert internal not in response.text
    [event] = [entry for entry in logs if entry["event"] == "unhandled_error"]
    assert event["request_id"] == body["request_id"]
    assert event["error_type"] == "RuntimeError"
    assert event["log_level"] == "error"


def test_debug_mode_still_answers_without_a_traceback(
    file_settings: Settings, serve_app: Callable[..., TestClient]
) -> None:
    from dataclasses import replace

    app = create_app(replace(file_settings, debug=True))
    app.add_api_route("/v1/test/explode", lambda: 1 / 0)
    client = serve_app(app)

    response = client.get("/v1/test/explode")

    assert_problem(response, 500, "internal-error")
    assert "ZeroDivisionError" not in response.text
    assert "Traceback" not in response.text


def test_a_botwarden_client_error_keeps_its_message(
    app_with_faults: FastAPI, serve_app: Callable[..., TestClient]
) -> None:
    response = serve_app(app_with_faults).get("/v1/test/missing")

    body = assert_problem(response, 404, "not-found")
    assert body["detail"] == "no secret prod/erp/login"


def test_a_botwarden_server_fault_hides_its_message_but_logs_it(
    app_with_faults: FastAPI, serve_app: Callable[..., TestClient]
) -> None:
    client = serve_app(app_with_faults)

    with capture_logs() as logs:
        response = client.get("/v1/test/database-down")

    body = assert_problem(response, 500, "internal-error")
    assert "/srv/" not in response.text
    assert "disk" not in response.text
    [event] = [entry for entry in logs if entry["event"] == "request_failed"]
    assert event["code"] == "store-unavailable"
    assert event["request_id"] == body["request_id"]


def test_body_over_the_limit_is_a_413_problem(sealed_client: TestClient) -> None:
    response = sealed_client.post(
        "/v1/sys/unseal",
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"content-type": "application/json"},
    )

    assert_problem(response, 413, "content-too-large")


def test_streamed_body_over_the_limit_is_a_413_problem(sealed_client: TestClient) -> None:
    def chunks() -> object:
        yield b'{"passphrase": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    response = sealed_client.post(
        "/v1/sys/unseal", content=chunks(), headers={"content-type": "application/json"}
    )

    assert_problem(response, 413, "content-too-large")
