"""Attacks on stored ciphertexts: moved, swapped, altered or opened with the wrong key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, update

from botwarden.config import Settings
from botwarden.crypto import RootKey, write_key_file
from botwarden.errors import IntegrityError, WrongRootKeyError
from botwarden.vault import Vault, initialise, open_vault, parse_secret_name
from botwarden.vault.models import environment_keys_table, secrets_table, versions_table

ERP = parse_secret_name("prod:erp/login")
MAIL = parse_secret_name("prod:mail/imap")
DEV_ERP = parse_secret_name("dev:erp/login")


@pytest.fixture
def vault(settings: Settings) -> Iterator[Vault]:
    initialise(settings)
    with open_vault(settings) as opened:
        opened.put(ERP, {"password": "erp-password"}, actor="t")
        opened.put(ERP, {"password": "erp-password-2"}, actor="t")
        opened.put(MAIL, {"password": "mail-password"}, actor="t")
        opened.put(DEV_ERP, {"password": "dev-password"}, actor="t")
        yield opened


def version_row(
    vault: Vault, environment: str, path: str, version: int
) -> tuple[int, bytes, bytes]:
    query = (
        select(versions_table.c.id, versions_table.c.wrapped_data_key, versions_table.c.ciphertext)
        .join(secrets_table, secrets_table.c.id == versions_table.c.secret_id)
        .where(secrets_table.c.path == path, versions_table.c.version == version)
        .where(versions_table.c.environment_id == environment_id(vault, environment))
    )
    with vault.engine.connect() as connection:
        row = connection.execute(query).one()
    return row.id, row.wrapped_data_key, row.ciphertext


def environment_id(vault: Vault, name: str) -> int:
    from botwarden.store import environments_table

    with vault.engine.connect() as connection:
        return int(
            connection.execute(
                select(environments_table.c.id).where(environments_table.c.name == name)
            ).scalar_one()
        )


def overwrite(vault: Vault, row_id: int, wrapped: bytes, ciphertext: bytes) -> None:
    with vault.engine.begin() as connection:
        connection.execute(
            update(versions_table)
            .where(versions_table.c.id == row_id)
            .values(wrapped_data_key=wrapped, ciphertext=ciphertext)
        )


def test_ciphertext_moved_to_another_path_fails(vault: Vault) -> None:
    _, wrapped, ciphertext = version_row(vault, "prod", "erp/login", 2)
    target, _, _ = version_row(vault, "prod", "mail/imap", 1)

    overwrite(vault, target, wrapped, ciphertext)

    with pytest.raises(IntegrityError, match=r"^stored data failed its integrity check$"):
        vault.read(MAIL)


def test_ciphertext_moved_to_another_version_of_the_same_secret_fails(vault: Vault) -> None:
    _, wrapped, ciphertext = version_row(vault, "prod", "erp/login", 1)
    target, _, _ = version_row(vault, "prod", "erp/login", 2)

    overwrite(vault, target, wrapped, ciphertext)

    with pytest.raises(IntegrityError):
        vault.read(ERP)


def test_ciphertext_moved_to_another_environment_fails(vault: Vault) -> None:
    _, wrapped, ciphertext = version_row(vault, "prod", "erp/login", 2)
    target, _, _ = version_row(vault, "dev", "erp/login", 1)

    overwrite(vault, target, wrapped, ciphertext)

    with pytest.raises(IntegrityError):
        vault.read(DEV_ERP)


def test_value_ciphertext_with_another_rows_data_key_fails(vault: Vault) -> None:
    _, _, ciphertext = version_row(vault, "prod", "mail/imap", 1)
    target, wrapped, _ = version_row(vault, "prod", "erp/login", 2)

    overwrite(vault, target, wrapped, ciphertext)

    with pytest.raises(IntegrityError):
        vault.read(ERP)


@pytest.mark.parametrize("position", [0, 1, 13, 30, -1])
def test_one_flipped_byte_anywhere_fails_the_same_way(vault: Vault, position: int) -> None:
    row_id, wrapped, ciphertext = version_row(vault, "prod", "erp/login", 2)
    altered = bytearray(ciphertext)
    altered[position] ^= 0x01

    overwrite(vault, row_id, wrapped, bytes(altered))

    with pytest.raises(IntegrityError, match=r"^stored data failed its integrity check$"):
        vault.read(ERP)


@pytest.mark.parametrize("length", [0, 1, 12, 28, 29])
def test_truncated_ciphertext_fails(vault: Vault, length: int) -> None:
    row_id, wrapped, ciphertext = version_row(vault, "prod", "erp/login", 2)

    overwrite(vault, row_id, wrapped, ciphertext[:length])

    with pytest.raises(IntegrityError):
        vault.read(ERP)


def test_environment_keys_swapped_between_environments_fail(vault: Vault) -> None:
    prod, dev = environment_id(vault, "prod"), environment_id(vault, "dev")
    with vault.engine.begin() as connection:
        keys = dict(
            connection.execute(
                select(
                    environment_keys_table.c.environment_id, environment_keys_table.c.wrapped_key
                )
            ).all()
        )
        connection.execute(
            update(environment_keys_table)
            .where(environment_keys_table.c.environment_id == prod)
            .values(wrapped_key=keys[dev])
        )

    with open_vault_again(vault) as fresh, pytest.raises(IntegrityError):
        fresh.read(ERP)


def open_vault_again(vault: Vault) -> Vault:
    """A vault with an empty key cache over the same database."""

    from botwarden.vault.keyring import Keyring

    return Vault(vault.engine, Keyring(vault.keyring.root))


def test_two_encryptions_of_one_value_differ(vault: Vault) -> None:
    vault.put(MAIL, {"password": "mail-password"}, actor="t")

    first = version_row(vault, "prod", "mail/imap", 1)[2]
    second = version_row(vault, "prod", "mail/imap", 2)[2]

    assert first != second


def test_wrong_root_key_is_a_clear_error_not_garbage(settings: Settings) -> None:
    initialise(settings)
    write_key_file(settings.root_key_file, RootKey.generate())

    with pytest.raises(WrongRootKeyError, match="does not belong to this deployment"):
        open_vault(settings)
