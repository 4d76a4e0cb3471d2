"""AES-256-GCM sealing with associated data, with one opaque error for every bad ciphertext."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from botwarden.errors import IntegrityError

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
FORMAT_V1 = b"\x01"
OVERHEAD = len(FORMAT_V1) + NONCE_BYTES + TAG_BYTES


def generate_key() -> bytes:
    """A fresh random 256-bit key."""

    return os.urandom(KEY_BYTES)


def _cipher(key: bytes) -> AESGCM:
    # NOTE: a key of the wrong type or length is a programming error, not bad
    # data, so it fails loudly rather than as an IntegrityError.
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise ValueError("AES-256-GCM needs a 32-byte key")
    return AESGCM(key)


def seal(key: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    """Encrypt and authenticate ``plaintext``, bound to ``associated_data``.

    The result is a format byte, a random 96-bit nonce, then ciphertext and tag.
    """

    nonce = os.urandom(NONCE_BYTES)
    return FORMAT_V1 + nonce + _cipher(key).encrypt(nonce, plaintext, associated_data)


def open_sealed(key: bytes, sealed: bytes, associated_data: bytes) -> bytes:
    """Decrypt what :func:`seal` produced, or raise :class:`IntegrityError`.

    A wrong key, a changed byte, a truncated value or other associated data
    all raise the same error.
    """

    cipher = _cipher(key)
    if not isinstance(sealed, bytes) or len(sealed) < OVERHEAD or sealed[:1] != FORMAT_V1:
        raise IntegrityError

    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return cipher.decrypt(nonce, body, associated_data)
    except InvalidTag:
        raise IntegrityError from None
