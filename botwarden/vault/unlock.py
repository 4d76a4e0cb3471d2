"""Loading the root key from its configured source: key file, passphrase or environment."""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

from sqlalchemy import Engine

from botwarden.config import Settings
from botwarden.crypto import (
    RootKey,
    Sensitive,
    open_root_key,
    read_key_file,
    take_root_key_from_environment,
)
from botwarden.errors import KeyFileError, SealedError
from botwarden.logs import get_logger
from botwarden.vault.keyring import Keyring

log = get_logger(__name__)


def next_path(path: Path) -> Path:
    """Where a rotated key waits until the database has switched to it."""

    return path.with_name(path.name + ".next")


def root_key_candidates(
    settings: Settings,
    *,
    passphrase: Sensitive[str] | None = None,
    environ: MutableMapping[str, str] | None = None,
) -> list[RootKey]:
    """The root key of the configured source, then any rotated key not yet finalised."""

    source = settings.keys.source

    if source == "env":
        environ = os.environ if environ is None else environ
        key = take_root_key_from_environment(environ, settings.keys.env_var)
        if key is None:
            raise SealedError(
                f"the root key source is 'env' but {settings.keys.env_var} is not set",
                hint=f"Set {settings.keys.env_var} to the base64 root key for this process.",
            )
        return [key]

    if source == "passphrase":
        if passphrase is None:
            raise SealedError("the root key is sealed under a passphrase")
        sealed = settings.sealed_root_key_file
        candidates = [open_root_key(_read(sealed), passphrase)]
        if next_path(sealed).exists():
            candidates.append(open_root_key(_read(next_path(sealed)), passphrase))
        return candidates

    candidates = [read_key_file(settings.root_key_file)]
    if next_path(settings.root_key_file).exists():
        candidates.append(read_key_file(next_path(settings.root_key_file)))
    return candidates


def current_key_path(settings: Settings) -> Path | None:
    """The file that holds the root key for this source, if it is kept in a file."""

    if settings.keys.source == "file":
        return settings.root_key_file
    if settings.keys.source == "passphrase":
        return settings.sealed_root_key_file
    return None


def open_keyring(
    settings: Settings,
    engine: Engine,
    *,
    passphrase: Sensitive[str] | None = None,
    environ: MutableMapping[str, str] | None = None,
) -> Keyring:
    """Load the root key, check it against the database, and finish an interrupted rotation."""

    candidates = root_key_candidates(settings, passphrase=passphrase, environ=environ)
    keyring = Keyring.open(engine, candidates)
    finish_pending_rotation(settings, candidates, keyring.root)
    return keyring


def finish_pending_rotation(
    settings: Settings, candidates: list[RootKey], in_force: RootKey
) -> None:
    """Make the key file match the key the database uses, after a crash mid-rotation.

    A rotation writes the new key beside the old one, switches the database,
    then renames the new file over the old. Whichever key the database holds
    decides which file survives.
    """

    path = current_key_path(settings)
    if path is None or len(candidates) < 2:
        return

    if in_force == candidates[1]:
        os.replace(next_path(path), path)
        log.warning("root_key_rotation_finished", path=str(path))
    else:
        next_path(path).unlink()
        log.warning("root_key_rotation_abandoned", path=str(path))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(
            f"no sealed root key at {path}",
            hint="Run `botwarden init --key-source passphrase`, or restore a backup.",
        ) from None
