"""Signed notes (C2SP signed-note) with Ed25519 keys: key strings, signing and verifying."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, NoReturn

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from botwarden.crypto.sensitive import Sensitive
from botwarden.errors import CryptoError

ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "
MAX_SIGNATURES = 100
PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"

_KEY_BYTES = 32
_SIGNATURE_BYTES = 64
_KEY_ID = re.compile(r"[0-9a-f]{8}")
_FORBIDDEN = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


class NoteError(CryptoError):
    """A signed note or note key is malformed, unsigned by a known key, or fails to verify.

    NOTE: unlike ciphertext errors these messages are precise on purpose. A note
    and its signatures are public, so saying which part is wrong tells an
    attacker nothing they could not see, and it tells an operator what to fix.
    """

    code = "note-invalid"


class NoteSignature(NamedTuple):
    """One signature line of a note: the key's name, its key id, and the raw signature."""

    name: str
    key_id: int
    signature: bytes


def key_id(name: str, public_key: bytes) -> int:
    """The Ed25519 key id: the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key), big-endian."""

    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def check_key_name(name: str) -> None:
    """Refuse a key name that is empty or holds whitespace, '+' or a control character."""

    if not name:
        raise NoteError("a note key name must not be empty")
    if "+" in name or any(character.isspace() for character in name) or _FORBIDDEN.search(name):
        raise NoteError(
            f"the note key name {name!r} contains whitespace, '+' or a control character"
        )
    _encode(name, "key name")


def check_note_text(text: str) -> None:
    """Refuse note text that is empty, lacks a final newline, or holds control characters."""

    if not text:
        raise NoteError("the note text is empty")
    if not text.endswith("\n"):
        raise NoteError("the note text does not end with a newline")
    _check_characters(text, "note text")


@dataclass(frozen=True, repr=False)
class NoteVerifier:
    """The public half of a note key: verifies signatures made under ``name``.

    NOTE: a verifier key is a trust anchor, taken from the operator, never from
    the note being checked. Whoever chooses it decides what verifies, so weak
    public keys (small-order points) are not screened out here.
    """

    name: str
    public_key: bytes
    key_id: int = field(init=False)
    _key: Ed25519PublicKey = field(init=False, compare=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if not isinstance(self.public_key, bytes) or len(self.public_key) != _KEY_BYTES:
            raise NoteError("an Ed25519 note verifier key is 32 bytes")
        object.__setattr__(self, "key_id", key_id(self.name, self.public_key))
        object.__setattr__(self, "_key", Ed25519PublicKey.from_public_bytes(self.public_key))

    @classmethod
    def from_key_string(cls, key: str) -> NoteVerifier:
        """Parse ``<name>+<key id hex>+<base64(0x01 ‖ public key)>``."""

        name, hex_id, encoded = _split_key_string(key, "verifier")
        verifier = cls(name, _decode_typed_key(encoded, "verifier"))
        if verifier.key_id != int(hex_id, 16):
            raise NoteError(f"the verifier key for {name!r} has a key id that does not match it")
        return verifier

    def key_string(self) -> str:
        """The verifier key in signed-note form, safe to publish."""

        encoded = _encode_base64(bytes([ED25519]) + self.public_key)
        return f"{self.name}+{self.key_id:08x}+{encoded}"

    def verify(self, text: bytes, signature: bytes) -> None:
        """Raise ``NoteError`` unless ``signature`` is this key's Ed25519 signature of ``text``."""

        try:
            if len(signature) != _SIGNATURE_BYTES:
                raise InvalidSignature
            self._key.verify(signature, text)
        except InvalidSignature:
            raise NoteError(f"the signature by {self.name} does not verify") from None

    def __repr__(self) -> str:
        return f"NoteVerifier(name={self.name!r}, key_id={self.key_id:08x})"


class NoteSigner:
    """The private half of a note key. Its ``repr`` shows the name and key id only."""

    __slots__ = ("_private_key", "_verifier")

    def __init__(self, private_key: Ed25519PrivateKey, name: str) -> None:
        public_key = private_key.public_key().public_bytes_raw()
        self._verifier = NoteVerifier(name, public_key)
        self._private_key = private_key

    @classmethod
    def from_key_string(cls, key: str | Sensitive[str]) -> NoteSigner:
        """Parse ``PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 ‖ seed)>``.

        Errors never quote the string, since it holds the private key.
        """

        text = key.reveal() if isinstance(key, Sensitive) else key
        if not text.startswith(PRIVATE_KEY_PREFIX):
            raise NoteError("a note signer key starts with PRIVATE+KEY+")
        name, hex_id, encoded = _split_key_string(text[len(PRIVATE_KEY_PREFIX) :], "signer")
        seed = _decode_typed_key(encoded, "signer")

        signer = cls(Ed25519PrivateKey.from_private_bytes(seed), name)
        if signer.key_id != int(hex_id, 16):
            raise NoteError("the signer key has a key id that does not match it")
        return signer

    @property
    def name(self) -> str:
        return self._verifier.name

    @property
    def key_id(self) -> int:
        return self._verifier.key_id

    def verifier(self) -> NoteVerifier:
        return self._verifier

    def verifier_key(self) -> str:
        """The matching verifier key string, safe to publish."""

        return self._verifier.key_string()

    def signer_key(self) -> Sensitive[str]:
        """The private signer key string, for the key file only."""

        seed = self._private_key.private_bytes_raw()
        encoded = _encode_base64(bytes([ED25519]) + seed)
        return Sensitive(f"{PRIVATE_KEY_PREFIX}{self.name}+{self.key_id:08x}+{encoded}")

    def sign(self, text: str) -> str:
        """Sign ``text`` and return the whole note: text, a blank line, one signature line."""

        check_note_text(text)
        signature = self._private_key.sign(text.encode("utf-8"))
        encoded = _encode_base64(self.key_id.to_bytes(4, "big") + signature)
        return f"{text}\n{SIGNATURE_PREFIX}{self.name} {encoded}\n"

    def __repr__(self) -> str:
        return f"NoteSigner(name={self.name!r}, key_id={self.key_id:08x})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a note signer cannot be pickled")


def generate_signer(name: str) -> NoteSigner:
    """A new random Ed25519 note key called ``name``."""

    return NoteSigner(Ed25519PrivateKey.generate(), name)


def parse_note(note: str | bytes) -> tuple[str, list[NoteSignature]]:
    """Split a note into its text and signature lines without verifying anything."""

    # (1) signed-note "Format": UTF-8, no control characters but newline, a final newline.
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("the note is not valid UTF-8") from None
    _check_characters(note, "note")
    if not note.endswith("\n"):
        raise NoteError("the note does not end with a newline")

    # (2) signed-note "Format": the text ends at the last blank line; signatures follow it.
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("the note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block:
        raise NoteError("the note has no signature lines after its blank line")

    # (3) signed-note "Signatures": a bounded number of well-formed signature lines.
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"the note has more than {MAX_SIGNATURES} signatures")
    return text, [_parse_signature_line(line, number) for number, line in enumerate(lines, 1)]


def open_note(note: str | bytes, verifiers: Sequence[NoteVerifier]) -> str:
    """Return the note's text if a known key signed it and every known signature verifies.

    A signature line counts as known when both its name and its key id match
    one of ``verifiers``. Lines from other keys (a witness one does not know, a
    retired key) are ignored and count for nothing.
    """

    # (1) Fail closed: without a trusted key nothing can be opened.
    if not verifiers:
        raise NoteError("no note verifier keys were given")
    known = {(verifier.name, verifier.key_id): verifier for verifier in verifiers}
    if len(known) != len(set(verifiers)):
        raise NoteError("two different verifier keys share a name and key id")

    # (2) signed-note "Format": parse strictly before trusting any part.
    text, signatures = parse_note(note)
    message = text.encode("utf-8")

    # (3) signed-note "Verifying": every signature by a known key must verify, once.
    signed_by: set[tuple[str, int]] = set()
    for signature in signatures:
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None:
            continue
        if (signature.name, signature.key_id) in signed_by:
            raise NoteError(f"the note has more than one signature by {signature.name}")
        verifier.verify(message, signature.signature)
        signed_by.add((signature.name, signature.key_id))

    # (4) signed-note "Verifying": at least one known key must have signed.
    if not signed_by:
        names = ", ".join(sorted({verifier.name for verifier in verifiers}))
        raise NoteError(f"the note is not signed by {names}")
    return text


def _parse_signature_line(line: str, number: int) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError(f"signature line {number} does not start with an em dash and a space")
    name, separator, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not separator:
        raise NoteError(f"signature line {number} has no space between key name and signature")
    try:
        check_key_name(name)
    except NoteError:
        raise NoteError(f"signature line {number} has an invalid key name") from None

    problem = f"signature line {number} does not hold a base64 key id and signature"
    raw = _decode_base64(encoded, problem)
    if len(raw) < 5:
        raise NoteError(problem)
    return NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def _split_key_string(key: str, kind: str) -> tuple[str, str, str]:
    parts = key.split("+", 2)
    if len(parts) != 3:
        raise NoteError(f"a note {kind} key has the form <name>+<key id>+<key>")
    name, hex_id, encoded = parts
    try:
        check_key_name(name)
    except NoteError:
        raise NoteError(f"the name of a note {kind} key is invalid") from None
    if not _KEY_ID.fullmatch(hex_id):
        raise NoteError(f"the key id of a note {kind} key is not 8 lower-case hex digits")
    return name, hex_id, encoded


def _decode_typed_key(encoded: str, kind: str) -> bytes:
    raw = _decode_base64(encoded, f"the key of a note {kind} key is not canonical base64")
    if len(raw) != 1 + _KEY_BYTES or raw[0] != ED25519:
        raise NoteError(f"the key of a note {kind} key is not a type 0x01 Ed25519 key")
    return raw[1:]


def _decode_base64(encoded: str, problem: str) -> bytes:
    """Decode standard padded base64, refusing all but the one canonical encoding."""

    try:
        raw = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise NoteError(problem) from None
    if not encoded or _encode_base64(raw) != encoded:
        raise NoteError(problem)
    return raw


def _encode_base64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _check_characters(text: str, what: str) -> None:
    # NOTE: DEL (0x7f) is refused with the C0 controls; the spec bans ASCII control
    # characters, and no checkpoint botwarden writes or accepts needs one.
    if _FORBIDDEN.search(text):
        raise NoteError(f"the {what} contains a control character other than newline")
    _encode(text, what)


def _encode(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteError(f"the {what} is not valid Unicode text") from None
