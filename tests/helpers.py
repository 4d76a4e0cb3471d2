"""Helpers for tests: fast key stretching, key sources, and searching bytes for canaries."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from botwarden.config import Settings
from botwarden.crypto import Argon2Parameters

FAST_ARGON2 = Argon2Parameters(time_cost=1, memory_cost_kib=8, parallelism=1)


def with_key_source(settings: Settings, source: str) -> Settings:
    return replace(settings, keys=replace(settings.keys, source=source))  # type: ignore[arg-type]


def encoded_forms(secret: str) -> list[bytes]:
    """The ways a leaked secret could be written: raw, JSON, repr, UTF-16, base64, hex."""

    raw = secret.encode("utf-8")
    forms = {
        raw,
        json.dumps(secret).strip('"').encode("utf-8"),
        repr(secret).strip("'").encode("utf-8"),
        secret.encode("utf-16-le"),
        base64.b64encode(raw),
        base64.urlsafe_b64encode(raw),
        raw.hex().encode("ascii"),
    }
    return sorted(forms)


def find_leaks(secret: str, data: bytes) -> list[bytes]:
    return [form for form in encoded_forms(secret) if form in data]


def files_containing(secret: str, root: Path) -> list[str]:
    """Every file under ``root`` holding ``secret`` in any encoded form."""

    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and find_leaks(secret, path.read_bytes()):
            found.append(str(path))
    return found


def postgres_schema_url(database_url: str) -> Iterator[str]:
    """A schema of its own inside the session's database, so each test starts empty."""

    from sqlalchemy import create_engine, text

    schema = f"t_{secrets.token_hex(6)}"
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    yield f"{database_url}?options=-csearch_path%3D{schema}"

    with engine.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def recorded(audit_log: object) -> list[dict[str, object]]:
    """Every record the test's audit log holds, parsed."""

    store = audit_log.writer.store  # type: ignore[attr-defined]
    return [json.loads(data) for data in store.read()]
