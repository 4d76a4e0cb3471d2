"""Envelope encryption of secret versions: one data key each, wrapped by the environment key."""

from __future__ import annotations

import json
from collections.abc import Mapping

from botwarden.crypto import Sensitive, generate_key, open_sealed, seal
from botwarden.vault.fields import decode_fields, encode_fields


def value_context(environment: str, path: str, version: int) -> bytes:
    """Associated data that binds a ciphertext to its environment, path and version."""

    return json.dumps(["secret-value", environment, path, version]).encode("utf-8")


def data_key_context(environment: str, path: str, version: int) -> bytes:
    """Associated data that binds a wrapped data key to the same place."""

    return json.dumps(["data-key", environment, path, version]).encode("utf-8")


def encrypt_version(
    environment_key: bytes, environment: str, path: str, version: int, fields: Mapping[str, str]
) -> tuple[bytes, bytes]:
    """Return ``(wrapped data key, ciphertext)`` for one version's fields."""

    data_key = generate_key()
    ciphertext = seal(data_key, encode_fields(fields), value_context(environment, path, version))
    wrapped = seal(environment_key, data_key, data_key_context(environment, path, version))
    return wrapped, ciphertext


def decrypt_version(
    environment_key: bytes,
    environment: str,
    path: str,
    version: int,
    wrapped_data_key: bytes,
    ciphertext: bytes,
) -> dict[str, Sensitive[str]]:
    """The fields of one version; any mismatch raises the one opaque ``IntegrityError``."""

    data_key = open_sealed(
        environment_key, wrapped_data_key, data_key_context(environment, path, version)
    )
    plaintext = open_sealed(data_key, ciphertext, value_context(environment, path, version))
    return decode_fields(plaintext)


def rewrap_data_key(
    old_environment_key: bytes,
    new_environment_key: bytes,
    environment: str,
    path: str,
    version: int,
    wrapped_data_key: bytes,
) -> bytes:
    """Move a data key from one environment key version to another."""

    context = data_key_context(environment, path, version)
    return seal(
        new_environment_key, open_sealed(old_environment_key, wrapped_data_key, context), context
    )
