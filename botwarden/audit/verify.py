"""Verifying an audit log offline: records, tree, signed checkpoints and witness copies.

``verify_log`` recomputes the RFC 6962 tree over every stored record and holds
it against each signed checkpoint and each witness's copy. It needs only the
log's public verifier key. It reads; it never writes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from itertools import pairwise

from botwarden.audit.checkpoint import Checkpoint, open_checkpoint
from botwarden.audit.merkle import CompactRange
from botwarden.audit.note import NoteVerifier
from botwarden.audit.records import RecordFormatError, parse_record
from botwarden.audit.stores.interface import AuditStore
from botwarden.audit.witnesses.interface import Witness
from botwarden.errors import AuditTamperedError, BotwardenError

Progress = Callable[[int], None]
CHUNK = 65_536


@dataclass(frozen=True)
class VerificationReport:
    """What an intact log showed: its size, root, and what vouched for it."""

    origin: str
    size: int
    root: bytes
    checkpoints: int
    covered: int
    witnesses: list[str] = field(default_factory=list)
    unreadable_witnesses: list[str] = field(default_factory=list)

    @property
    def uncovered(self) -> int:
        """Records after the last checkpoint, which no signature vouches for yet."""

        return self.size - self.covered


def verify_log(
    store: AuditStore,
    verifier: NoteVerifier,
    *,
    witnesses: Sequence[Witness] = (),
    deep: bool = False,
    progress: Progress | None = None,
) -> VerificationReport:
    """Check the whole log, or raise ``AuditTamperedError`` naming the first thing wrong.

    (1) every stored checkpoint carries a valid signature of the log's key,
        for the log's origin, and the sizes only grow;
    (2) every record sits at its place: its sequence number is its position
        (with ``deep``, it is also a well-formed canonical record);
    (3) the tree recomputed from the records (RFC 6962 §2.1) has, at each
        checkpoint's size, exactly the checkpoint's root; consecutive
        checkpoints are therefore consistent with each other;
    (4) no checkpoint, stored or held by a witness, claims more records than
        the log holds (truncation, rollback);
    (5) each witness's newest checkpoint is signed by the log's key and matches
        the tree at its size (a rewritten, re-signed history).
    """

    origin = verifier.name

    # (1)
    checkpoints = [
        _open(stored.note, verifier, origin, "stored checkpoint", stored.size)
        for stored in store.checkpoints()
    ]
    _check_growing(checkpoints)

    # (5, first half): read the witnesses' copies before the records, so that a
    # checkpoint published while verification runs cannot look like a rollback.
    held, unreadable = _witness_checkpoints(witnesses, verifier, origin)
    targets = sorted(
        [
            (checkpoint.size, f"stored checkpoint at size {checkpoint.size}", checkpoint)
            for checkpoint in checkpoints
        ]
        + [
            (checkpoint.size, f"witness {name}'s checkpoint at size {checkpoint.size}", checkpoint)
            for name, checkpoint in held
        ],
        key=lambda item: item[0],
    )

    # (2) and (3)
    tree = CompactRange()
    next_target = 0
    _match_targets(tree, targets, next_target)
    for chunk in _chunks(store.read(), [size for size, _, _ in targets]):
        first = tree.size
        for offset, data in enumerate(chunk):
            _check_place(first + offset, data, deep)
        tree.extend([sha256(b"\x00" + data).digest() for data in chunk])
        while next_target < len(targets) and targets[next_target][0] == tree.size:
            _check_root(tree, *targets[next_target][1:])
            next_target += 1
        if progress is not None:
            progress(tree.size)
    _check_tail(store)

    # (4)
    if next_target < len(targets):
        size, what, _ = targets[next_target]
        raise AuditTamperedError(
            f"the {what} vouches for {size} records, but the log holds only {tree.size}: "
            "records were removed from the end or the store was replaced by an older copy",
            hint="Restore the audit store from a backup that holds every record; "
            "keep this copy as evidence.",
        )

    stored_covered = max((checkpoint.size for checkpoint in checkpoints), default=0)
    return VerificationReport(
        origin=origin,
        size=tree.size,
        root=tree.root(),
        checkpoints=len(checkpoints),
        covered=stored_covered,
        witnesses=[name for name, _ in held],
        unreadable_witnesses=unreadable,
    )


def _open(
    note: str, verifier: NoteVerifier, origin: str, what: str, filed_size: int | None = None
) -> Checkpoint:
    """Open a checkpoint note; one filed under a size must be signed for that size."""

    try:
        checkpoint = open_checkpoint(note, verifier, expected_origin=origin)
    except BotwardenError as error:
        where = "" if filed_size is None else f" for size {filed_size}"
        raise AuditTamperedError(
            f"the {what}{where} does not verify: {error.message}",
            hint="The checkpoint was altered or signed by another key.",
        ) from None
    if filed_size is not None and checkpoint.size != filed_size:
        raise AuditTamperedError(
            f"the {what} filed under size {filed_size} is signed for size {checkpoint.size}"
        )
    return checkpoint


def _check_growing(checkpoints: Sequence[Checkpoint]) -> None:
    for earlier, later in pairwise(checkpoints):
        if later.size < earlier.size:
            raise AuditTamperedError(
                f"checkpoints are out of order: size {later.size} "
                f"is stored after size {earlier.size}"
            )


def _witness_checkpoints(
    witnesses: Iterable[Witness], verifier: NoteVerifier, origin: str
) -> tuple[list[tuple[str, Checkpoint]], list[str]]:
    held: list[tuple[str, Checkpoint]] = []
    unreadable: list[str] = []
    for witness in witnesses:
        try:
            note = witness.latest(origin)
        except BotwardenError:
            unreadable.append(witness.name)
            continue
        if note is None:
            unreadable.append(witness.name)
            continue
        what = f"checkpoint held by witness {witness.name}"
        held.append((witness.name, _open(note, verifier, origin, what)))
    return held, unreadable


def _match_targets(
    tree: CompactRange, targets: Sequence[tuple[int, str, Checkpoint]], start: int
) -> None:
    # A checkpoint of the empty tree (size 0) is matched before any record is read.
    for size, what, checkpoint in targets[start:]:
        if size != 0:
            return
        _check_root(tree, what, checkpoint)


def _chunks(records: Iterable[bytes], boundaries: Sequence[int]) -> Iterator[list[bytes]]:
    """The records in lists that end at every checkpoint size, and at most 65,536 long."""

    stops = deque(sorted(set(boundaries)))
    chunk: list[bytes] = []
    for position, data in enumerate(records, start=1):
        chunk.append(data)
        if len(chunk) >= CHUNK or (stops and position == stops[0]):
            while stops and stops[0] <= position:
                stops.popleft()
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _check_place(index: int, data: bytes, deep: bool) -> None:
    # The top-level sequence number is the last "seq" member: only strings follow it.
    if not data.startswith(b',"seq":%d,' % index, data.rfind(b',"seq":')):
        raise AuditTamperedError(
            f"record {index} does not carry sequence number {index}: a record before it was "
            "removed, inserted or moved, or this one was altered",
            hint="`botwarden audit search` and the last good checkpoint narrow down what changed.",
        )
    if deep:
        try:
            parse_record(data)
        except RecordFormatError as error:
            raise AuditTamperedError(f"record {index} is malformed: {error}") from None


def _check_root(tree: CompactRange, what: str, checkpoint: Checkpoint) -> None:
    if tree.root() != checkpoint.root_hash:
        raise AuditTamperedError(
            f"the {what} does not match the records: a record among the first "
            f"{checkpoint.size} was altered, inserted, removed or reordered",
            hint="Compare with a backup or witness copy; keep this copy as evidence.",
        )


def _check_tail(store: AuditStore) -> None:
    torn = getattr(store, "torn_tail", None)
    if callable(torn) and torn():
        raise AuditTamperedError(
            "the record file ends in an incomplete record: a crash cut it short or it was altered",
            hint="Starting botwarden sets a crash's torn record aside; verify again after that.",
        )
