"""Settings: defaults, the TOML file, environment overrides and their error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from botwarden.config import load_settings
from botwarden.errors import ConfigError


def write_config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text)


def test_defaults_are_safe(home: Path) -> None:
    settings = load_settings({"BOTWARDEN_HOME": str(home)})

    assert settings.deployment == "prod"
    assert settings.debug is False
    assert settings.server.host == "127.0.0.1" and settings.server.tls is True
    assert settings.keys.source == "file"
    assert settings.database_url == f"sqlite:///{home / 'botwarden.db'}"


def test_home_defaults_to_dot_botwarden_in_the_user_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", "/somewhere")

    assert load_settings({}).home == Path("/somewhere/.botwarden")


def test_file_values_apply_and_environment_overrides_them(home: Path) -> None:
    write_config(home, 'deployment = "test"\n[server]\nport = 9000\n[vault]\nmax_versions = 3\n')

    from_file = load_settings({"BOTWARDEN_HOME": str(home)})
    overridden = load_settings({"BOTWARDEN_HOME": str(home), "BOTWARDEN_PORT": "9443"})

    assert (from_file.deployment, from_file.server.port, from_file.vault.max_versions) == (
        "test",
        9000,
        3,
    )
    assert overridden.server.port == 9443


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("deployment = 'staging'", "deployment: expected one of dev, test, prod"),
        ("[server]\nport = 70000", "server.port: a port is between 1 and 65535"),
        ("[server]\nport = 'eighty'", "server.port: expected a number"),
        ("[server]\nverbose = true", "unknown setting server.verbose"),
        ("colour = 'blue'", "unknown setting colour"),
        ("debug = 'maybe'", "debug: expected true or false"),
        ("[keys]\nsource = 'vault'", "keys.source: expected one of file, passphrase, env"),
        ("server = 5", r"\[server\] must be a table"),
        ("[vault]\nmax_versions = 0", "max_versions: expected a positive number"),
        ("this is = = not toml", "not valid TOML"),
    ],
)
def test_bad_config_files_name_the_file_and_the_key(home: Path, text: str, message: str) -> None:
    write_config(home, text)

    with pytest.raises(ConfigError, match=message) as refused:
        load_settings({"BOTWARDEN_HOME": str(home)})

    assert str(home / "config.toml") in str(refused.value)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BOTWARDEN_PORT", "0", "BOTWARDEN_PORT: a port is between"),
        ("BOTWARDEN_DEBUG", "perhaps", "BOTWARDEN_DEBUG: expected true or false"),
        ("BOTWARDEN_KEY_SOURCE", "hsm", "BOTWARDEN_KEY_SOURCE: expected one of"),
        ("BOTWARDEN_DEPLOYMENT", "qa", "BOTWARDEN_DEPLOYMENT: expected one of"),
    ],
)
def test_bad_environment_values_name_the_variable(
    home: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"BOTWARDEN_HOME": str(home), name: value})


def test_the_database_url_never_appears_in_the_settings_repr(home: Path) -> None:
    url = "postgresql+psycopg://bot:CANARY-db-password@db.internal/botwarden"

    settings = load_settings({"BOTWARDEN_HOME": str(home), "BOTWARDEN_DATABASE_URL": url})

    assert settings.database_url == url
    assert "CANARY" not in repr(settings)
