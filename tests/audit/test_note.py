"""Signed notes: key ids, key strings, a known answer, and every way a note can be bad."""

from __future__ import annotations

import base64
import hashlib
import pickle

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from botwarden.audit.note import (
    NoteError,
    NoteSigner,
    NoteVerifier,
    generate_signer,
    open_note,
    parse_note,
)

NAME = "botwarden.example/audit/7f3c"
TEXT = "botwarden.example/audit/7f3c\n5\n" + base64.b64encode(bytes(32)).decode() + "\n"
SEED = bytes([0x01]) * 32

SIGNER = NoteSigner(Ed25519PrivateKey.from_private_bytes(SEED), NAME)
OTHER = generate_signer("witness.example/w1")


def signature_line(name: str, key_id: int, signature: bytes) -> str:
    return f"— {name} {base64.b64encode(key_id.to_bytes(4, 'big') + signature).decode()}\n"


def test_sign_and_open_round_trip() -> None:
    note = SIGNER.sign(TEXT)

    assert open_note(note, [SIGNER.verifier()]) == TEXT
    assert open_note(note.encode("utf-8"), [SIGNER.verifier()]) == TEXT


def test_key_id_is_the_first_four_bytes_of_sha256_of_name_newline_type_and_key() -> None:
    public_key = Ed25519PrivateKey.from_private_bytes(SEED).public_key().public_bytes_raw()

    expected = hashlib.sha256(NAME.encode() + b"\x0a\x01" + public_key).digest()[:4]

    assert SIGNER.key_id == int.from_bytes(expected, "big")
    assert SIGNER.verifier().key_id == SIGNER.key_id


def test_verifier_key_string_field_by_field() -> None:
    public_key = Ed25519PrivateKey.from_private_bytes(SEED).public_key().public_bytes_raw()

    name, hex_id, encoded = SIGNER.verifier_key().split("+", 2)

    assert name == NAME
    assert hex_id == hashlib.sha256(NAME.encode() + b"\n\x01" + public_key).digest()[:4].hex()
    assert base64.b64decode(encoded, validate=True) == b"\x01" + public_key
    assert NoteVerifier.from_key_string(SIGNER.verifier_key()) == SIGNER.verifier()


def test_signer_key_string_round_trip() -> None:
    secret = SIGNER.signer_key().reveal()

    prefix, key, name, hex_id, encoded = secret.split("+", 4)
    again = NoteSigner.from_key_string(secret)

    assert (prefix, key, name, hex_id) == ("PRIVATE", "KEY", NAME, f"{SIGNER.key_id:08x}")
    assert base64.b64decode(encoded, validate=True) == b"\x01" + SEED
    assert again.verifier_key() == SIGNER.verifier_key()
    assert again.sign(TEXT) == SIGNER.sign(TEXT)


def test_known_answer_with_a_fixed_seed() -> None:
    private_key = Ed25519PrivateKey.from_private_bytes(SEED)
    public_key = private_key.public_key().public_bytes_raw()
    digest = hashlib.sha256(NAME.encode() + b"\n\x01" + public_key).digest()
    signature = private_key.sign(TEXT.encode())
    expected = (
        TEXT + "\n" + "\u2014 " + NAME + " " + base64.b64encode(digest[:4] + signature).decode()
    ) + "\n"

    note = SIGNER.sign(TEXT)

    assert note.encode("utf-8") == expected.encode("utf-8")
    assert note.count("\n") == TEXT.count("\n") + 2


def test_a_note_signed_with_another_key_is_refused() -> None:
    note = OTHER.sign(TEXT)

    with pytest.raises(NoteError, match=f"not signed by {NAME}"):
        open_note(note, [SIGNER.verifier()])


def test_another_key_under_the_same_name_is_refused() -> None:
    impostor = generate_signer(NAME)

    with pytest.raises(NoteError, match="not signed by"):
        open_note(impostor.sign(TEXT), [SIGNER.verifier()])


@pytest.mark.parametrize(
    ("old", "new"),
    [("\n5\n", "\n6\n"), ("AAAA", "AAAB"), ("botwarden", "botwardem"), ("\n5\n", "\n50\n")],
    ids=["size", "root", "origin-byte", "size-digit-added"],
)
def test_altered_text_is_refused(old: str, new: str) -> None:
    note = SIGNER.sign(TEXT).replace(old, new, 1)

    with pytest.raises(NoteError, match=f"signature by {NAME} does not verify"):
        open_note(note, [SIGNER.verifier()])


def test_right_id_under_a_wrong_name_is_not_the_key() -> None:
    signature = SIGNER.sign(TEXT).split(" ")[-1]
    note = f"{TEXT}\n— someone.else {signature}"

    with pytest.raises(NoteError, match="not signed by"):
        open_note(note, [SIGNER.verifier()])


def test_right_name_with_a_wrong_id_is_not_the_key() -> None:
    signature = SIGNER.sign(TEXT.encode().decode())
    raw = base64.b64decode(signature.split(" ")[-1])
    wrong = (SIGNER.key_id ^ 1).to_bytes(4, "big") + raw[4:]
    note = f"{TEXT}\n— {NAME} {base64.b64encode(wrong).decode()}\n"

    with pytest.raises(NoteError, match="not signed by"):
        open_note(note, [SIGNER.verifier()])


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda line: line.replace("— ", "", 1), "em dash"),
        (lambda line: line.replace("—", "-", 1), "em dash"),
        (lambda line: line.replace("—", "–", 1), "em dash"),
        (lambda line: line.replace("— ", "—", 1), "em dash"),
        (lambda line: line.replace("— ", "—  ", 1), "invalid key name"),
        (lambda line: line.replace(f"{NAME} ", f"{NAME}  ", 1), "base64"),
        (lambda line: line.replace("\n", " \n"), "base64"),
        (lambda line: line.replace(f"{NAME} ", NAME, 1), "no space"),
        (lambda line: line.replace(f"{NAME} ", "", 1), "no space"),
        (lambda line: line.replace("=\n", "\n"), "base64"),
        (lambda line: line[:-6] + "!" + line[-5:], "base64"),
        (lambda line: line[:40] + "\n", "base64"),
        (lambda line: line.replace("— ", "— a+b ", 1).replace(f"{NAME} ", ""), "key name"),
    ],
    ids=[
        "no-dash",
        "ascii-hyphen",
        "en-dash",
        "no-space-after-dash",
        "two-spaces-after-dash",
        "two-spaces-before-signature",
        "trailing-space",
        "no-space-before-signature",
        "no-name",
        "unpadded-base64",
        "bad-base64-character",
        "truncated-base64",
        "plus-in-name",
    ],
)
def test_malformed_signature_lines_are_refused(damage: object, reason: str) -> None:
    line = SIGNER.sign(TEXT)[len(TEXT) + 1 :]
    note = TEXT + "\n" + damage(line)  # type: ignore[operator]

    with pytest.raises(NoteError, match=reason):
        open_note(note, [SIGNER.verifier()])


def test_non_canonical_base64_is_refused() -> None:
    raw = SIGNER.key_id.to_bytes(4, "big") + bytes(66)
    canonical = base64.b64encode(raw).decode()
    loose = canonical[:-3] + "B=="
    assert base64.b64decode(loose) == raw

    with pytest.raises(NoteError, match="base64"):
        parse_note(f"{TEXT}\n— {NAME} {loose}\n")


def test_a_truncated_signature_from_a_known_key_does_not_verify() -> None:
    raw = base64.b64decode(SIGNER.sign(TEXT).split(" ")[-1])
    note = f"{TEXT}\n— {NAME} {base64.b64encode(raw[:-1]).decode()}\n"

    with pytest.raises(NoteError, match="does not verify"):
        open_note(note, [SIGNER.verifier()])


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        (lambda note: note.replace("\n\n", "\n", 1), "no blank line"),
        (lambda note: note + "garbage\n", "em dash"),
        (lambda note: note + "garbage", "end with a newline"),
        (lambda note: note + "\n", "no signature lines"),
        (lambda note: note[:-1], "end with a newline"),
        (lambda note: note.replace("\n5\n", "\n5\r\n", 1), "control character"),
        (lambda note: note.replace("\n5\n", "\n5\t\n", 1), "control character"),
        (lambda note: note.replace("\n5\n", "\n5\x7f\n", 1), "control character"),
        (lambda note: note.replace("\n5\n", "\n5\x00\n", 1), "control character"),
        (lambda note: note[note.index("\n\n") + 1 :], "no blank line"),
    ],
    ids=[
        "missing-blank-line",
        "trailing-line",
        "trailing-bytes",
        "trailing-blank-line",
        "no-final-newline",
        "carriage-return",
        "tab",
        "delete",
        "nul",
        "empty-text",
    ],
)
def test_malformed_notes_are_refused(note: object, reason: str) -> None:
    damaged = note(SIGNER.sign(TEXT))  # type: ignore[operator]

    with pytest.raises(NoteError, match=reason):
        open_note(damaged, [SIGNER.verifier()])


def test_invalid_utf8_is_refused() -> None:
    note = SIGNER.sign(TEXT).encode("utf-8").replace(b"\n5\n", b"\n\xff\n", 1)

    with pytest.raises(NoteError, match="not valid UTF-8"):
        open_note(note, [SIGNER.verifier()])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("no final newline", "newline"),
        ("a\x1bb\n", "control character"),
        ("a\ud800b\n", "not valid Unicode"),
    ],
    ids=["empty", "no-final-newline", "escape", "lone-surrogate"],
)
def test_signing_refuses_text_that_is_no_note_text(text: str, reason: str) -> None:
    with pytest.raises(NoteError, match=reason):
        SIGNER.sign(text)


def test_unknown_signatures_are_ignored_but_do_not_count() -> None:
    ours = SIGNER.sign(TEXT)[len(TEXT) + 1 :]
    theirs = OTHER.sign(TEXT)[len(TEXT) + 1 :]
    cosignature = signature_line("witness.example/w2", 0x12345678, bytes(72))

    accepted = open_note(f"{TEXT}\n{theirs}{cosignature}{ours}", [SIGNER.verifier()])

    assert accepted == TEXT
    with pytest.raises(NoteError, match="not signed by"):
        open_note(f"{TEXT}\n{theirs}{cosignature}", [SIGNER.verifier()])


def test_a_bad_signature_by_a_known_key_is_an_error_even_beside_a_good_one() -> None:
    ours = SIGNER.sign(TEXT)[len(TEXT) + 1 :]
    forged = signature_line(OTHER.name, OTHER.key_id, bytes(64))

    with pytest.raises(NoteError, match=f"signature by {OTHER.name} does not verify"):
        open_note(f"{TEXT}\n{ours}{forged}", [SIGNER.verifier(), OTHER.verifier()])


def test_two_signatures_by_the_same_known_key_are_refused() -> None:
    ours = SIGNER.sign(TEXT)[len(TEXT) + 1 :]

    with pytest.raises(NoteError, match="more than one signature"):
        open_note(f"{TEXT}\n{ours}{ours}", [SIGNER.verifier()])


def test_more_than_a_hundred_signatures_are_refused() -> None:
    ours = SIGNER.sign(TEXT)[len(TEXT) + 1 :]
    others = signature_line("witness.example/w2", 1, bytes(64)) * 100

    with pytest.raises(NoteError, match="more than 100 signatures"):
        open_note(f"{TEXT}\n{ours}{others}", [SIGNER.verifier()])


def test_a_hundred_signatures_are_accepted() -> None:
    ours = SIGNER.sign(TEXT)[len(TEXT) + 1 :]
    others = signature_line("witness.example/w2", 1, bytes(64)) * 99

    assert open_note(f"{TEXT}\n{others}{ours}", [SIGNER.verifier()]) == TEXT


def test_no_verifier_keys_open_nothing() -> None:
    with pytest.raises(NoteError, match="no note verifier keys"):
        open_note(SIGNER.sign(TEXT), [])


def test_parse_note_reports_every_signature() -> None:
    note = f"{SIGNER.sign(TEXT)}{OTHER.sign(TEXT)[len(TEXT) + 1 :]}"

    text, signatures = parse_note(note)

    assert text == TEXT
    assert [(s.name, s.key_id) for s in signatures] == [
        (SIGNER.name, SIGNER.key_id),
        (OTHER.name, OTHER.key_id),
    ]
    assert all(len(s.signature) == 64 for s in signatures)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\tb", "a\u00a0b", "a\x00b"])
def test_invalid_key_names_are_refused(name: str) -> None:
    with pytest.raises(NoteError, match="key name"):
        generate_signer(name)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda key: key.replace("+", " +", 1), "name"),
        (lambda key: key.split("+", 1)[0], "form"),
        (lambda key: key.replace(key.split("+")[1], key.split("+")[1].upper(), 1), "hex"),
        (lambda key: key.replace(key.split("+")[1], "0" * 8, 1), "does not match"),
        (lambda key: key.rsplit("+", 1)[0] + "+" + "Ag" + key.rsplit("+", 1)[1][2:], "0x01"),
        (lambda key: key[:-1], "base64"),
        (lambda key: key[:-4], "0x01"),
        (
            lambda key: key[:-6] + ("AA" if key[-6:-4] != "AA" else "BA") + key[-4:],
            "does not match",
        ),
    ],
    ids=[
        "space",
        "no-fields",
        "upper-hex",
        "wrong-id",
        "wrong-type",
        "not-base64",
        "short-key",
        "other-key",
    ],
)
def test_malformed_verifier_keys_are_refused(damage: object, reason: str) -> None:
    key = damage(SIGNER.verifier_key())  # type: ignore[operator]

    with pytest.raises(NoteError, match=reason):
        NoteVerifier.from_key_string(key)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda key: key.removeprefix("PRIVATE+KEY+"), "starts with PRIVATE"),
        (lambda key: key.replace(f"{SIGNER.key_id:08x}", "00000000"), "does not match"),
        (lambda key: key[:-1], "base64"),
        (lambda key: key[:-4], "0x01"),
        (
            lambda key: key[:-6] + ("AA" if key[-6:-4] != "AA" else "BA") + key[-4:],
            "does not match",
        ),
    ],
    ids=["no-prefix", "wrong-id", "not-base64", "short-seed", "other-seed"],
)
def test_malformed_signer_keys_are_refused_without_quoting_them(
    damage: object, reason: str
) -> None:
    key = damage(SIGNER.signer_key().reveal())  # type: ignore[operator]
    secret = key.rsplit("+", 1)[-1]

    with pytest.raises(NoteError, match=reason) as refused:
        NoteSigner.from_key_string(key)

    assert secret not in str(refused.value) and secret not in refused.value.hint


def test_signer_repr_shows_no_secret() -> None:
    secret = SIGNER.signer_key()

    shown = repr(SIGNER) + str(SIGNER) + repr(SIGNER.verifier()) + repr(secret)

    assert secret.reveal() not in shown
    assert secret.reveal().rsplit("+", 1)[-1] not in shown
    assert SEED.hex() not in shown
    assert f"{SIGNER.key_id:08x}" in repr(SIGNER)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(SIGNER)


note_lines = st.text(
    alphabet=st.characters(
        exclude_categories=["Cs"], exclude_characters="\n\x7f", min_codepoint=0x20
    ),
    min_size=1,
)


@given(st.lists(note_lines, min_size=1, max_size=5))
def test_any_valid_text_round_trips(lines: list[str]) -> None:
    text = "".join(f"{line}\n" for line in lines)

    assert open_note(SIGNER.sign(text), [SIGNER.verifier()]) == text


@given(st.data())
def test_changing_any_one_character_of_a_note_is_refused(data: st.DataObject) -> None:
    note = SIGNER.sign(TEXT)
    position = data.draw(st.integers(0, len(note) - 1))
    replacement = data.draw(st.characters(min_codepoint=0x20, max_codepoint=0x7E))
    if note[position] == replacement:
        return

    damaged = note[:position] + replacement + note[position + 1 :]

    with pytest.raises(NoteError):
        open_note(damaged, [SIGNER.verifier()])
