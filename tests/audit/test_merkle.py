"""RFC 6962 Merkle trees: transparency-dev vectors, an independent verifier, and tampered proofs."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import inspect
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings, strategies

from botwarden.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
)
from botwarden.audit.merkle_proofs import ProofError, verify_consistency, verify_inclusion
from botwarden.errors import CryptoError
from tests.audit import rfc6962_verifier as rfc

VECTORS = Path(__file__).parent / "vectors"
TESTDATA = VECTORS / "rfc6962" / "testdata"
INCLUSION_CASES = sorted((TESTDATA / "inclusion").rglob("*.json"))
CONSISTENCY_CASES = sorted((TESTDATA / "consistency").rglob("*.json"))
HAPPY_PATHS = sorted(TESTDATA.rglob("happy-path.json"))
ENTRIES = [
    bytes.fromhex(entry)
    for entry in json.loads((VECTORS / "rfc6962-entries.json").read_text())["entries_hex"]
]


def _case(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text())
    return case


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _proof(case: dict[str, Any]) -> list[bytes]:
    return [_b64(item) for item in case["proof"] or []]


def _name(path: Path) -> str:
    return str(path.relative_to(TESTDATA))


def _entries(size: int) -> list[bytes]:
    return [b"entry %d" % number for number in range(size)]


def _leaves(size: int) -> list[bytes]:
    return [leaf_hash(entry) for entry in _entries(size)]


def _flip(value: bytes, bit: int) -> bytes:
    changed = bytearray(value)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


# Known answers.


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    assert bytes.fromhex(empty) == EMPTY_ROOT
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    assert CompactRange().root() == EMPTY_ROOT


def test_leaf_and_node_hashes_carry_their_prefix_byte() -> None:
    left, right = bytes(range(32)), bytes(range(32, 64))

    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert leaf_hash(b"\x01" + left + right) != node_hash(left, right)


def test_small_trees_computed_by_hand() -> None:
    a, b, c, d, e = (
        hashlib.sha256(b"\x00" + entry).digest() for entry in (b"a", b"b", b"c", b"d", b"e")
    )
    ab = hashlib.sha256(b"\x01" + a + b).digest()
    cd = hashlib.sha256(b"\x01" + c + d).digest()
    abcd = hashlib.sha256(b"\x01" + ab + cd).digest()

    assert root_from_leaf_hashes([a]) == a
    assert root_from_leaf_hashes([a, b]) == ab
    assert root_from_leaf_hashes([a, b, c]) == hashlib.sha256(b"\x01" + ab + c).digest()
    assert root_from_leaf_hashes([a, b, c, d]) == abcd
    assert root_from_leaf_hashes([a, b, c, d, e]) == hashlib.sha256(b"\x01" + abcd + e).digest()
    assert inclusion_proof([a, b, c, d, e], 2) == [d, ab, e]
    assert consistency_proof([a, b, c, d, e], 3) == [c, d, ab, e]


# The transparency-dev vectors.


def test_every_vector_file_is_here() -> None:
    outcomes = {_case(path)["wantErr"] for path in INCLUSION_CASES + CONSISTENCY_CASES}

    assert (len(INCLUSION_CASES), len(CONSISTENCY_CASES)) == (98, 98)
    assert outcomes == {True, False}
    assert len(HAPPY_PATHS) == 10


@pytest.mark.parametrize("path", INCLUSION_CASES, ids=_name)
def test_inclusion_vector(path: Path) -> None:
    case = _case(path)
    claim = (_b64(case["leafHash"]), case["leafIdx"], case["treeSize"], _proof(case))
    root = _b64(case["root"])

    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*claim, root)
    else:
        verify_inclusion(*claim, root)
    assert rfc.verify_inclusion_leaf_hash(*claim, root) is not case["wantErr"]


@pytest.mark.parametrize("path", CONSISTENCY_CASES, ids=_name)
def test_consistency_vector(path: Path) -> None:
    case = _case(path)
    claim = (case["size1"], case["size2"], _b64(case["root1"]), _b64(case["root2"]), _proof(case))

    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*claim)
    else:
        verify_consistency(*claim)
    assert rfc.verify_consistency_independently(*claim) is not case["wantErr"]


@pytest.mark.parametrize("path", HAPPY_PATHS, ids=_name)
def test_happy_path_vectors_are_the_proofs_we_build(path: Path) -> None:
    case = _case(path)
    leaves = [leaf_hash(entry) for entry in ENTRIES]

    if "leafIdx" in case:
        size = case["treeSize"]
        assert root_from_leaf_hashes(leaves[:size]) == _b64(case["root"])
        assert inclusion_proof(leaves, case["leafIdx"], size) == _proof(case)
    else:
        old, new = case["size1"], case["size2"]
        assert root_from_leaf_hashes(leaves[:old]) == _b64(case["root1"])
        assert root_from_leaf_hashes(leaves[:new]) == _b64(case["root2"])
        assert consistency_proof(leaves, old, new) == _proof(case)


# Our trees and proofs against the RFC's recursive definitions.


@given(strategies.lists(strategies.binary(max_size=8), max_size=300))
def test_level_by_level_root_equals_the_recursive_definition(entries: list[bytes]) -> None:
    assert root_from_leaf_hashes([leaf_hash(entry) for entry in entries]) == rfc.mth(entries)


def test_compact_range_equals_the_root_at_every_size() -> None:
    leaves, tree = _leaves(300), CompactRange()

    for size, leaf in enumerate(leaves, start=1):
        tree.append(leaf)
        assert (tree.size, tree.root()) == (size, root_from_leaf_hashes(leaves[:size]))


@given(strategies.lists(strategies.integers(0, 40), max_size=12))
def test_compact_range_extends_and_resumes_from_its_frontier(batches: list[int]) -> None:
    tree, leaves = CompactRange(), _leaves(sum(batches))

    for batch in batches:
        start = tree.size
        tree.extend(leaves[start : start + batch])
        tree = CompactRange.from_frontier(tree.size, tree.frontier)
        assert tree.root() == root_from_leaf_hashes(leaves[: tree.size])


def test_compact_range_keeps_the_leaves_before_a_bad_one() -> None:
    leaves, tree = _leaves(3), CompactRange()

    with pytest.raises(ValueError, match="a leaf hash is 32 bytes"):
        tree.extend([*leaves, b"short"])

    assert (tree.size, tree.root()) == (3, root_from_leaf_hashes(leaves))


@pytest.mark.parametrize("size", range(1, 65))
def test_inclusion_proofs_of_every_leaf_follow_the_rfc(size: int) -> None:
    entries, leaves = _entries(size), _leaves(size)
    root = rfc.mth(entries)

    for index in range(size):
        proof = inclusion_proof(leaves, index)
        assert proof == rfc.path(index, entries)
        verify_inclusion(leaves[index], index, size, proof, root)
        assert rfc.verify_inclusion_independently(entries[index], index, size, proof, root)


@pytest.mark.parametrize("new_size", range(1, 65))
def test_consistency_proofs_from_every_old_size_follow_the_rfc(new_size: int) -> None:
    entries, leaves = _entries(new_size), _leaves(new_size)
    new_root = rfc.mth(entries)

    for old_size in range(1, new_size + 1):
        proof = consistency_proof(leaves, old_size)
        old_root = rfc.mth(entries[:old_size])
        assert proof == rfc.proof(old_size, entries)
        verify_consistency(old_size, new_size, old_root, new_root, proof)
        assert rfc.verify_consistency_independently(old_size, new_size, old_root, new_root, proof)


@settings(max_examples=40, deadline=None)
@given(strategies.data())
def test_proofs_in_larger_trees_verify_independently(data: strategies.DataObject) -> None:
    size = data.draw(strategies.integers(65, 5000), label="size")
    index = data.draw(strategies.integers(0, size - 1), label="index")
    old_size = data.draw(strategies.integers(1, size), label="old_size")
    entries, leaves = _entries(size), _leaves(size)
    root, old_root = root_from_leaf_hashes(leaves), root_from_leaf_hashes(leaves[:old_size])

    proof = inclusion_proof(leaves, index)
    verify_inclusion(leaves[index], index, size, proof, root)
    assert rfc.verify_inclusion_independently(entries[index], index, size, proof, root)

    proof = consistency_proof(leaves, old_size)
    verify_consistency(old_size, size, old_root, root, proof)
    assert rfc.verify_consistency_independently(old_size, size, old_root, root, proof)


def test_large_trees_never_recurse_over_their_size() -> None:
    size = 2**17 + 5
    leaves = _leaves(size)
    tree = CompactRange()
    tree.extend(leaves)
    limit = sys.getrecursionlimit()

    sys.setrecursionlimit(len(inspect.stack(0)) + 40)
    try:
        root = root_from_leaf_hashes(leaves)
        proofs = [(index, inclusion_proof(leaves, index)) for index in (0, 99_999, size - 1)]
        old_root = root_from_leaf_hashes(leaves[:100_000])
        consistency = consistency_proof(leaves, 100_000)
    finally:
        sys.setrecursionlimit(limit)

    assert tree.root() == root
    for index, proof in proofs:
        verify_inclusion(leaves[index], index, size, proof, root)
    verify_consistency(100_000, size, old_root, root, consistency)


# Tampered inclusion proofs.


@dataclasses.dataclass(frozen=True)
class Inclusion:
    leaf_hash: bytes
    index: int
    size: int
    proof: list[bytes]
    root: bytes


INCLUSION_TAMPERING: dict[str, Callable[[Inclusion], Inclusion]] = {
    "trailing-garbage": lambda c: dataclasses.replace(c, proof=[*c.proof, b""]),
    "trailing-root": lambda c: dataclasses.replace(c, proof=[*c.proof, c.root]),
    "preceding-garbage": lambda c: dataclasses.replace(c, proof=[b"", *c.proof]),
    "preceding-leaf": lambda c: dataclasses.replace(c, proof=[c.leaf_hash, *c.proof]),
    "truncated": lambda c: dataclasses.replace(c, proof=c.proof[:-1]),
    "first-hash-removed": lambda c: dataclasses.replace(c, proof=c.proof[1:]),
    "proof-of-33-byte-hashes": lambda c: dataclasses.replace(c, proof=[h + b"\0" for h in c.proof]),
    "index-plus-one": lambda c: dataclasses.replace(c, index=c.index + 1),
    "index-minus-one": lambda c: dataclasses.replace(c, index=c.index - 1),
    "index-xor-two": lambda c: dataclasses.replace(c, index=c.index ^ 2),
    "index-past-2^64": lambda c: dataclasses.replace(c, index=c.index + 2**64),
    "size-doubled": lambda c: dataclasses.replace(c, size=c.size * 2),
    "size-halved": lambda c: dataclasses.replace(c, size=c.size // 2),
    "size-zero": lambda c: dataclasses.replace(c, size=0),
    "other-leaf": lambda c: dataclasses.replace(c, leaf_hash=leaf_hash(b"forged")),
    "leaf-data-instead-of-hash": lambda c: dataclasses.replace(c, leaf_hash=c.leaf_hash[:16]),
    "empty-root": lambda c: dataclasses.replace(c, root=EMPTY_ROOT),
    "truncated-root": lambda c: dataclasses.replace(c, root=c.root[:31]),
}


def _inclusion_claims() -> Iterator[Inclusion]:
    for size in (1, 2, 3, 7, 12, 16):
        leaves = _leaves(size)
        root = root_from_leaf_hashes(leaves)
        for index in range(size):
            yield Inclusion(leaves[index], index, size, inclusion_proof(leaves, index), root)


@pytest.mark.parametrize("tampering", INCLUSION_TAMPERING)
def test_tampered_inclusion_proofs_are_refused(tampering: str) -> None:
    for claim in _inclusion_claims():
        tampered = INCLUSION_TAMPERING[tampering](claim)
        if tampered == claim:
            continue

        with pytest.raises(ProofError):
            verify_inclusion(**dataclasses.asdict(tampered))


def test_a_flipped_bit_anywhere_in_an_inclusion_proof_is_refused() -> None:
    for claim in _inclusion_claims():
        for position, bit in ((p, b) for p in range(len(claim.proof)) for b in range(0, 256, 7)):
            proof = list(claim.proof)
            proof[position] = _flip(proof[position], bit)

            with pytest.raises(ProofError, match=r"^root mismatch"):
                verify_inclusion(claim.leaf_hash, claim.index, claim.size, proof, claim.root)


def test_every_other_index_in_the_same_tree_is_refused() -> None:
    for claim in _inclusion_claims():
        for index in range(-1, claim.size + 1):
            if index == claim.index:
                continue

            with pytest.raises(ProofError):
                verify_inclusion(claim.leaf_hash, index, claim.size, claim.proof, claim.root)


def test_other_sizes_and_indices_are_judged_as_the_rfc_definitions_judge_them() -> None:
    for claim in _inclusion_claims():
        for size, index in ((s, i) for s in range(2 * claim.size + 2) for i in range(-1, s + 1)):
            args = (claim.leaf_hash, index, size, claim.proof, claim.root)
            try:
                verify_inclusion(*args)
            except ProofError:
                accepted = False
            else:
                accepted = True

            assert accepted is rfc.verify_inclusion_leaf_hash(*args), (claim, size, index)


def test_the_root_alone_does_not_fix_the_tree_size() -> None:
    # NOTE: RFC 6962 binds the size to the root only in the signed tree head (§3.5). A
    # proof whose path has the same shape for a neighbouring size verifies there
    # too, under every verifier; the size must come from the signed checkpoint.
    leaves = _leaves(7)
    root, proof = root_from_leaf_hashes(leaves), inclusion_proof(leaves, 0)

    verify_inclusion(leaves[0], 0, 8, proof, root)
    assert rfc.verify_inclusion_leaf_hash(leaves[0], 0, 8, proof, root)


def test_inclusion_refusals_say_what_is_wrong() -> None:
    leaves = _leaves(12)
    root, proof = root_from_leaf_hashes(leaves), inclusion_proof(leaves, 5)

    with pytest.raises(ProofError, match=r"^proof has 3 hashes, expected 4 for leaf 5 of 12$"):
        verify_inclusion(leaves[5], 5, 12, proof[:3], root)
    with pytest.raises(ProofError, match=r"^proof hash 4 is not a 32-byte hash$"):
        verify_inclusion(leaves[5], 5, 12, [*proof, b""], root)
    with pytest.raises(ProofError, match=r"^leaf 12 is outside a tree of 12 leaves$"):
        verify_inclusion(leaves[5], 12, 12, proof, root)
    with pytest.raises(ProofError, match=r"^root mismatch"):
        verify_inclusion(leaves[4], 5, 12, proof, root)
    with pytest.raises(CryptoError):
        verify_inclusion(leaves[5], 5, 12, proof, EMPTY_ROOT)


# Tampered consistency proofs.


@dataclasses.dataclass(frozen=True)
class Consistency:
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    proof: list[bytes]


CONSISTENCY_TAMPERING: dict[str, Callable[[Consistency], Consistency]] = {
    "trailing-garbage": lambda c: dataclasses.replace(c, proof=[*c.proof, b""]),
    "trailing-old-root": lambda c: dataclasses.replace(c, proof=[*c.proof, c.old_root]),
    "preceding-garbage": lambda c: dataclasses.replace(c, proof=[b"", *c.proof]),
    "preceding-new-root": lambda c: dataclasses.replace(c, proof=[c.new_root, *c.proof]),
    "truncated": lambda c: dataclasses.replace(c, proof=c.proof[:-1]),
    "first-hash-removed": lambda c: dataclasses.replace(c, proof=c.proof[1:]),
    "empty": lambda c: dataclasses.replace(c, proof=[]),
    "swapped-roots": lambda c: dataclasses.replace(c, old_root=c.new_root, new_root=c.old_root),
    "old-size-plus-one": lambda c: dataclasses.replace(c, old_size=c.old_size + 1),
    "old-size-minus-one": lambda c: dataclasses.replace(c, old_size=c.old_size - 1),
    "old-size-zero": lambda c: dataclasses.replace(c, old_size=0),
    "new-size-doubled": lambda c: dataclasses.replace(c, new_size=c.new_size * 2),
    "sizes-swapped": lambda c: dataclasses.replace(c, old_size=c.new_size, new_size=c.old_size),
    "empty-old-root": lambda c: dataclasses.replace(c, old_root=EMPTY_ROOT),
    "empty-new-root": lambda c: dataclasses.replace(c, new_root=EMPTY_ROOT),
    "truncated-new-root": lambda c: dataclasses.replace(c, new_root=c.new_root[:31]),
}


def _consistency_claims() -> Iterator[Consistency]:
    for new_size in (1, 2, 3, 7, 8, 12, 16):
        leaves = _leaves(new_size)
        new_root = root_from_leaf_hashes(leaves)
        for old_size in range(1, new_size + 1):
            old_root = root_from_leaf_hashes(leaves[:old_size])
            proof = consistency_proof(leaves, old_size)
            yield Consistency(old_size, new_size, old_root, new_root, proof)


@pytest.mark.parametrize("tampering", CONSISTENCY_TAMPERING)
def test_tampered_consistency_proofs_are_refused(tampering: str) -> None:
    for claim in _consistency_claims():
        tampered = CONSISTENCY_TAMPERING[tampering](claim)
        if tampered == claim:
            continue

        with pytest.raises(ProofError):
            verify_consistency(**dataclasses.asdict(tampered))


def test_a_flipped_bit_anywhere_in_a_consistency_proof_is_refused() -> None:
    for claim in _consistency_claims():
        for position, bit in ((p, b) for p in range(len(claim.proof)) for b in range(0, 256, 7)):
            proof = list(claim.proof)
            proof[position] = _flip(proof[position], bit)

            with pytest.raises(ProofError, match="root mismatch"):
                verify_consistency(
                    claim.old_size, claim.new_size, claim.old_root, claim.new_root, proof
                )


def test_every_other_old_size_against_the_same_new_tree_is_refused() -> None:
    for claim in _consistency_claims():
        for old_size in range(-1, claim.new_size + 2):
            if old_size == claim.old_size:
                continue

            with pytest.raises(ProofError):
                verify_consistency(
                    old_size, claim.new_size, claim.old_root, claim.new_root, claim.proof
                )


def test_other_sizes_are_judged_as_the_rfc_definitions_judge_them() -> None:
    for claim in _consistency_claims():
        for new_size in range(2 * claim.new_size + 2):
            for old_size in range(-1, new_size + 2):
                args = (old_size, new_size, claim.old_root, claim.new_root, claim.proof)
                try:
                    verify_consistency(*args)
                except ProofError:
                    accepted = False
                else:
                    accepted = True

                assert accepted is rfc.verify_consistency_independently(*args), (claim, args)


def test_consistency_refusals_say_what_is_wrong() -> None:
    leaves = _leaves(8)
    old, new = root_from_leaf_hashes(leaves[:6]), root_from_leaf_hashes(leaves)
    proof = consistency_proof(leaves, 6)

    with pytest.raises(ProofError, match=r"^proof has 2 hashes, expected 3 from size 6 to size 8$"):
        verify_consistency(6, 8, old, new, proof[:2])
    with pytest.raises(ProofError, match=r"^old root mismatch"):
        verify_consistency(6, 8, new, new, proof)
    with pytest.raises(ProofError, match=r"^new root mismatch"):
        verify_consistency(6, 8, old, old, proof)
    with pytest.raises(ProofError, match=r"^no consistency from size 8 to size 6$"):
        verify_consistency(8, 6, new, old, proof)
    with pytest.raises(ProofError, match=r"empty tree proves nothing"):
        verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])


def test_equal_sizes_need_equal_roots_and_no_proof() -> None:
    leaves = _leaves(5)
    root = root_from_leaf_hashes(leaves)

    verify_consistency(5, 5, root, root, [])
    with pytest.raises(ProofError, match=r"^proof has 1 hashes, expected none for equal sizes$"):
        verify_consistency(5, 5, root, root, [root])
    with pytest.raises(ProofError, match=r"^root mismatch: two different roots for size 5$"):
        verify_consistency(5, 5, root, EMPTY_ROOT, [])


# Misuse is a loud programming error, not a refused proof.


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: inclusion_proof(_leaves(4), 4), "leaf 4 is not in a tree of 4 leaves"),
        (lambda: inclusion_proof(_leaves(4), -1), "leaf -1 is not in a tree of 4 leaves"),
        (lambda: inclusion_proof(_leaves(4), 0, 5), "a tree of 5 leaves needs"),
        (lambda: consistency_proof(_leaves(4), 0), "from size 0 to size 4"),
        (lambda: consistency_proof(_leaves(4), 3, 2), "from size 3 to size 2"),
        (lambda: root_from_leaf_hashes([b"not a hash"]), "must be 32 bytes"),
        (lambda: CompactRange().append(b"not a hash"), "is 32 bytes"),
        (lambda: CompactRange.from_frontier(3, [bytes(32)]), "3 leaves has 2 frontier hashes"),
    ],
)
def test_misuse_is_a_value_error(call: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
