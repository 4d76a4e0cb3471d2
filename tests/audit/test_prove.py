"""`botwarden audit prove` gives an outside verifier all it needs, checked from the RFCs alone."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from botwarden.config import Settings
from tests.audit.rfc6962_verifier import verify_inclusion_independently


def botwarden(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {"PATH": os.environ["PATH"], "BOTWARDEN_HOME": str(settings.home)}
    return subprocess.run(
        [sys.executable, "-m", "botwarden.cli.main", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


def open_note_independently(note: str, verifier_key: str) -> list[str]:
    """The checkpoint lines, after checking the note's Ed25519 signature (C2SP signed-note)."""

    name, key_id_hex, encoded = verifier_key.split("+", 2)
    key = base64.b64decode(encoded)
    assert key[0] == 0x01
    assert hashlib.sha256(name.encode() + b"\n" + key).digest()[:4].hex() == key_id_hex

    text, _, signatures = note.partition("\n\n")
    text += "\n"
    for line in signatures.splitlines():
        dash, signer, blob = line.split(" ")
        signature = base64.b64decode(blob)
        if dash == "\u2014" and signer == name and signature[:4].hex() == key_id_hex:
            Ed25519PublicKey.from_public_bytes(key[1:]).verify(signature[4:], text.encode())
            return text.splitlines()
    raise AssertionError("no signature by the log's key")


@pytest.mark.parametrize("seq", [0, 1, 6, 22])
def test_a_proof_verifies_with_an_independent_verifier(audited_home: Settings, seq: int) -> None:
    verifier_key = botwarden(audited_home, "audit", "key").stdout.strip()
    result = botwarden(audited_home, "audit", "prove", str(seq), "--json")

    proof = json.loads(result.stdout)
    origin, size, root = open_note_independently(proof["checkpoint"], verifier_key)
    record = base64.b64decode(proof["record"])
    hashes = [base64.b64decode(item) for item in proof["inclusion_proof"]]

    assert proof["leaf_index"] == seq
    assert origin == verifier_key.split("+", 2)[0]
    assert json.loads(record)["seq"] == seq
    assert verify_inclusion_independently(record, seq, int(size), hashes, base64.b64decode(root))
    assert not verify_inclusion_independently(
        record + b" ", seq, int(size), hashes, base64.b64decode(root)
    )


def test_a_record_not_yet_covered_by_a_checkpoint_is_refused_clearly(
    audited_home: Settings,
) -> None:
    result = botwarden(audited_home, "audit", "prove", "5000")

    assert result.returncode == 1
    assert "not covered by a signed checkpoint" in result.stderr
