"""The production safety check refuses unsafe prod deployments and says how to fix each point."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from botwarden.config import check_production_safety, load_settings
from botwarden.config.settings import ServerSettings
from botwarden.crypto import RootKey, write_key_file
from botwarden.errors import UnsafeConfigError


def test_the_default_configuration_passes(home: Path) -> None:
    settings = load_settings({"BOTWARDEN_HOME": str(home)})
    settings.keys_dir.mkdir(parents=True)
    write_key_file(settings.root_key_file, RootKey.generate())

    check_production_safety(settings)


def test_debug_in_prod_is_refused_with_the_fix(home: Path) -> None:
    settings = load_settings({"BOTWARDEN_HOME": str(home), "BOTWARDEN_DEBUG": "true"})

    with pytest.raises(UnsafeConfigError, match=r"debug is on: set `debug = false`"):
        check_production_safety(settings)


def test_plain_http_on_a_public_address_is_refused(home: Path) -> None:
    settings = load_settings({"BOTWARDEN_HOME": str(home), "BOTWARDEN_HOST": "0.0.0.0"})  # noqa: S104
    settings = replace(settings, server=replace(settings.server, tls=False))

    with pytest.raises(
        UnsafeConfigError, match=r"plain HTTP on the non-loopback address 0\.0\.0\.0"
    ):
        check_production_safety(settings)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.8.9.10"])
def test_plain_http_on_loopback_is_allowed(home: Path, host: str) -> None:
    settings = load_settings({"BOTWARDEN_HOME": str(home)})
    settings = replace(settings, server=ServerSettings(host=host, tls=False))

    check_production_safety(settings)


def test_a_root_key_file_readable_by_others_is_refused(home: Path) -> None:
    settings = load_settings({"BOTWARDEN_HOME": str(home)})
    settings.keys_dir.mkdir(parents=True)
    write_key_file(settings.root_key_file, RootKey.generate())
    os.chmod(settings.root_key_file, 0o644)

    with pytest.raises(
        UnsafeConfigError, match=r"readable by others \(mode 0644\): run `chmod 600"
    ):
        check_production_safety(settings)


def test_every_problem_is_listed_at_once(home: Path) -> None:
    settings = load_settings({"BOTWARDEN_HOME": str(home), "BOTWARDEN_DEBUG": "1"})
    settings = replace(settings, server=ServerSettings(host="10.1.2.3", tls=False))

    with pytest.raises(UnsafeConfigError) as refused:
        check_production_safety(settings)

    assert "debug is on" in str(refused.value) and "plain HTTP" in str(refused.value)


def test_a_dev_deployment_is_not_checked(home: Path) -> None:
    settings = load_settings(
        {"BOTWARDEN_HOME": str(home), "BOTWARDEN_DEPLOYMENT": "dev", "BOTWARDEN_DEBUG": "1"}
    )

    check_production_safety(settings)
