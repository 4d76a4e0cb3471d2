"""A deployment's life: init from each key source, root key rotation, backup and restore."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from botwarden.config import Settings
from botwarden.crypto import RootKey, Sensitive, read_key_file
from botwarden.errors import ConflictError, KeyFileError, SealedError, WrongPassphraseError
from botwarden.vault import (
    backup_root_key,
    initialise,
    open_vault,
    parse_secret_name,
    read_backup,
    rotate_root,
)
from botwarden.vault.deployment import store_root_key
from botwarden.vault.unlock import next_path
from tests.helpers import FAST_ARGON2, with_key_source

NAME = parse_secret_name("prod:erp/login")
PASSPHRASE = Sensitive("a long enough passphrase")


def test_init_writes_a_private_key_file_and_never_prompts(settings: Settings) -> None:
    result = initialise(settings)

    assert stat.S_IMODE(settings.root_key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.home.stat().st_mode) == 0o700
    assert read_key_file(settings.root_key_file).fingerprint == result.fingerprint
    assert settings.ca_cert_file.exists() and settings.config_file.exists()


def test_init_twice_is_refused(settings: Settings) -> None:
    initialise(settings)

    with pytest.raises(ConflictError, match="already initialised"):
        initialise(settings)


def test_passphrase_source_stays_sealed_without_the_passphrase(settings: Settings) -> None:
    sealed = with_key_source(settings, "passphrase")
    initialise(sealed, passphrase=PASSPHRASE, argon2=FAST_ARGON2)

    with pytest.raises(SealedError):
        open_vault(sealed)
    with pytest.raises(WrongPassphraseError):
        open_vault(sealed, passphrase=Sensitive("not the passphrase at all"))
    with open_vault(sealed, passphrase=PASSPHRASE) as vault:
        vault.put(NAME, {"password": "x"}, actor="t")

    assert not settings.root_key_file.exists()


def test_a_short_passphrase_is_refused_before_anything_is_written(settings: Settings) -> None:
    sealed = with_key_source(settings, "passphrase")

    with pytest.raises(KeyFileError, match="shorter than"):
        initialise(sealed, passphrase=Sensitive("short"), argon2=FAST_ARGON2)


def test_environment_source_reads_and_removes_the_variable(settings: Settings) -> None:
    from_env = with_key_source(settings, "env")
    key = RootKey.generate()
    initialise(from_env, environ={"BOTWARDEN_ROOT_KEY": key.to_text()})

    environ = {"BOTWARDEN_ROOT_KEY": key.to_text(), "OTHER": "kept"}
    with open_vault(from_env, environ=environ) as vault:
        vault.put(NAME, {"password": "x"}, actor="t")

    assert environ == {"OTHER": "kept"}
    with pytest.raises(SealedError, match="BOTWARDEN_ROOT_KEY is not set"):
        open_vault(from_env, environ={})


def test_environment_source_without_a_key_needs_an_output_file(
    settings: Settings, tmp_path: Path
) -> None:
    from_env = with_key_source(settings, "env")

    with pytest.raises(KeyFileError, match="needs the root key in BOTWARDEN_ROOT_KEY") as refused:
        initialise(from_env, environ={})
    assert "--key-output" in refused.value.hint

    initialise(from_env, environ={}, key_output=tmp_path / "new.key")
    key = (tmp_path / "new.key").read_text().strip()
    with open_vault(from_env, environ={"BOTWARDEN_ROOT_KEY": key}) as vault:
        assert vault.list_secrets("prod") == []


def test_root_rotation_changes_the_key_file_and_keeps_every_secret(settings: Settings) -> None:
    initialise(settings)
    old = read_key_file(settings.root_key_file)
    with open_vault(settings) as vault:
        vault.put(NAME, {"password": "kept"}, actor="t")
        rotate_root(settings, vault)

    new = read_key_file(settings.root_key_file)
    assert new != old
    assert not next_path(settings.root_key_file).exists()
    with open_vault(settings) as vault:
        assert vault.read(NAME).reveal() == {"password": "kept"}


def test_a_crash_before_the_database_switched_keeps_the_old_key(settings: Settings) -> None:
    initialise(settings)
    old = read_key_file(settings.root_key_file)
    store_root_key(settings, RootKey.generate(), passphrase=None, key_output=None, pending=True)

    with open_vault(settings) as vault:
        assert vault.keyring.root == old

    assert not next_path(settings.root_key_file).exists()
    assert read_key_file(settings.root_key_file) == old


def test_a_crash_after_the_database_switched_finishes_the_rotation(settings: Settings) -> None:
    from botwarden.vault.keyring import rotate_root_key

    initialise(settings)
    new = RootKey.generate()
    with open_vault(settings) as vault:
        vault.put(NAME, {"password": "kept"}, actor="t")
        store_root_key(settings, new, passphrase=None, key_output=None, pending=True)
        rotate_root_key(vault.engine, vault.keyring, new)

    with open_vault(settings) as vault:
        assert vault.keyring.root == new
        assert vault.read(NAME).reveal() == {"password": "kept"}
    assert read_key_file(settings.root_key_file) == new
    assert not next_path(settings.root_key_file).exists()


def test_passphrase_root_rotation_reseals_under_the_same_passphrase(settings: Settings) -> None:
    sealed = with_key_source(settings, "passphrase")
    initialise(sealed, passphrase=PASSPHRASE, argon2=FAST_ARGON2)
    with open_vault(sealed, passphrase=PASSPHRASE) as vault:
        vault.put(NAME, {"password": "kept"}, actor="t")
        old = vault.keyring.root
        rotate_root(sealed, vault, passphrase=PASSPHRASE, argon2=FAST_ARGON2)

    with open_vault(sealed, passphrase=PASSPHRASE) as vault:
        assert vault.keyring.root != old
        assert vault.read(NAME).reveal() == {"password": "kept"}


def test_backup_and_restore_into_a_fresh_home(settings: Settings, tmp_path: Path) -> None:
    initialise(settings)
    backup = tmp_path / "root.backup"
    with open_vault(settings) as vault:
        vault.put(NAME, {"password": "kept"}, actor="t")
        backup_root_key(vault.keyring.root, backup, PASSPHRASE, FAST_ARGON2)

    settings.root_key_file.unlink()
    settings.config_file.unlink()
    restored = read_backup(backup, PASSPHRASE)
    initialise(settings, restore_from=restored)

    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    with open_vault(settings) as vault:
        assert vault.read(NAME).reveal() == {"password": "kept"}


def test_restoring_a_key_of_another_deployment_is_refused(settings: Settings) -> None:
    initialise(settings)

    with pytest.raises(ConflictError, match="another root key"):
        initialise(settings, restore_from=RootKey.generate())

    with open_vault(settings) as vault:
        assert vault.list_secrets("prod") == []


def test_a_backup_with_the_wrong_passphrase_is_refused(tmp_path: Path) -> None:
    backup = tmp_path / "root.backup"
    backup_root_key(RootKey.generate(), backup, PASSPHRASE, FAST_ARGON2)

    with pytest.raises(WrongPassphraseError):
        read_backup(backup, Sensitive("the wrong passphrase here"))


def test_a_process_holding_an_old_root_key_is_told_so(settings: Settings) -> None:
    from botwarden.errors import WrongRootKeyError
    from botwarden.vault import rotate_environment_key

    initialise(settings)
    with open_vault(settings) as stale, open_vault(settings) as other:
        stale.put(NAME, {"password": "x"}, actor="t")
        rotate_root(settings, other)
        rotate_environment_key(other.engine, other.keyring, "prod", actor="t")

        with pytest.raises(WrongRootKeyError, match="rotated by another process"):
            stale.read(NAME)
        assert other.read(NAME).reveal() == {"password": "x"}
