"""Fixtures of the rotation tests: a vault, and a private PostgreSQL cluster per session."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from botwarden.config import Settings
from botwarden.vault import SecretName, Vault, initialise, open_vault, parse_secret_name
from tests.vault.rotation.cluster import ClusterUnavailable, PrivateCluster, start_cluster


@pytest.fixture
def vault(sqlite_settings: Settings) -> Iterator[Vault]:
    initialise(sqlite_settings)
    with open_vault(sqlite_settings) as opened:
        yield opened


@pytest.fixture(scope="session")
def cluster() -> Iterator[PrivateCluster]:
    try:
        started = start_cluster()
    except ClusterUnavailable as reason:
        pytest.skip(f"no private PostgreSQL cluster: {reason}")

    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def role() -> str:
    return f"bot_{secrets.token_hex(4)}"


@pytest.fixture
def name() -> SecretName:
    return parse_secret_name("dev:db/app")
