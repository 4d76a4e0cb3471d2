"""Fixtures for audit tests: a deployment home whose log has records, checkpoints and a witness."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from botwarden.audit.log import open_audit_log
from botwarden.audit.records import prepare_record
from botwarden.audit.redaction import SecretRedactor
from botwarden.config import Settings, load_settings
from botwarden.config.settings import AuditSettings
from botwarden.vault import initialise


def home_settings(home: Path, **audit: object) -> Settings:
    settings = load_settings({"BOTWARDEN_HOME": str(home), "BOTWARDEN_DEPLOYMENT": "dev"})
    return replace(settings, audit=replace(AuditSettings(checkpoint_every=5), **audit))


def append_records(settings: Settings, count: int, start: int = 0) -> None:
    """Append ``count`` records through the home's own log, then close it (final checkpoint)."""

    log = open_audit_log(settings)
    try:
        for number in range(start, start + count):
            record = prepare_record(
                "test.event",
                actor=f"user:u{number % 3}",
                target=f"prod:app/{number}",
                details={"number": number},
                redactor=SecretRedactor(),
            )
            log.append(record)
    finally:
        log.close()


@pytest.fixture
def audited_home(tmp_path: Path) -> Settings:
    """An initialised home whose audit log holds 23 records under several checkpoints."""

    settings = home_settings(tmp_path / "home")
    initialise(settings)
    append_records(settings, 23)
    return settings
