"""A root key sealed under a passphrase (Argon2id, then AES-256-GCM): unseal files and backups."""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import asdict, dataclass

from botwarden.crypto.aead import KEY_BYTES, open_sealed, seal
from botwarden.crypto.rootkey import RootKey
from botwarden.crypto.sensitive import Sensitive
from botwarden.errors import IntegrityError, KeyFileError, WrongPassphraseError

SEALED_FORMAT = "botwarden-sealed-root-key"
MIN_PASSPHRASE_CHARACTERS = 12


@dataclass(frozen=True)
class Argon2Parameters:
    """Argon2id costs. The defaults are RFC 9106's second recommended option."""

    time_cost: int = 3
    memory_cost_kib: int = 64 * 1024
    parallelism: int = 4


DEFAULT_PARAMETERS = Argon2Parameters()


def stretch(passphrase: Sensitive[str], salt: bytes, parameters: Argon2Parameters) -> bytes:
    """Derive a 256-bit key from a passphrase with Argon2id."""

    from argon2.low_level import Type, hash_secret_raw

    return bytes(
        hash_secret_raw(
            secret=passphrase.reveal().encode("utf-8"),
            salt=salt,
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_cost_kib,
            parallelism=parameters.parallelism,
            hash_len=KEY_BYTES,
            type=Type.ID,
        )
    )


def check_passphrase_strength(passphrase: Sensitive[str]) -> None:
    """Refuse passphrases too short to protect a root key."""

    if len(passphrase.reveal()) < MIN_PASSPHRASE_CHARACTERS:
        raise KeyFileError(
            f"the passphrase is shorter than {MIN_PASSPHRASE_CHARACTERS} characters",
            hint="Choose a longer passphrase; several unrelated words work well.",
        )


def seal_root_key(
    key: RootKey,
    passphrase: Sensitive[str],
    parameters: Argon2Parameters = DEFAULT_PARAMETERS,
) -> bytes:
    """The JSON document that holds ``key`` encrypted under ``passphrase``."""

    salt = os.urandom(16)
    header = {"format": SEALED_FORMAT, "version": 1, "kdf": "argon2id", **asdict(parameters)}
    header["salt"] = base64.b64encode(salt).decode("ascii")

    wrapping_key = stretch(passphrase, salt, parameters)
    sealed = seal(wrapping_key, key.material(), _associated_data(header))

    document = {**header, "sealed": base64.b64encode(sealed).decode("ascii")}
    return (json.dumps(document, indent=2) + "\n").encode("ascii")


def open_root_key(document: bytes, passphrase: Sensitive[str]) -> RootKey:
    """Recover the root key from :func:`seal_root_key`'s output."""

    header, sealed = _parse(document)
    parameters = Argon2Parameters(
        time_cost=int(str(header["time_cost"])),
        memory_cost_kib=int(str(header["memory_cost_kib"])),
        parallelism=int(str(header["parallelism"])),
    )
    salt = base64.b64decode(str(header["salt"]))

    wrapping_key = stretch(passphrase, salt, parameters)
    try:
        material = open_sealed(wrapping_key, sealed, _associated_data(header))
    except IntegrityError:
        raise WrongPassphraseError(
            "the passphrase does not open this sealed root key (or the file was altered)"
        ) from None

    return RootKey(material)


def _associated_data(header: dict[str, object]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("ascii")


def _parse(document: bytes) -> tuple[dict[str, object], bytes]:
    corrupt = KeyFileError(
        "the sealed root key is corrupt or truncated",
        hint="Use another copy of your key backup.",
    )
    try:
        data = json.loads(document)
    except (ValueError, UnicodeDecodeError):
        raise corrupt from None
    if not isinstance(data, dict) or data.get("format") != SEALED_FORMAT:
        raise corrupt

    integer_fields = ("version", "time_cost", "memory_cost_kib", "parallelism")
    if any(not isinstance(data.get(name), int) for name in integer_fields):
        raise corrupt
    if data.get("kdf") != "argon2id" or data["version"] != 1:
        raise corrupt
    if not 1 <= data["time_cost"] <= 64 or not 8 <= data["memory_cost_kib"] <= 4 * 1024 * 1024:
        raise corrupt
    if not 1 <= data["parallelism"] <= 64:
        raise corrupt

    try:
        sealed = base64.b64decode(data.pop("sealed"), validate=True)
        base64.b64decode(data["salt"], validate=True)
    except (KeyError, TypeError, binascii.Error, ValueError):
        raise corrupt from None

    return data, sealed
