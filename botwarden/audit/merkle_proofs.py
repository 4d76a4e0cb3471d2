"""Checking Merkle inclusion and consistency proofs as RFC 9162 §2.1.3.2 and §2.1.4.2 say."""

from __future__ import annotations

from collections.abc import Sequence

from botwarden.audit.merkle import HASH_BYTES, node_hash
from botwarden.errors import CryptoError


class ProofError(CryptoError):
    """A Merkle inclusion or consistency proof did not verify; the message says why."""

    code = "merkle-proof-invalid"
    default_hint = (
        "Check the tree size, leaf index and roots the proof was asked for. If they are "
        "right, the log or the proof was altered."
    )


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``proof`` places ``leaf_hash`` at ``index`` in the ``size``-leaf tree ``root``.

    The plan of RFC 9162 §2.1.3.2, with the shape checked before any hashing:

    (1) the index lies inside the tree;
    (2) the leaf hash, the root and every proof hash are SHA-256 outputs;
    (3) the proof has one hash per sibling on the path from the leaf to the root;
    (4) the proof folds into the leaf hash, on the sides the index bits say, up to the root;
    (5) the result equals the root given.

    NOTE: a root does not commit to its tree size (RFC 6962 §3.5 signs them
    together), and a proof whose path has the same shape under another size
    verifies there too. Take ``size`` from the same signed checkpoint as ``root``.
    """

    # (1) RFC 9162 §2.1.3.2 step 1.
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is outside a tree of {size} leaves")

    # (2) RFC 9162 §2.1: every node of the tree is a 32-byte SHA-256 output.
    _check_hash("the leaf hash", leaf_hash)
    _check_hash("the root", root)
    _check_proof_hashes(proof)

    # (3) RFC 9162 §2.1.3.1: the shape of the path follows from index and size alone.
    expected = inclusion_proof_length(index, size)
    if len(proof) != expected:
        raise ProofError(
            f"proof has {len(proof)} hashes, expected {expected} for leaf {index} of {size}"
        )

    # (4) RFC 9162 §2.1.3.2 steps 2 to 4, and the first half of step 5.
    computed = _fold_inclusion(leaf_hash, index, size, proof)

    # (5) RFC 9162 §2.1.3.2 step 5.
    if computed != root:
        raise ProofError(f"root mismatch: the proof does not lead from leaf {index} to this root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree ``new_root`` of ``new_size`` leaves extends ``old_root`` of ``old_size``.

    The plan of RFC 9162 §2.1.4.2, with the shape checked before any hashing:

    (1) the new tree is not smaller than the old one;
    (2) the old tree is not empty, since every tree extends the empty one;
    (3) trees of equal size are consistent only as the same tree, with no proof;
    (4) both roots and every proof hash are SHA-256 outputs;
    (5) the proof has exactly as many hashes as the two sizes call for;
    (6) the proof folds into an old and a new root at once, on the sides the sizes say;
    (7) the two results equal the roots given.

    NOTE: as with inclusion, the sizes must come from the signed checkpoints
    that carry the roots; the roots alone do not fix them.
    """

    # (1) RFC 9162 §2.1.4: a log only grows.
    if not 0 <= old_size <= new_size:
        raise ProofError(f"no consistency from size {old_size} to size {new_size}")

    # (2) RFC 9162 §2.1.4.1 defines proofs for 0 < m only.
    # NOTE: the transparency-dev vectors refuse size 0 even against size 0.
    if old_size == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")

    # (3) RFC 9162 §2.1.4.1: SUBPROOF(m, D[m], true) is empty.
    # NOTE: the roots are compared as given, whatever their length, as the vectors demand.
    if old_size == new_size:
        if proof:
            raise ProofError(f"proof has {len(proof)} hashes, expected none for equal sizes")
        if old_root != new_root:
            raise ProofError(f"root mismatch: two different roots for size {old_size}")
        return

    # (4) RFC 9162 §2.1: every node of the tree is a 32-byte SHA-256 output.
    _check_hash("the old root", old_root)
    _check_hash("the new root", new_root)
    _check_proof_hashes(proof)

    # (5) RFC 9162 §2.1.4.1: the shape of the proof follows from the two sizes alone.
    expected = consistency_proof_length(old_size, new_size)
    if len(proof) != expected:
        raise ProofError(
            f"proof has {len(proof)} hashes, expected {expected} "
            f"from size {old_size} to size {new_size}"
        )

    # (6) RFC 9162 §2.1.4.2 steps 2 to 6, and the last check of step 7.
    computed_old, computed_new = _fold_consistency(old_size, new_size, old_root, proof)

    # (7) RFC 9162 §2.1.4.2 step 7.
    if computed_old != old_root:
        raise ProofError(f"old root mismatch: the proof does not lead to this size-{old_size} root")
    if computed_new != new_root:
        raise ProofError(f"new root mismatch: the proof does not lead to this size-{new_size} root")


def inclusion_proof_length(index: int, size: int) -> int:
    """How many hashes the inclusion proof of leaf ``index`` in a ``size``-leaf tree holds.

    One per level below the split where ``index`` and ``size - 1`` part, where
    the leaf sits in a perfect subtree, then one per level above it where the
    leaf's subtree is a right child, which is where ``index`` has a one bit.
    """

    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def consistency_proof_length(old_size: int, new_size: int) -> int:
    """How many hashes the consistency proof between two sizes, 0 < old < new, holds.

    The proof starts at the largest perfect subtree ending the old tree (left
    out when that subtree is the whole old tree, whose root the verifier has),
    then counts like an inclusion proof from that subtree's position.
    """

    last_old = old_size - 1
    seed_height = (last_old ^ old_size).bit_length() - 1
    inner = (last_old ^ (new_size - 1)).bit_length()
    seed = 0 if old_size & last_old == 0 else 1
    return seed + inner - seed_height + (last_old >> inner).bit_count()


def _fold_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    fn, sn, node = index, size - 1, leaf_hash
    for sibling in proof:
        if sn == 0:
            raise ProofError("proof goes on above the root")
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = node_hash(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("proof stops below the root")
    return node


def _fold_consistency(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old_node = new_node = path[0]
    for sibling in path[1:]:
        if sn == 0:
            raise ProofError("proof goes on above the root")
        if fn & 1 or fn == sn:
            old_node = node_hash(sibling, old_node)
            new_node = node_hash(sibling, new_node)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            new_node = node_hash(new_node, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("proof stops below the root")
    return old_node, new_node


def _check_hash(what: str, value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_BYTES:
        raise ProofError(f"{what} is not a {HASH_BYTES}-byte hash")


def _check_proof_hashes(proof: Sequence[bytes]) -> None:
    for position, value in enumerate(proof):
        if not isinstance(value, bytes) or len(value) != HASH_BYTES:
            raise ProofError(f"proof hash {position} is not a {HASH_BYTES}-byte hash")
