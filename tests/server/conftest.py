"""Fixtures for the API: homes sealed or not, an adjustable clock, clients of the app."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from botwarden.config import Settings, load_settings
from botwarden.crypto import Sensitive
from botwarden.server import create_app
from botwarden.vault import initialise
from tests.helpers import FAST_ARGON2

# NOTE: Starlette deprecates its test client on top of httpx (it wants the
# httpx2 fork, which botwarden does not depend on); the warning is silenced
# here only, where the client is imported once for the whole folder.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

PASSPHRASE = "correct horse battery staple"


class FakeClock:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def home_environ(home: Path, **extra: str) -> dict[str, str]:
    return {"BOTWARDEN_HOME": str(home), "BOTWARDEN_DEPLOYMENT": "dev", **extra}


def initialise_sealed_home(home: Path, passphrase: str) -> Settings:
    """A home whose root key is sealed under ``passphrase``."""

    environ = home_environ(home, BOTWARDEN_KEY_SOURCE="passphrase")
    initialise(load_settings(environ), passphrase=Sensitive(passphrase), argon2=FAST_ARGON2)
    return load_settings(environ)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def file_settings(home: Path) -> Settings:
    """Settings of a home whose root key is in a key file: the server starts unsealed."""

    initialise(load_settings(home_environ(home)))
    return load_settings(home_environ(home))


@pytest.fixture
def sealed_settings(home: Path) -> Settings:
    return initialise_sealed_home(home, PASSPHRASE)


@pytest.fixture
def serve_app() -> Iterator[Callable[..., TestClient]]:
    """Start clients on apps; each app's lifespan ends (engine disposed) after the test."""

    clients: list[TestClient] = []

    def start(app: FastAPI, **options: object) -> TestClient:
        client = TestClient(app, **options)  # type: ignore[arg-type]
        client.__enter__()
        clients.append(client)
        return client

    yield start

    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def sealed_client(
    sealed_settings: Settings, clock: FakeClock, serve_app: Callable[..., TestClient]
) -> TestClient:
    return serve_app(create_app(sealed_settings, clock=clock))


@pytest.fixture
def unsealed_client(file_settings: Settings, serve_app: Callable[..., TestClient]) -> TestClient:
    return serve_app(create_app(file_settings))
