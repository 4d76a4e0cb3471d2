"""The root key: the one secret that protects every environment key; never in the database."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import MutableMapping
from typing import NoReturn

from botwarden.crypto.aead import KEY_BYTES, generate_key
from botwarden.errors import KeyFileError

_FINGERPRINT_LABEL = b"botwarden root key fingerprint v1"


class RootKey:
    """A 256-bit root key. Its ``repr`` shows only the fingerprint."""

    __slots__ = ("_material",)

    def __init__(self, material: bytes) -> None:
        if not isinstance(material, bytes) or len(material) != KEY_BYTES:
            raise ValueError("a root key is 32 bytes")
        self._material = material

    @classmethod
    def generate(cls) -> RootKey:
        return cls(generate_key())

    @classmethod
    def from_text(cls, text: str) -> RootKey:
        """Decode the base64 form used by the key file and the environment variable."""

        try:
            material = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise KeyFileError(
                "the root key is not valid base64", hint="Give the key exactly as it was issued."
            ) from None
        if len(material) != KEY_BYTES:
            raise KeyFileError(
                f"the root key has {len(material)} bytes instead of {KEY_BYTES}",
                hint="The key is truncated or is not a botwarden root key.",
            )
        return cls(material)

    def to_text(self) -> str:
        return base64.b64encode(self._material).decode("ascii")

    def material(self) -> bytes:
        """The key bytes, for wrapping and unwrapping environment keys."""

        return self._material

    @property
    def fingerprint(self) -> str:
        """A one-way identifier of the key, safe to store and to show."""

        return hmac.new(self._material, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:32]

    def __repr__(self) -> str:
        return f"RootKey(fingerprint={self.fingerprint[:16]})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RootKey):
            return NotImplemented
        return hmac.compare_digest(self._material, other._material)

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __reduce__(self) -> NoReturn:
        raise TypeError("a root key cannot be pickled")


def take_root_key_from_environment(environ: MutableMapping[str, str], name: str) -> RootKey | None:
    """Read the root key from ``environ[name]`` and remove it, so no child process inherits it."""

    text = environ.pop(name, None)
    if text is None:
        return None
    return RootKey.from_text(text)
