"""A deliberately simple Merkle tree written from RFC 6962 §2.1 alone, to cross-check botwarden.

Nothing here imports botwarden. Every function follows one recursive
definition of the RFC (MTH, PATH, PROOF and SUBPROOF), splitting at the
largest power of two smaller than n, so its recursion is only log n deep.
The verifiers undo those definitions: each proof hash is the last one a
definition appended, so peeling them off from the end rebuilds the roots.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n, for n > 1 (RFC 6962 §2.1)."""

    k = 1
    while k * 2 < n:
        k *= 2
    return k


def leaf(entry: bytes) -> bytes:
    """MTH({d(0)}) = SHA-256(0x00 || d(0))."""

    return _sha256(b"\x00" + entry)


def interior(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""

    return _sha256(b"\x01" + left + right)


def mth(entries: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over the raw entries D[n] (RFC 6962 §2.1)."""

    n = len(entries)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return leaf(entries[0])
    k = _k(n)
    return interior(mth(entries[:k]), mth(entries[k:]))


def path(m: int, entries: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]), the audit path of leaf m (RFC 6962 §2.1.1)."""

    n = len(entries)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*path(m, entries[:k]), mth(entries[k:])]
    return [*path(m - k, entries[k:]), mth(entries[:k])]


def proof(m: int, entries: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) (RFC 6962 §2.1.2)."""

    return _subproof(m, entries, True)


def _subproof(m: int, entries: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if b else [mth(entries)]
    k = _k(n)
    if m <= k:
        return [*_subproof(m, entries[:k], b), mth(entries[k:])]
    return [*_subproof(m - k, entries[k:], False), mth(entries[:k])]


def root_from_path(leaf_hash: bytes, m: int, n: int, audit_path: Sequence[bytes]) -> bytes | None:
    """The root PATH(m, D[n]) leads to from the leaf hash, or None if its shape is wrong."""

    if n == 1:
        return leaf_hash if not audit_path else None
    if not audit_path:
        return None
    k = _k(n)
    rest, last = audit_path[:-1], audit_path[-1]
    if m < k:
        below = root_from_path(leaf_hash, m, k, rest)
        return None if below is None else interior(below, last)
    below = root_from_path(leaf_hash, m - k, n - k, rest)
    return None if below is None else interior(last, below)


def roots_from_proof(
    m: int, n: int, old_root: bytes, consistency: Sequence[bytes], b: bool = True
) -> tuple[bytes, bytes] | None:
    """The old and new roots SUBPROOF(m, D[n], b) leads to, or None if its shape is wrong."""

    if m == n:
        if b:
            return (old_root, old_root) if not consistency else None
        return (consistency[0], consistency[0]) if len(consistency) == 1 else None
    if not consistency:
        return None
    k = _k(n)
    rest, last = consistency[:-1], consistency[-1]
    if m <= k:
        below = roots_from_proof(m, k, old_root, rest, b)
        return None if below is None else (below[0], interior(below[1], last))
    below = roots_from_proof(m - k, n - k, old_root, rest, False)
    if below is None:
        return None
    return interior(last, below[0]), interior(last, below[1])


def verify_inclusion_leaf_hash(
    leaf_hash: bytes, leaf_index: int, tree_size: int, proof_hashes: Sequence[bytes], root: bytes
) -> bool:
    """Whether the proof shows the leaf hash at leaf_index in the tree with this root."""

    if not 0 <= leaf_index < tree_size:
        return False
    if any(len(h) != 32 for h in [leaf_hash, root, *proof_hashes]):
        return False
    return root_from_path(leaf_hash, leaf_index, tree_size, proof_hashes) == root


def verify_inclusion_independently(
    record_bytes: bytes, leaf_index: int, tree_size: int, proof_hashes: Sequence[bytes], root: bytes
) -> bool:
    """Whether the proof shows the record at leaf_index in the tree with this root."""

    return verify_inclusion_leaf_hash(leaf(record_bytes), leaf_index, tree_size, proof_hashes, root)


def verify_consistency_independently(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof_hashes: Sequence[bytes]
) -> bool:
    """Whether the proof shows the tree new_root extends the tree old_root."""

    if not 0 < old_size <= new_size:
        return False
    if old_size < new_size and any(len(h) != 32 for h in [old_root, new_root, *proof_hashes]):
        return False
    return roots_from_proof(old_size, new_size, old_root, proof_hashes) == (old_root, new_root)
