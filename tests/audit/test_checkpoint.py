"""Checkpoints: the tlog-checkpoint text, signed checkpoints, and the audit key file."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
from pathlib import Path

import pytest

from botwarden.audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    create_audit_key,
    load_audit_key,
    open_checkpoint,
    sign_checkpoint,
    verifier_key_path,
    write_verifier_key,
)
from botwarden.audit.note import NoteError, NoteVerifier, generate_signer
from botwarden.errors import KeyFileError

ORIGIN = "botwarden.example/audit/7f3c"
ROOT = hashlib.sha256(b"root").digest()
ROOT_TEXT = base64.b64encode(ROOT).decode()
CHECKPOINT = Checkpoint(ORIGIN, 5, ROOT)
SIGNER = generate_signer(ORIGIN)


def test_checkpoint_text_is_origin_size_and_root_one_a_line() -> None:
    text = CHECKPOINT.to_text()

    assert text == f"{ORIGIN}\n5\n{ROOT_TEXT}\n"
    assert Checkpoint.from_text(text) == CHECKPOINT


def test_extension_lines_are_kept() -> None:
    checkpoint = Checkpoint(ORIGIN, 0, ROOT, ("ext one", "— ext two"))

    text = checkpoint.to_text()

    assert text == f"{ORIGIN}\n0\n{ROOT_TEXT}\next one\n— ext two\n"
    assert Checkpoint.from_text(text) == checkpoint


def test_signed_checkpoint_round_trip() -> None:
    note = sign_checkpoint(CHECKPOINT, SIGNER)

    assert note.startswith(CHECKPOINT.to_text() + "\n— " + ORIGIN + " ")
    assert open_checkpoint(note, SIGNER.verifier(), ORIGIN) == CHECKPOINT


def test_the_largest_tree_size_round_trips() -> None:
    checkpoint = Checkpoint(ORIGIN, 2**64 - 1, ROOT)

    assert Checkpoint.from_text(checkpoint.to_text()).size == 2**64 - 1


@pytest.mark.parametrize(
    "size",
    [
        "012",
        "00",
        "+5",
        "-1",
        " 5",
        "5 ",
        "",
        "0x5",
        "1e3",
        "5_0",
        "٣",
        "５",
        "18446744073709551616",
    ],
)
def test_non_canonical_sizes_are_refused(size: str) -> None:
    with pytest.raises(CheckpointError, match="tree size"):
        Checkpoint.from_text(f"{ORIGIN}\n{size}\n{ROOT_TEXT}\n")


@pytest.mark.parametrize(
    ("root", "reason"),
    [
        (base64.b64encode(ROOT[:31]).decode(), "not 32 bytes"),
        (base64.b64encode(ROOT + b"\x00").decode(), "not 32 bytes"),
        (ROOT_TEXT.rstrip("="), "not base64"),
        (ROOT_TEXT[:-2] + "B=", "not canonical base64"),
        (base64.urlsafe_b64encode(b"\xff" * 32).decode(), "not base64"),
        (ROOT.hex(), "not 32 bytes"),
        (" " + ROOT_TEXT, "not base64"),
        ("", "not 32 bytes"),
    ],
    ids=["31-bytes", "33-bytes", "unpadded", "trailing-bits", "url-safe", "hex", "space", "empty"],
)
def test_bad_root_hashes_are_refused(root: str, reason: str) -> None:
    with pytest.raises(CheckpointError, match=reason):
        Checkpoint.from_text(f"{ORIGIN}\n5\n{root}\n")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"{ORIGIN}\n5\n{ROOT_TEXT}", "newline"),
        (f"{ORIGIN}\n5\n", "2 lines"),
        ("", "newline"),
        (f"\n5\n{ROOT_TEXT}\n", "origin line is empty"),
        (f"{ORIGIN}\n5\n{ROOT_TEXT}\n\n", "extension line 4 is empty"),
        (f"{ORIGIN}\n5\n{ROOT_TEXT}\next\n\nmore\n", "extension line 5 is empty"),
        (f"{ORIGIN}\r\n5\n{ROOT_TEXT}\n", "origin line contains a control character"),
    ],
    ids=[
        "no-final-newline",
        "no-root",
        "empty",
        "empty-origin",
        "blank-line",
        "blank-middle",
        "cr",
    ],
)
def test_malformed_checkpoint_texts_are_refused(text: str, reason: str) -> None:
    with pytest.raises(CheckpointError, match=reason):
        Checkpoint.from_text(text)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ((ORIGIN, -1, ROOT), "tree size"),
        ((ORIGIN, 2**64, ROOT), "tree size"),
        ((ORIGIN, True, ROOT), "tree size"),
        ((ORIGIN, 5, ROOT[:16]), "32 bytes"),
        (("", 5, ROOT), "origin line is empty"),
        ((f"{ORIGIN}\n6", 5, ROOT), "control character"),
        ((ORIGIN, 5, ROOT, ("ok", "")), "extension line 5 is empty"),
    ],
    ids=["negative", "too-large", "bool", "short-root", "no-origin", "newline", "empty-ext"],
)
def test_invalid_checkpoints_cannot_be_built(fields: tuple[object, ...], reason: str) -> None:
    with pytest.raises(CheckpointError, match=reason):
        Checkpoint(*fields)  # type: ignore[arg-type]


def test_a_checkpoint_signed_with_any_other_key_is_refused() -> None:
    for other in (generate_signer("someone.example/log"), generate_signer(ORIGIN)):
        note = sign_checkpoint(CHECKPOINT, other)

        with pytest.raises(NoteError, match=f"not signed by {ORIGIN}"):
            open_checkpoint(note, SIGNER.verifier())


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("\n5\n", "\n4\n"),
        ("\n5\n", "\n6\n"),
        (ROOT_TEXT, base64.b64encode(hashlib.sha256(b"other").digest()).decode()),
        (ORIGIN, ORIGIN.replace("7f3c", "7f3d")),
    ],
    ids=["shrunk", "grown", "other-root", "other-origin"],
)
def test_an_altered_checkpoint_is_refused(old: str, new: str) -> None:
    note = sign_checkpoint(CHECKPOINT, SIGNER).replace(old, new, 1)

    with pytest.raises(NoteError, match="does not verify"):
        open_checkpoint(note, SIGNER.verifier())


def test_a_checkpoint_of_another_log_is_refused() -> None:
    signer = generate_signer("botwarden.example/audit/other")
    note = sign_checkpoint(Checkpoint("botwarden.example/audit/other", 5, ROOT), signer)

    with pytest.raises(CheckpointError, match=re.escape(f"not {ORIGIN!r}")):
        open_checkpoint(note, signer.verifier(), expected_origin=ORIGIN)


def test_a_signed_note_that_is_no_checkpoint_is_refused() -> None:
    note = SIGNER.sign(f"{ORIGIN}\n05\n{ROOT_TEXT}\n")

    with pytest.raises(CheckpointError, match="leading zeros"):
        open_checkpoint(note, SIGNER.verifier())


def test_witness_cosignatures_are_ignored() -> None:
    witness = generate_signer("witness.example/w1")
    note = sign_checkpoint(CHECKPOINT, SIGNER)
    cosigned = note + witness.sign(CHECKPOINT.to_text()).split("\n\n")[-1]

    assert open_checkpoint(cosigned, SIGNER.verifier(), ORIGIN) == CHECKPOINT


def test_audit_key_file_is_created_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "audit.key"

    signer = create_audit_key(path, ORIGIN)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == signer.signer_key().reveal() + "\n"
    assert signer.name == ORIGIN
    assert load_audit_key(path).verifier_key() == signer.verifier_key()


def test_audit_key_file_is_0600_even_under_a_permissive_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        create_audit_key(tmp_path / "audit.key", ORIGIN)
    finally:
        os.umask(previous)

    assert stat.S_IMODE((tmp_path / "audit.key").stat().st_mode) == 0o600


def test_an_existing_audit_key_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "audit.key"
    first = create_audit_key(path, ORIGIN)

    with pytest.raises(KeyFileError, match="already exists") as refused:
        create_audit_key(path, ORIGIN)

    assert "overwrite" in refused.value.hint
    assert load_audit_key(path).verifier_key() == first.verifier_key()


def test_an_audit_key_is_not_created_through_a_symbolic_link(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    (tmp_path / "audit.key").symlink_to(target)

    with pytest.raises(KeyFileError, match="already exists"):
        create_audit_key(tmp_path / "audit.key", ORIGIN)

    assert not target.exists()


def test_an_origin_that_cannot_name_a_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="cannot name a note key"):
        create_audit_key(tmp_path / "audit.key", "go.sum database tree")

    assert not (tmp_path / "audit.key").exists()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o660])
def test_a_key_file_others_can_reach_is_refused_with_the_chmod_fix(
    tmp_path: Path, mode: int
) -> None:
    path = tmp_path / "audit.key"
    create_audit_key(path, ORIGIN)
    path.chmod(mode)

    with pytest.raises(KeyFileError, match=f"mode {mode:04o}") as refused:
        load_audit_key(path)

    assert f"chmod 600 {path}" in refused.value.hint


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],
        lambda text: "",
        lambda text: text.replace("PRIVATE+KEY+", "", 1),
        lambda text: text + text,
        lambda text: text.rstrip("\n") + "\r\n",
        lambda text: text.rstrip("\n")[:-6] + "AAAA==\n",
        lambda text: "x" * 5000,
        lambda text: "\udcff",
    ],
    ids=["truncated", "empty", "no-prefix", "doubled", "crlf", "altered", "huge", "not-utf8"],
)
def test_corrupt_key_files_are_refused_without_showing_the_key(
    tmp_path: Path, damage: object
) -> None:
    path = tmp_path / "audit.key"
    create_audit_key(path, ORIGIN)
    original = path.read_text()
    path.write_bytes(damage(original).encode("utf-8", "surrogateescape"))  # type: ignore[operator]

    with pytest.raises(KeyFileError, match="corrupt or truncated") as refused:
        load_audit_key(path)

    seed = original.rstrip("\n").split("+", 4)[-1]  # PRIVATE+KEY+name+id+seed; base64 may hold "+"
    assert seed[:8] not in str(refused.value) + refused.value.hint
    assert refused.value.__cause__ is None


def test_a_missing_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="no audit key file"):
        load_audit_key(tmp_path / "audit.key")


def test_a_key_file_behind_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    create_audit_key(tmp_path / "real.key", ORIGIN)
    (tmp_path / "audit.key").symlink_to(tmp_path / "real.key")

    with pytest.raises(KeyFileError, match="cannot open"):
        load_audit_key(tmp_path / "audit.key")


def test_a_loaded_key_shows_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "audit.key"
    create_audit_key(path, ORIGIN)
    secret = path.read_text().rstrip("\n")

    signer = load_audit_key(path)

    assert secret.split("+", 4)[-1] not in repr(signer) + str(signer)
    assert "PRIVATE" not in repr(signer)


def test_the_verifier_key_file_is_public_and_verifies_checkpoints(tmp_path: Path) -> None:
    path = tmp_path / "audit.key"
    signer = create_audit_key(path, ORIGIN)

    public = write_verifier_key(path, signer)
    verifier = NoteVerifier.from_key_string(public.read_text().rstrip("\n"))

    assert public == verifier_key_path(path) == tmp_path / "audit.key.pub"
    assert stat.S_IMODE(public.stat().st_mode) == 0o644
    assert "PRIVATE" not in public.read_text()
    assert open_checkpoint(sign_checkpoint(CHECKPOINT, signer), verifier, ORIGIN) == CHECKPOINT
