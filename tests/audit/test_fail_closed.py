"""Fail closed: an action the audit log cannot record is refused and changes nothing."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from botwarden import audit
from botwarden.config import Settings
from botwarden.errors import AuditUnavailableError
from botwarden.vault import Vault, initialise, open_vault, parse_secret_name
from botwarden.vault.models import versions_table

NAME = parse_secret_name("prod:erp/login")


@pytest.fixture
def vault(sqlite_settings: Settings) -> Iterator[Vault]:
    initialise(sqlite_settings)
    with open_vault(sqlite_settings) as opened:
        yield opened


def stored_versions(vault: Vault) -> int:
    with vault.engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(versions_table)).scalar_one()
        )


def test_without_an_open_audit_log_a_secret_write_is_refused(vault: Vault) -> None:
    log = audit.uninstall()
    try:
        with pytest.raises(AuditUnavailableError, match="no audit log is open"):
            vault.put(NAME, {"password": "never-stored"}, actor="t")
    finally:
        audit.install(log)  # type: ignore[arg-type]

    assert stored_versions(vault) == 0


def test_a_failing_audit_disk_refuses_the_write_and_rolls_it_back(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault.put(NAME, {"password": "first"}, actor="t")

    def broken_disk(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("botwarden.audit.stores.files.os.write", broken_disk)
    with pytest.raises(AuditUnavailableError, match="could not make records durable"):
        vault.put(NAME, {"password": "second"}, actor="t")
    with pytest.raises(AuditUnavailableError):
        vault.delete(NAME, actor="t")

    assert stored_versions(vault) == 1
    assert vault.read(NAME).reveal() == {"password": "first"}
