"""The seal state: one unseal attempt at a time, each counted and audited."""

from __future__ import annotations

import threading
import time

import pytest
from structlog.testing import capture_logs

from botwarden.crypto import Sensitive
from botwarden.errors import SealedError, WrongPassphraseError
from botwarden.server.ratelimit import FailureLimiter, TooManyAttemptsError
from botwarden.server.seal import SealState
from botwarden.vault import Vault
from tests.server.conftest import FakeClock

GUESS = Sensitive("a guess of twelve characters")


class CountingOpener:
    """An opener that refuses every passphrase, slowly, and counts how often it ran."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, passphrase: Sensitive[str]) -> Vault:
        self.calls += 1
        time.sleep(0.01)
        raise WrongPassphraseError("the passphrase does not open this sealed root key")


def test_a_sealed_state_has_no_vault(clock: FakeClock) -> None:
    state = SealState(CountingOpener(), FailureLimiter(clock))

    assert state.sealed
    with pytest.raises(SealedError, match="sealed"):
        _ = state.vault


def test_parallel_guesses_cannot_outrun_the_limit(clock: FakeClock) -> None:
    opener = CountingOpener()
    state = SealState(opener, FailureLimiter(clock, max_failures=5))
    outcomes: list[str] = []

    def guess() -> None:
        try:
            state.unseal(GUESS, client="198.51.100.1")
        except WrongPassphraseError:
            outcomes.append("wrong")
        except TooManyAttemptsError:
            outcomes.append("limited")

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert opener.calls == 5
    assert sorted(outcomes) == ["limited"] * 15 + ["wrong"] * 5


def test_an_unsealed_state_does_not_try_the_passphrase_again(clock: FakeClock) -> None:
    opener = CountingOpener()
    state = SealState(opener, FailureLimiter(clock), vault=object())  # type: ignore[arg-type]

    with capture_logs() as logs:
        state.unseal(GUESS, client="192.0.2.1")

    assert opener.calls == 0
    assert logs[0]["outcome"] == "allowed"
    assert logs[0]["source"] == "192.0.2.1"
