"""The failed-attempt limit, on its own and guarding `/v1/sys/unseal`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient
from structlog.testing import capture_logs

from botwarden.config import Settings
from botwarden.server import create_app
from botwarden.server.ratelimit import FailureLimiter, TooManyAttemptsError
from tests.server.conftest import PASSPHRASE, FakeClock

WRONG = {"passphrase": "not the passphrase at all"}
RIGHT = {"passphrase": PASSPHRASE}


def test_limiter_allows_up_to_the_maximum_failures(clock: FakeClock) -> None:
    limiter = FailureLimiter(clock, max_failures=3, window=60)

    for _ in range(2):
        limiter.record_failure("198.51.100.7")
    limiter.check("198.51.100.7")
    limiter.record_failure("198.51.100.7")

    with pytest.raises(TooManyAttemptsError, match="too many failed attempts") as caught:
        limiter.check("198.51.100.7")
    assert caught.value.retry_after == 60


def test_limiter_window_slides(clock: FakeClock) -> None:
    limiter = FailureLimiter(clock, max_failures=2, window=60)
    limiter.record_failure("a")
    clock.advance(30)
    limiter.record_failure("a")

    clock.advance(20)
    with pytest.raises(TooManyAttemptsError) as caught:
        limiter.check("a")
    assert caught.value.retry_after == 10

    clock.advance(10)
    limiter.check("a")


def test_limiter_counts_each_client_apart(clock: FakeClock) -> None:
    limiter = FailureLimiter(clock, max_failures=1)
    limiter.record_failure("a")

    limiter.check("b")
    with pytest.raises(TooManyAttemptsError):
        limiter.check("a")


def test_limiter_forgets_a_client_that_succeeded(clock: FakeClock) -> None:
    limiter = FailureLimiter(clock, max_failures=1)
    limiter.record_failure("a")

    limiter.forget("a")

    limiter.check("a")


def test_flooding_from_many_addresses_does_not_reset_a_live_count(clock: FakeClock) -> None:
    limiter = FailureLimiter(clock, max_failures=1, max_clients=3)
    limiter.record_failure("attacker")

    for number in range(10):
        limiter.record_failure(f"decoy-{number}")

    with pytest.raises(TooManyAttemptsError):
        limiter.check("attacker")


def test_expired_clients_are_dropped_when_the_table_is_full(clock: FakeClock) -> None:
    limiter = FailureLimiter(clock, max_failures=1, window=60, max_clients=2)
    limiter.record_failure("old-1")
    limiter.record_failure("old-2")
    clock.advance(61)

    limiter.record_failure("new")

    assert set(limiter._failures) == {"new"}


def test_sixth_attempt_within_a_minute_is_429_even_with_the_right_passphrase(
    sealed_client: TestClient, clock: FakeClock
) -> None:
    for _ in range(5):
        assert sealed_client.post("/v1/sys/unseal", json=WRONG).status_code == 403
        clock.advance(1)

    with capture_logs() as logs:
        response = sealed_client.post("/v1/sys/unseal", json=RIGHT)

    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "55"
    assert response.json()["type"] == "https://botwarden.dev/problems/too-many-attempts"
    assert sealed_client.get("/v1/sys/seal-status").json() == {"sealed": True}
    [event] = [entry for entry in logs if entry.get("action") == "sys.unseal"]
    assert (event["outcome"], event["reason"]) == ("denied", "rate-limited")


def test_the_limit_lifts_once_the_failures_are_a_minute_old(
    sealed_client: TestClient, clock: FakeClock
) -> None:
    for _ in range(5):
        sealed_client.post("/v1/sys/unseal", json=WRONG)
    assert sealed_client.post("/v1/sys/unseal", json=RIGHT).status_code == 429

    clock.advance(60)

    assert sealed_client.post("/v1/sys/unseal", json=RIGHT).status_code == 200


def test_one_address_being_limited_does_not_lock_out_another(
    sealed_settings: Settings, clock: FakeClock, serve_app: Callable[..., TestClient]
) -> None:
    app = create_app(sealed_settings, clock=clock)
    attacker = serve_app(app, client=("203.0.113.66", 40000))
    operator = TestClient(app, client=("192.0.2.10", 40001))
    for _ in range(5):
        attacker.post("/v1/sys/unseal", json=WRONG)

    assert attacker.post("/v1/sys/unseal", json=RIGHT).status_code == 429
    assert operator.post("/v1/sys/unseal", json=RIGHT).status_code == 200
