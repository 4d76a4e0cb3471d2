"""Tree checkpoints (C2SP tlog-checkpoint) signed as notes, and the audit store's own key file."""

from __future__ import annotations

import base64
import binascii
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from botwarden.audit.note import NoteError, NoteSigner, NoteVerifier, generate_signer, open_note
from botwarden.crypto.keyfile import fsync_directory
from botwarden.errors import CryptoError, KeyFileError

ROOT_HASH_BYTES = 32
MAX_TREE_SIZE = 2**64 - 1
MAX_KEY_FILE_BYTES = 4096
VERIFIER_KEY_SUFFIX = ".pub"

_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class CheckpointError(CryptoError):
    """A checkpoint is malformed or belongs to another log."""

    code = "checkpoint-invalid"


@dataclass(frozen=True)
class Checkpoint:
    """The state of a log: its origin, its tree size and the root hash of that tree."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "extensions", tuple(self.extensions))
        _check_line(self.origin, "origin line")
        for number, extension in enumerate(self.extensions, 4):
            _check_line(extension, f"extension line {number}")
        if type(self.size) is not int or not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointError(f"the tree size {self.size!r} is not a 64-bit unsigned integer")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != ROOT_HASH_BYTES:
            raise CheckpointError(f"the root hash is not {ROOT_HASH_BYTES} bytes")

    def to_text(self) -> str:
        """The checkpoint as note text: origin, size, base64 root hash, extensions, one a line."""

        root = base64.b64encode(self.root_hash).decode("ascii")
        return "".join(
            f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions)
        )

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse checkpoint text strictly: canonical size and root hash, no empty lines."""

        # (1) tlog-checkpoint "Note text": newline-terminated lines, at least three.
        if not text.endswith("\n"):
            raise CheckpointError("the checkpoint text does not end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(
                f"the checkpoint has {len(lines)} lines instead of origin, size and root hash"
            )
        origin, size, root, *extensions = lines

        # (2) tlog-checkpoint "Note text": the size in decimal ASCII without leading zeros.
        if not _SIZE.fullmatch(size):
            raise CheckpointError(
                f"the tree size {size[:40]!r} is not a decimal number without leading zeros"
            )

        # (3) tlog-checkpoint "Note text": the root hash in standard padded base64.
        try:
            root_hash = base64.b64decode(root.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error):
            raise CheckpointError(f"the root hash {root[:60]!r} is not base64") from None
        if base64.b64encode(root_hash).decode("ascii") != root:
            raise CheckpointError(f"the root hash {root[:60]!r} is not canonical base64")

        return cls(origin, int(size), root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    """The checkpoint as a signed note."""

    return signer.sign(checkpoint.to_text())


def open_checkpoint(
    note: str | bytes, verifier: NoteVerifier, expected_origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint note and return the checkpoint it carries.

    Cosignatures by other keys, such as witnesses, are ignored here.
    """

    # (1) signed-note "Verifying": the log's key must have signed the text.
    text = open_note(note, [verifier])

    # (2) tlog-checkpoint "Note text": parse the verified text strictly.
    checkpoint = Checkpoint.from_text(text)

    # (3) tlog-checkpoint "Note text": the origin names the log; it must be the one expected.
    if expected_origin is not None and checkpoint.origin != expected_origin:
        raise CheckpointError(
            f"the checkpoint is for the log {checkpoint.origin!r}, not {expected_origin!r}"
        )
    return checkpoint


def create_audit_key(path: Path, origin_name: str) -> NoteSigner:
    """Create the audit store's signing key in a new file of mode 0600, named after the origin.

    The key is never wrapped by the vault's root key: checking a checkpoint
    needs only the public key, and signing one needs only this file.
    """

    # (1) The key name is the log's origin, so a verifier key names its log.
    try:
        signer = generate_signer(origin_name)
    except NoteError:
        raise CheckpointError(
            f"the origin {origin_name!r} cannot name a note key",
            hint="Choose an origin without whitespace, '+' or control characters.",
        ) from None
    data = (signer.signer_key().reveal() + "\n").encode("utf-8")

    # (2) A new file only: an existing key is never overwritten.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise KeyFileError(
            f"an audit key already exists at {path}",
            hint="Refusing to overwrite it: checkpoints signed with it could no longer be "
            "checked. Move it away only if you mean to start a new log.",
        ) from None

    # (3) Write and fsync the file, then its folder; remove a partial file on failure.
    # NOTE: creating the final name with O_EXCL, not renaming a temporary file, is
    # what makes overwriting impossible; a crash mid-write leaves a file that
    # load_audit_key reports as corrupt, never a wrong key.
    try:
        os.fchmod(fd, 0o600)
        _write_all(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink()
        raise
    os.close(fd)
    fsync_directory(path.parent)
    return signer


def load_audit_key(path: Path) -> NoteSigner:
    """Load the audit signing key, refusing a file others can read, or a corrupt one."""

    # (1) Open without following a symbolic link.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise KeyFileError(
            f"no audit key file at {path}",
            hint="Restore the audit key from a backup; without it no checkpoint can be signed.",
        ) from None
    except OSError as error:
        raise KeyFileError(f"cannot open the audit key file {path}: {error.strerror}") from None

    # (2) Only a regular file that no other user may read or write.
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise KeyFileError(f"the audit key file {path} is not a regular file")
        mode = stat.S_IMODE(status.st_mode)
        if mode & 0o077:
            raise KeyFileError(
                f"the audit key file {path} has mode {mode:04o}; others may read or change it",
                hint=f"Run `chmod 600 {path}`, and replace the key if someone else could "
                "have read it.",
            )
        raw = os.read(fd, MAX_KEY_FILE_BYTES + 1)
    finally:
        os.close(fd)

    # (3) One signer key string, with or without a final newline.
    corrupt = KeyFileError(
        f"the audit key file {path} is corrupt or truncated",
        hint="Restore it from a backup of the audit key.",
    )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise corrupt from None
    text = text.removesuffix("\n")
    if len(raw) > MAX_KEY_FILE_BYTES or "\n" in text:
        raise corrupt
    try:
        return NoteSigner.from_key_string(text)
    except NoteError:
        raise corrupt from None


def verifier_key_path(key_path: Path) -> Path:
    """Where the public verifier key of the key file ``key_path`` lives: beside it, ``.pub``."""

    return key_path.with_name(key_path.name + VERIFIER_KEY_SUFFIX)


def write_verifier_key(key_path: Path, signer: NoteSigner) -> Path:
    """Write the public verifier key string beside the key file (mode 0644); return its path."""

    path = verifier_key_path(key_path)
    temporary = path.with_name(f".{path.name}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temporary, flags, 0o644)
    try:
        os.fchmod(fd, 0o644)
        _write_all(fd, (signer.verifier_key() + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)

    os.replace(temporary, path)
    fsync_directory(path.parent)
    return path


def _check_line(line: str, what: str) -> None:
    if not isinstance(line, str) or not line:
        raise CheckpointError(f"the checkpoint's {what} is empty or not text")
    if _CONTROL.search(line):
        raise CheckpointError(f"the checkpoint's {what} contains a control character")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
