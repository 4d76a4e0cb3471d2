"""The gate that keeps a sealed server to health and unsealing."""

from __future__ import annotations

from collections.abc import Collection

from starlette.types import ASGIApp, Receive, Scope, Send

from botwarden.errors import SealedError
from botwarden.server.problems import error_response
from botwarden.server.seal import SealState


class SealedGate:
    """While sealed, answer 503 ``sealed`` to every path outside ``open_paths``.

    NOTE: the gate lists what stays open rather than what closes, so a route
    added later is unreachable while sealed unless someone opens it here.
    """

    def __init__(self, app: ASGIApp, *, state: SealState, open_paths: Collection[str]) -> None:
        self.app = app
        self.state = state
        self.open_paths = frozenset(open_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.state.sealed or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return

        error = SealedError("the server is sealed")
        await error_response(scope, error)(scope, receive, send)
