"""Root keys: key files, passphrase sealing, the environment source and masked reprs."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from botwarden.crypto import (
    RootKey,
    Sensitive,
    open_root_key,
    read_key_file,
    seal_root_key,
    take_root_key_from_environment,
    write_key_file,
)
from botwarden.errors import KeyFileError, WrongPassphraseError
from tests.helpers import FAST_ARGON2

PASSPHRASE = Sensitive("correct horse battery staple")


def test_key_file_round_trip_with_mode_0600(tmp_path: Path) -> None:
    key = RootKey.generate()
    path = tmp_path / "root.key"

    write_key_file(path, key)

    assert read_key_file(path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],
        lambda text: "",
        lambda text: text.replace('"key": "', '"key": "A'),
        lambda text: text.replace("botwarden-root-key", "something-else"),
        lambda text: "not json at all",
    ],
    ids=["truncated", "empty", "altered-key", "wrong-format", "garbage"],
)
def test_corrupt_or_truncated_key_files_are_refused(tmp_path: Path, damage: object) -> None:
    path = tmp_path / "root.key"
    write_key_file(path, RootKey.generate())
    path.write_text(damage(path.read_text()))  # type: ignore[operator]

    with pytest.raises(KeyFileError, match="corrupt or truncated"):
        read_key_file(path)


def test_a_flipped_key_character_is_caught_by_the_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "root.key"
    write_key_file(path, RootKey.generate())
    document = json.loads(path.read_text())
    text = document["key"]
    document["key"] = ("B" if text[0] != "B" else "C") + text[1:]
    path.write_text(json.dumps(document))

    with pytest.raises(KeyFileError, match="corrupt or truncated"):
        read_key_file(path)


def test_missing_key_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="no root key file") as refused:
        read_key_file(tmp_path / "absent.key")

    assert "botwarden init" in refused.value.hint


def test_passphrase_sealing_round_trip() -> None:
    key = RootKey.generate()

    document = seal_root_key(key, PASSPHRASE, FAST_ARGON2)

    assert open_root_key(document, PASSPHRASE) == key
    assert key.to_text().encode() not in document


def test_wrong_passphrase_is_a_clear_error() -> None:
    document = seal_root_key(RootKey.generate(), PASSPHRASE, FAST_ARGON2)

    with pytest.raises(WrongPassphraseError, match="does not open"):
        open_root_key(document, Sensitive("another long passphrase"))


def test_changed_kdf_parameters_are_detected() -> None:
    document = json.loads(seal_root_key(RootKey.generate(), PASSPHRASE, FAST_ARGON2))
    document["time_cost"] = 2

    with pytest.raises(WrongPassphraseError):
        open_root_key(json.dumps(document).encode(), PASSPHRASE)


@pytest.mark.parametrize(
    "document", [b"", b"{}", b"[1]", b'{"format": "botwarden-sealed-root-key"}']
)
def test_corrupt_sealed_documents_are_refused(document: bytes) -> None:
    with pytest.raises(KeyFileError, match="corrupt or truncated"):
        open_root_key(document, PASSPHRASE)


def test_root_key_repr_shows_only_the_fingerprint() -> None:
    key = RootKey.generate()

    assert key.to_text() not in repr(key)
    assert key.fingerprint[:16] in repr(key)
    with pytest.raises(TypeError):
        __import__("pickle").dumps(key)


def test_sensitive_values_are_masked_everywhere() -> None:
    value = Sensitive("hunter2-canary")

    assert "hunter2" not in repr(value) + str(value) + f"{value}" + repr([value])
    assert value.reveal() == "hunter2-canary"
    with pytest.raises(TypeError):
        __import__("pickle").dumps(value)


def test_environment_key_is_removed_so_no_child_inherits_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = RootKey.generate()
    monkeypatch.setenv("BOTWARDEN_ROOT_KEY", key.to_text())

    taken = take_root_key_from_environment(os.environ, "BOTWARDEN_ROOT_KEY")
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.environ.get('BOTWARDEN_ROOT_KEY', 'absent'))"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert taken == key
    assert "BOTWARDEN_ROOT_KEY" not in os.environ
    assert child.stdout.strip() == "absent"


@pytest.mark.parametrize("text", ["not base64!", "AAAA", ""])
def test_a_bad_environment_key_is_refused(text: str) -> None:
    with pytest.raises(KeyFileError):
        take_root_key_from_environment({"BOTWARDEN_ROOT_KEY": text}, "BOTWARDEN_ROOT_KEY")
