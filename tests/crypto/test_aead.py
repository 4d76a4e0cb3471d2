"""AES-256-GCM sealing: round trip, binding to associated data, one opaque error."""

from __future__ import annotations

import pytest

from botwarden.crypto import generate_key, open_sealed, seal
from botwarden.errors import IntegrityError

KEY = generate_key()


def test_round_trip() -> None:
    assert open_sealed(KEY, seal(KEY, b"plain", b"ctx"), b"ctx") == b"plain"


def test_other_associated_data_fails() -> None:
    with pytest.raises(IntegrityError):
        open_sealed(KEY, seal(KEY, b"plain", b"ctx"), b"other")


def test_other_key_fails() -> None:
    with pytest.raises(IntegrityError):
        open_sealed(generate_key(), seal(KEY, b"plain", b"ctx"), b"ctx")


@pytest.mark.parametrize("sealed", [b"", b"\x01", b"\x02" + bytes(40), bytes(28)])
def test_malformed_input_fails_the_same_way(sealed: bytes) -> None:
    with pytest.raises(IntegrityError, match=r"^stored data failed its integrity check$"):
        open_sealed(KEY, sealed, b"ctx")


def test_trailing_bytes_fail() -> None:
    with pytest.raises(IntegrityError):
        open_sealed(KEY, seal(KEY, b"plain", b"ctx") + b"\x00", b"ctx")


@pytest.mark.parametrize("key", [b"short", bytes(31), bytes(33)])
def test_wrong_key_length_is_a_loud_programming_error(key: bytes) -> None:
    with pytest.raises(ValueError, match="32-byte key"):
        seal(key, b"plain", b"ctx")
