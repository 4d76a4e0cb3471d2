"""A planted canary secret never appears in the database, the home, logs, reprs or errors."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData, select

from botwarden.config import Settings
from botwarden.errors import BotwardenError
from botwarden.vault import initialise, open_vault, parse_secret_name, rotate_environment_key
from tests.helpers import files_containing, find_leaks

NAME = parse_secret_name("prod:erp/login")


def every_stored_byte(settings: Settings) -> bytes:
    """Every value of every row of every table, as bytes."""

    from botwarden.store import create_engine

    engine = create_engine(settings.database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    chunks: list[bytes] = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    chunks.append(value if isinstance(value, bytes) else str(value).encode())
    engine.dispose()
    return b"\x00".join(chunks)


def test_database_rows_and_home_hold_no_plaintext_of_a_canary(
    settings: Settings, canary: str, capsys: pytest.CaptureFixture[str]
) -> None:
    initialise(settings)
    with open_vault(settings) as vault:
        vault.put(
            NAME, {"username": "bot", "password": canary, canary: "as a field name"}, actor="t"
        )
        vault.put(NAME, {"password": canary + "-2"}, actor="t")
        rotate_environment_key(vault.engine, vault.keyring, "prod", actor="t")
        assert vault.read(NAME, 1).reveal()["password"] == canary

    assert find_leaks(canary, every_stored_byte(settings)) == []
    assert files_containing(canary, settings.home) == []
    captured = capsys.readouterr()
    assert find_leaks(canary, (captured.out + captured.err).encode()) == []


def test_reprs_and_errors_of_secret_values_are_masked(
    sqlite_settings: Settings, canary: str
) -> None:
    initialise(sqlite_settings)
    with open_vault(sqlite_settings) as vault:
        vault.put(NAME, {"password": canary}, actor="t")
        value = vault.read(NAME)

        shown = [repr(value), str(value), f"{value.fields['password']}", repr(value.fields)]
        with pytest.raises(BotwardenError) as refused:
            vault.put(NAME, {"password": canary, "bad": 1}, actor="t")

    assert all(canary not in text for text in shown)
    assert canary not in str(refused.value) and canary not in (refused.value.hint or "")


def test_a_too_large_value_is_refused_without_echoing_it(
    sqlite_settings: Settings, canary: str
) -> None:
    initialise(sqlite_settings)
    with open_vault(sqlite_settings) as vault, pytest.raises(BotwardenError) as refused:
        vault.put(NAME, {"password": canary * 5000}, actor="t")

    assert canary not in str(refused.value)
    assert "password" in str(refused.value)
