"""Keys and ciphers: the root key, AES-256-GCM sealing, passphrase sealing, masked values.

This package uses nothing else of botwarden but its error tree.
"""

from botwarden.crypto.aead import generate_key, open_sealed, seal
from botwarden.crypto.keyfile import read_key_file, write_key_file, write_private_file
from botwarden.crypto.passphrase import (
    DEFAULT_PARAMETERS,
    Argon2Parameters,
    check_passphrase_strength,
    open_root_key,
    seal_root_key,
)
from botwarden.crypto.rootkey import RootKey, take_root_key_from_environment
from botwarden.crypto.sensitive import Sensitive

__all__ = [
    "DEFAULT_PARAMETERS",
    "Argon2Parameters",
    "RootKey",
    "Sensitive",
    "check_passphrase_strength",
    "generate_key",
    "open_root_key",
    "open_sealed",
    "read_key_file",
    "seal",
    "seal_root_key",
    "take_root_key_from_environment",
    "write_key_file",
    "write_private_file",
]
