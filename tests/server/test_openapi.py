"""The OpenAPI document at `/v1/openapi.json`."""

from __future__ import annotations

from starlette.testclient import TestClient


def test_openapi_is_served_while_sealed(sealed_client: TestClient) -> None:
    response = sealed_client.get("/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "botwarden"
    assert set(document["paths"]) == {"/healthz", "/v1/sys/seal-status", "/v1/sys/unseal"}


def test_openapi_is_not_at_the_framework_default(unsealed_client: TestClient) -> None:
    assert unsealed_client.get("/openapi.json").status_code == 404


def test_error_responses_are_documented_as_problems(sealed_client: TestClient) -> None:
    document = sealed_client.get("/v1/openapi.json").json()

    responses = document["paths"]["/v1/sys/unseal"]["post"]["responses"]
    for status in ("403", "422", "429", "500"):
        assert set(responses[status]["content"]) == {"application/problem+json"}
    assert "Problem" in document["components"]["schemas"]


def test_the_passphrase_is_documented_as_write_only(sealed_client: TestClient) -> None:
    schemas = sealed_client.get("/v1/openapi.json").json()["components"]["schemas"]

    passphrase = schemas["UnsealRequest"]["properties"]["passphrase"]
    assert passphrase["writeOnly"] is True
    assert passphrase["format"] == "password"
