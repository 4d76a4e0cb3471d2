"""The Merkle tree of RFC 6962 §2.1 (RFC 9162 §2.1): hashes, roots, proofs and appends."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_BYTES = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}), the root of the tree with no leaves (RFC 6962 §2.1)."""

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 ‖ d), the hash of one leaf (RFC 6962 §2.1)."""

    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right), the hash of an interior node (RFC 6962 §2.1)."""

    return _sha256(NODE_PREFIX + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two smaller than ``size`` (RFC 6962 §2.1), for ``size`` of 2 or more."""

    return 1 << ((size - 1).bit_length() - 1)


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) for the leaves whose hashes are ``leaf_hashes`` (RFC 6962 §2.1).

    The tree is hashed level by level: neighbours are paired from the left and
    an odd last node moves up a level unchanged. That gives the same root as
    the RFC's recursive split at the largest power of two k smaller than n:
    the k leaves left of the split form a perfect tree, so no pair on any
    level straddles the split, and the right part is hashed the same way.
    """

    level = leaf_hashes
    if not level:
        return EMPTY_ROOT
    _check_hash_lengths(level)

    sha256, prefix = _sha256, NODE_PREFIX
    while len(level) > 1:
        promoted = level[-1] if len(level) & 1 else None
        pairs = iter(level)
        level = [
            sha256(prefix + left + right).digest()
            for left, right in zip(pairs, pairs, strict=False)
        ]
        if promoted is not None:
            level.append(promoted)
    return level[0]


def inclusion_proof(
    leaf_hashes: Sequence[bytes], index: int, size: int | None = None
) -> list[bytes]:
    """PATH(index, D[size]) over the first ``size`` leaves, the hash nearest the leaf first.

    RFC 6962 §2.1.1 (RFC 9162 §2.1.3.1): below a split at k, PATH(m, D[n]) is
    PATH(m, D[0:k]) followed by MTH(D[k:n]) when m < k, else PATH(m - k,
    D[k:n]) followed by MTH(D[0:k]). The loop walks that recursion from the
    root down, so it collects the hashes outermost first.
    """

    size = _tree_size(leaf_hashes, size)
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")

    path: list[bytes] = []
    low, high = 0, size
    while high - low > 1:
        middle = low + split_point(high - low)
        if index < middle:
            path.append(root_from_leaf_hashes(leaf_hashes[middle:high]))
            high = middle
        else:
            path.append(root_from_leaf_hashes(leaf_hashes[low:middle]))
            low = middle
    path.reverse()
    return path


def consistency_proof(
    leaf_hashes: Sequence[bytes], old_size: int, new_size: int | None = None
) -> list[bytes]:
    """PROOF(old_size, D[new_size]), the hash deepest in the tree first.

    RFC 6962 §2.1.2 (RFC 9162 §2.1.4.1) defines it as SUBPROOF(m, D[n], true).
    The loop walks that recursion from the root down. The RFC's flag b stays
    true exactly while the walk has not left the tree's left edge, so the
    final subtree root is included only once the walk has moved right.
    """

    new_size = _tree_size(leaf_hashes, new_size)
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")

    path: list[bytes] = []
    low, high = 0, new_size
    while old_size != high:
        middle = low + split_point(high - low)
        if old_size <= middle:
            path.append(root_from_leaf_hashes(leaf_hashes[middle:high]))
            high = middle
        else:
            path.append(root_from_leaf_hashes(leaf_hashes[low:middle]))
            low = middle
    if low > 0:
        path.append(root_from_leaf_hashes(leaf_hashes[low:high]))
    path.reverse()
    return path


def _check_hash_lengths(hashes: Sequence[bytes]) -> None:
    # NOTE: a leaf hash of another length is a programming error, not bad data,
    # and would blur the byte boundaries that the node prefix relies on.
    if set(map(len, hashes)) != {HASH_BYTES}:
        raise ValueError(f"every leaf hash must be {HASH_BYTES} bytes")


class CompactRange:
    """A Merkle tree that grows by appending, holding only its right edge.

    It keeps the roots of the perfect subtrees that the binary digits of
    ``size`` describe, largest first, so an append costs O(log n) node hashes
    at worst (one on average) and ``root()`` folds at most log n of them.
    """

    __slots__ = ("_size", "_subtrees")

    def __init__(self) -> None:
        self._size = 0
        self._subtrees: list[bytes] = []

    @classmethod
    def from_frontier(cls, size: int, frontier: Sequence[bytes]) -> CompactRange:
        """Resume a tree from the ``size`` and ``frontier`` saved from an earlier one."""

        if size < 0 or len(frontier) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} frontier hashes")
        if frontier:
            _check_hash_lengths(frontier)
        tree = cls()
        tree._size = size
        tree._subtrees = list(frontier)
        return tree

    @property
    def size(self) -> int:
        """How many leaves the tree holds."""

        return self._size

    @property
    def frontier(self) -> tuple[bytes, ...]:
        """The roots of the perfect subtrees along the right edge, largest first."""

        return tuple(self._subtrees)

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf, given by its leaf hash."""

        self.extend((leaf_hash,))

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Add leaves in order, given by their leaf hashes."""

        subtrees, size, sha256, prefix = self._subtrees, self._size, _sha256, NODE_PREFIX
        try:
            for leaf in leaf_hashes:
                if len(leaf) != HASH_BYTES:
                    raise ValueError(f"a leaf hash is {HASH_BYTES} bytes")

                # Appending leaf number ``size`` merges one equal-sized subtree
                # for each trailing one bit of ``size``, as binary addition carries.
                node, carry, depth = leaf, size, len(subtrees)
                while carry & 1:
                    depth -= 1
                    node = sha256(prefix + subtrees[depth] + node).digest()
                    carry >>= 1
                subtrees[depth:] = (node,)
                size += 1
        finally:
            self._size = size

    def root(self) -> bytes:
        """MTH of the leaves appended so far (RFC 6962 §2.1)."""

        if not self._subtrees:
            return EMPTY_ROOT

        # The rightmost split of MTH(D[n]) is at the highest set bit of n, so the
        # subtrees fold right to left.
        node = self._subtrees[-1]
        for left in reversed(self._subtrees[:-1]):
            node = _sha256(NODE_PREFIX + left + node).digest()
        return node


def _tree_size(leaf_hashes: Sequence[bytes], size: int | None) -> int:
    if size is None:
        return len(leaf_hashes)
    if not 0 <= size <= len(leaf_hashes):
        raise ValueError(f"a tree of {size} leaves needs that many leaf hashes")
    return size
