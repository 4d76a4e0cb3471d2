"""Root key files: written atomically with mode 0600, read with a check against corruption."""

from __future__ import annotations

import json
import os
from pathlib import Path

from botwarden.crypto.rootkey import RootKey
from botwarden.errors import KeyFileError

KEY_FILE_FORMAT = "botwarden-root-key"


def write_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600, atomically and durably."""

    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)

    os.replace(temporary, path)
    fsync_directory(path.parent)


def fsync_directory(folder: Path) -> None:
    """Make a folder's entries (a new or renamed file) durable."""

    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_key_file(path: Path, key: RootKey) -> None:
    """Store ``key`` in ``path`` (mode 0600) with its fingerprint as a checksum."""

    document = {
        "format": KEY_FILE_FORMAT,
        "version": 1,
        "key": key.to_text(),
        "fingerprint": key.fingerprint,
    }
    write_private_file(path, (json.dumps(document, indent=2) + "\n").encode("ascii"))


def read_key_file(path: Path) -> RootKey:
    """Load a key file, refusing one that is missing, corrupt or truncated."""

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(
            f"no root key file at {path}",
            hint="Run `botwarden init` to create one, or `botwarden init --restore BACKUP`.",
        ) from None
    except OSError as error:
        raise KeyFileError(f"cannot read the root key file {path}: {error.strerror}") from None

    corrupt = KeyFileError(
        f"the root key file {path} is corrupt or truncated",
        hint="Restore it from your key backup with `botwarden init --restore BACKUP`.",
    )
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise corrupt from None

    if not isinstance(document, dict) or document.get("format") != KEY_FILE_FORMAT:
        raise corrupt
    if document.get("version") != 1:
        raise KeyFileError(f"the root key file {path} has an unknown version")

    text, fingerprint = document.get("key"), document.get("fingerprint")
    if not isinstance(text, str) or not isinstance(fingerprint, str):
        raise corrupt
    try:
        key = RootKey.from_text(text)
    except KeyFileError:
        raise corrupt from None
    if key.fingerprint != fingerprint:
        raise corrupt

    return key
