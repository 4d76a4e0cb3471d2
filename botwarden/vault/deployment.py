"""A deployment's lifecycle: `init`, opening it, rotating the root key, backup and restore."""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine, select

from botwarden import audit
from botwarden.config import KeySource, Settings, ensure_home, write_config_file
from botwarden.crypto import (
    DEFAULT_PARAMETERS,
    Argon2Parameters,
    RootKey,
    Sensitive,
    check_passphrase_strength,
    open_root_key,
    seal_root_key,
    take_root_key_from_environment,
    write_key_file,
    write_private_file,
)
from botwarden.errors import ConflictError, KeyFileError
from botwarden.logs import get_logger
from botwarden.store import check_schema, create_engine, current_revision, transaction, upgrade
from botwarden.vault.environments import initialise_vault
from botwarden.vault.keyring import Keyring, rotate_root_key
from botwarden.vault.models import root_key_table
from botwarden.vault.service import Vault
from botwarden.vault.unlock import current_key_path, next_path, open_keyring

log = get_logger(__name__)
SYSTEM_ACTOR = "system:botwarden"


@dataclass(frozen=True)
class InitResult:
    settings: Settings
    fingerprint: str
    key_location: str


def open_engine(settings: Settings) -> Engine:
    """The engine for the deployment's database, its schema checked."""

    engine = create_engine(settings.database_url)
    check_schema(engine)
    return engine


def open_vault(
    settings: Settings,
    *,
    passphrase: Sensitive[str] | None = None,
    environ: MutableMapping[str, str] | None = None,
    engine: Engine | None = None,
) -> Vault:
    """The vault of an initialised deployment, unlocked with its root key."""

    owned = engine is None
    engine = engine or create_engine(settings.database_url)
    try:
        check_schema(engine)
        keyring = open_keyring(settings, engine, passphrase=passphrase, environ=environ)
    except BaseException:
        if owned:
            engine.dispose()
        raise
    return Vault(engine, keyring, max_versions=settings.vault.max_versions)


def initialise(
    settings: Settings,
    *,
    passphrase: Sensitive[str] | None = None,
    key_output: Path | None = None,
    restore_from: RootKey | None = None,
    argon2: Argon2Parameters = DEFAULT_PARAMETERS,
    environ: MutableMapping[str, str] | None = None,
) -> InitResult:
    """Set up a new deployment, or take back a restored root key for an existing database.

    The root key is written to its home before the database learns its
    fingerprint, so that no database ever refers to a key that was not kept.
    """

    ensure_home(settings)
    if settings.config_file.exists() and restore_from is None:
        raise ConflictError(
            f"{settings.home} is already initialised",
            hint="Use another BOTWARDEN_HOME, or `botwarden init --restore BACKUP` to recover.",
        )

    engine = create_engine(settings.database_url)
    try:
        return _initialise(settings, engine, passphrase, key_output, restore_from, argon2, environ)
    finally:
        engine.dispose()


def _initialise(
    settings: Settings,
    engine: Engine,
    passphrase: Sensitive[str] | None,
    key_output: Path | None,
    restore_from: RootKey | None,
    argon2: Argon2Parameters,
    environ: MutableMapping[str, str] | None,
) -> InitResult:
    if current_revision(engine) is None:
        upgrade(engine)
    check_schema(engine)
    recorded = _recorded_fingerprint(engine)

    root = restore_from or _root_from_environment(settings, environ)
    if root is None and settings.keys.source == "env" and key_output is None:
        raise KeyFileError(
            f"the 'env' key source needs the root key in {settings.keys.env_var}, "
            "or a file to write a new one to",
            hint="Pass --key-output FILE to have a new key written there (mode 0600).",
        )
    root = root or RootKey.generate()
    if recorded is not None and recorded != root.fingerprint:
        raise ConflictError(
            "the database already belongs to a deployment with another root key",
            hint="Restore that deployment's key backup, or use an empty database.",
        )
    if recorded is not None:
        details = {"key": root.fingerprint[:16]}
        audit.record("deployment.restore", actor=SYSTEM_ACTOR, target="root-key", details=details)

    location = store_root_key(
        settings, root, passphrase=passphrase, key_output=key_output, argon2=argon2
    )
    write_config_file(settings)
    _write_tls_material(settings)
    prepare_audit(settings)

    if recorded is None:
        initialise_vault(engine, root)

    return InitResult(settings=settings, fingerprint=root.fingerprint, key_location=location)


def store_root_key(
    settings: Settings,
    root: RootKey,
    *,
    passphrase: Sensitive[str] | None,
    key_output: Path | None,
    argon2: Argon2Parameters = DEFAULT_PARAMETERS,
    pending: bool = False,
) -> str:
    """Keep ``root`` where its source expects it; ``pending`` writes the rotation's side file."""

    source: KeySource = settings.keys.source
    if source == "file":
        path = next_path(settings.root_key_file) if pending else settings.root_key_file
        write_key_file(path, root)
        return str(path)

    if source == "passphrase":
        if passphrase is None:
            raise KeyFileError("a passphrase is needed to seal the root key")
        check_passphrase_strength(passphrase)
        path = settings.sealed_root_key_file
        path = next_path(path) if pending else path
        write_private_file(path, seal_root_key(root, passphrase, argon2))
        return str(path)

    if key_output is None:
        if pending:
            raise KeyFileError(
                "with the 'env' key source the new root key must go to a file",
                hint="Pass --key-output FILE; load it into the environment variable afterwards.",
            )
        return f"environment variable {settings.keys.env_var}"
    write_private_file(key_output, (root.to_text() + "\n").encode("ascii"))
    return str(key_output)


def rotate_root(
    settings: Settings,
    vault: Vault,
    *,
    passphrase: Sensitive[str] | None = None,
    key_output: Path | None = None,
    argon2: Argon2Parameters = DEFAULT_PARAMETERS,
    actor: str = SYSTEM_ACTOR,
) -> Keyring:
    """Replace the root key: keep the new key, re-wrap environment keys, then switch files."""

    new_root = RootKey.generate()
    location = store_root_key(
        settings,
        new_root,
        passphrase=passphrase,
        key_output=key_output,
        argon2=argon2,
        pending=True,
    )

    keyring = rotate_root_key(vault.engine, vault.keyring, new_root, actor=actor)

    path = current_key_path(settings)
    if path is not None:
        os.replace(next_path(path), path)
    log.info("root_key_stored", location=str(path) if path is not None else location)
    return keyring


def backup_root_key(
    root: RootKey,
    output: Path,
    passphrase: Sensitive[str],
    argon2: Argon2Parameters = DEFAULT_PARAMETERS,
    actor: str = SYSTEM_ACTOR,
) -> None:
    """Write the root key sealed under a backup passphrase, for offline storage."""

    check_passphrase_strength(passphrase)
    audit.record("key.backup", actor=actor, target="root-key", details={"file": str(output)})
    write_private_file(output, seal_root_key(root, passphrase, argon2))


def read_backup(path: Path, passphrase: Sensitive[str]) -> RootKey:
    try:
        document = path.read_bytes()
    except OSError as error:
        raise KeyFileError(f"cannot read the backup {path}: {error.strerror}") from None
    return open_root_key(document, passphrase)


def settings_with_key_source(settings: Settings, source: KeySource) -> Settings:
    return replace(settings, keys=replace(settings.keys, source=source))


def _recorded_fingerprint(engine: Engine) -> str | None:
    with transaction(engine) as connection:
        return connection.execute(select(root_key_table.c.fingerprint)).scalar()


def _root_from_environment(
    settings: Settings, environ: MutableMapping[str, str] | None
) -> RootKey | None:
    if settings.keys.source != "env":
        return None
    return take_root_key_from_environment(
        os.environ if environ is None else environ, settings.keys.env_var
    )


def prepare_audit(settings: Settings) -> None:
    """Give a new home its audit store's own checkpoint key, unless it has one."""

    from botwarden.audit.log import create_audit_key, key_path

    ensure_home(settings)
    if not key_path(settings).exists():
        create_audit_key(settings)


def _write_tls_material(settings: Settings) -> None:
    if settings.ca_cert_file.exists():
        return
    from botwarden.crypto.tls import create_deployment_certificates

    create_deployment_certificates(settings.tls_dir, host=settings.server.host)
