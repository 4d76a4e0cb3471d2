"""Key rotation while other threads keep reading: nothing lost, never a wrong value."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from botwarden.config import Settings
from botwarden.vault import (
    SecretName,
    Vault,
    initialise,
    open_vault,
    parse_secret_name,
    rotate_environment_key,
    rotate_root,
)

SECRETS = 60


@pytest.fixture
def vault(settings: Settings) -> Iterator[Vault]:
    initialise(settings)
    with open_vault(settings) as opened:
        for number in range(SECRETS):
            opened.put(name(number), {"password": expected(number, 1)}, actor="t")
            opened.put(name(number), {"password": expected(number, 2)}, actor="t")
        yield opened


def name(number: int) -> SecretName:
    return parse_secret_name(f"prod:app/{number:03d}")


def expected(number: int, version: int) -> str:
    return f"secret-{number}-v{version}"


def test_environment_key_rotation_while_threads_read(vault: Vault, settings: Settings) -> None:
    stop = threading.Event()
    failures: list[str] = []
    reads = [0]

    def reader(offset: int) -> None:
        number = offset
        while not stop.is_set():
            number = (number + 7) % SECRETS
            try:
                got = vault.read(name(number)).reveal()["password"]
                old = vault.read(name(number), 1).reveal()["password"]
            except Exception as error:  # any failure is the finding
                failures.append(f"{type(error).__name__}: {error}")
                return
            if got != expected(number, 2) or old != expected(number, 1):
                failures.append(f"wrong value for {number}")
            reads[0] += 1

    threads = [threading.Thread(target=reader, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()

    first = rotate_environment_key(vault.engine, vault.keyring, "prod", actor="t", batch_size=7)
    second = rotate_environment_key(vault.engine, vault.keyring, "prod", actor="t", batch_size=13)
    rotate_root(settings, vault)

    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert reads[0] > 0
    assert (first.rewrapped, second.rewrapped) == (2 * SECRETS, 2 * SECRETS)
    assert first.retired_key_versions == [1] and second.retired_key_versions == [2]
    for number in range(SECRETS):
        assert vault.read(name(number)).reveal()["password"] == expected(number, 2)


def test_an_interrupted_environment_rotation_is_finished_by_the_next(vault: Vault) -> None:
    from botwarden.vault.rewrap import rewrap_environment

    calls = [0]

    def crash_after_first_batch(done: int, total: int) -> None:
        calls[0] += 1
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate_environment_key(
            vault.engine,
            vault.keyring,
            "prod",
            actor="t",
            batch_size=10,
            progress=crash_after_first_batch,
        )

    assert vault.read(name(5)).reveal()["password"] == expected(5, 2)
    finished = rotate_environment_key(vault.engine, vault.keyring, "prod", actor="t")

    assert finished.key_version == 3
    assert sorted(finished.retired_key_versions) == [1, 2]
    assert rewrap_environment(vault.engine, vault.keyring, "prod") == 0
    for number in range(SECRETS):
        assert vault.read(name(number), 1).reveal()["password"] == expected(number, 1)
