"""The application factory: the API, its error handling, middleware and seal state."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, MutableMapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import Engine

from botwarden import __version__
from botwarden.config import Settings
from botwarden.crypto import Sensitive
from botwarden.server.gate import SealedGate
from botwarden.server.middleware import RequestContextMiddleware
from botwarden.server.openapi import install_openapi
from botwarden.server.problems import install_problem_handlers
from botwarden.server.ratelimit import Clock, FailureLimiter
from botwarden.server.routes import health, unseal
from botwarden.server.seal import SealState
from botwarden.vault import Vault, open_engine, open_vault

OPENAPI_PATH = "/v1/openapi.json"
DOCS_PATH = "/v1/docs"

# NOTE: FastAPI's built-in OpenTelemetry records request bodies, validation
# failures and exception messages. botwarden logs its own canonical request
# line instead, so nothing of a request leaves through an exporter that some
# other library configured globally.
TELEMETRY_OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}


def create_app(
    settings: Settings,
    *,
    environ: MutableMapping[str, str] | None = None,
    clock: Clock = time.monotonic,
) -> FastAPI:
    """The botwarden API for ``settings``.

    With the "file" or "env" key source the vault is unlocked here, so a
    missing or wrong key stops the server before it listens; with
    "passphrase" the server starts sealed and waits for `botwarden unseal`.
    """

    engine = open_engine(settings)
    try:
        state = _seal_state(settings, engine, environ, clock)
    except BaseException:
        engine.dispose()
        raise

    docs_paths = {DOCS_PATH} if settings.debug else set()
    app = FastAPI(
        title="botwarden",
        version=__version__,
        openapi_url=OPENAPI_PATH,
        docs_url=DOCS_PATH if settings.debug else None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        lifespan=_dispose_on_shutdown(engine),
        telemetry=TELEMETRY_OFF,
    )
    app.state.settings = settings
    app.state.seal = state

    install_problem_handlers(app)
    install_openapi(app)
    app.include_router(health.router)
    app.include_router(unseal.router)

    open_paths = {
        health.HEALTH_PATH,
        unseal.SEAL_STATUS_PATH,
        unseal.UNSEAL_PATH,
        OPENAPI_PATH,
        *docs_paths,
    }
    app.add_middleware(SealedGate, state=state, open_paths=open_paths)
    app.add_middleware(RequestContextMiddleware, tls=settings.server.tls, docs_paths=docs_paths)
    return app


def _seal_state(
    settings: Settings,
    engine: Engine,
    environ: MutableMapping[str, str] | None,
    clock: Clock,
) -> SealState:
    def opener(passphrase: Sensitive[str]) -> Vault:
        return open_vault(settings, passphrase=passphrase, engine=engine)

    vault = None
    if settings.keys.source != "passphrase":
        vault = open_vault(settings, environ=environ, engine=engine)
    return SealState(opener, FailureLimiter(clock), vault=vault)


def _dispose_on_shutdown(
    engine: Engine,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    return lifespan
