"""A limit on failed attempts per client, counted over a sliding window."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable

from botwarden.errors import TooManyAttemptsError

Clock = Callable[[], float]

MAX_FAILURES = 5
WINDOW_SECONDS = 60.0
MAX_TRACKED_CLIENTS = 10_000


class FailureLimiter:
    """Refuse a client once it has failed ``max_failures`` times within ``window`` seconds.

    Only failures count, so a client that gets it right is never slowed down.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW_SECONDS,
        max_clients: int = MAX_TRACKED_CLIENTS,
    ) -> None:
        self._clock = clock
        self._max_failures = max_failures
        self._window = window
        self._max_clients = max_clients
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Raise ``TooManyAttemptsError`` if ``client`` must wait before its next attempt."""

        with self._lock:
            now = self._clock()
            failures = self._recent(client, now)
            if len(failures) < self._max_failures:
                return
            wait = failures[0] + self._window - now

        raise TooManyAttemptsError(max(1, math.ceil(wait)))

    def record_failure(self, client: str) -> None:
        with self._lock:
            now = self._clock()
            if client not in self._failures and len(self._failures) >= self._max_clients:
                self._forget_expired(now)

            # NOTE: when every tracked client is still inside its window the
            # table grows past its bound rather than dropping one, so that
            # failing from many addresses cannot reset anybody's count.
            self._failures.setdefault(client, deque()).append(now)

    def forget(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures.get(client)
        if failures is None:
            return deque()

        while failures and failures[0] <= now - self._window:
            failures.popleft()
        if not failures:
            del self._failures[client]
        return failures

    def _forget_expired(self, now: float) -> None:
        for client in list(self._failures):
            self._recent(client, now)
