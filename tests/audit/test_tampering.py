"""Every way of tampering with the audit log is caught by `botwarden audit verify`."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from botwarden.audit.canonical import canonical_json
from botwarden.audit.checkpoint import Checkpoint, load_audit_key, sign_checkpoint
from botwarden.audit.log import key_path
from botwarden.audit.merkle import CompactRange, leaf_hash
from botwarden.audit.note import NoteVerifier, generate_signer
from botwarden.audit.stores.files import FileAuditStore
from botwarden.audit.verify import verify_log
from botwarden.config import Settings
from botwarden.errors import AuditTamperedError
from tests.audit.conftest import append_records


def verify_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {"PATH": os.environ["PATH"], "BOTWARDEN_HOME": str(settings.home)}
    return subprocess.run(
        [sys.executable, "-m", "botwarden.cli.main", "audit", "verify", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


def records_file(settings: Settings) -> Path:
    return settings.audit_dir / "records.jsonl"


def rewrite_lines(settings: Settings, change: object) -> None:
    lines = records_file(settings).read_bytes().splitlines(keepends=True)
    records_file(settings).write_bytes(b"".join(change(lines)))  # type: ignore[operator]


def verifier(settings: Settings) -> NoteVerifier:
    return load_audit_key(key_path(settings)).verifier()


def test_an_untouched_log_verifies(audited_home: Settings) -> None:
    result = verify_cli(audited_home, "--json")

    report = json.loads(result.stdout)
    assert result.returncode == 0, result.stderr
    assert report["intact"] is True
    assert report["records"] == 23
    assert report["witnesses_checked"] == ["database"]
    assert report["records_after_last_checkpoint"] == 0


def test_a_flipped_byte_anywhere_in_any_record_is_caught(audited_home: Settings) -> None:
    original = records_file(audited_home).read_bytes()
    positions = random.Random(7).sample(range(len(original)), 40)

    for position in positions:
        changed = bytearray(original)
        changed[position] ^= 0x20 if changed[position] != 0x0A else 0x01
        records_file(audited_home).write_bytes(bytes(changed))
        store = FileAuditStore(audited_home.audit_dir)

        with pytest.raises(AuditTamperedError):
            verify_log(store, verifier(audited_home))

    records_file(audited_home).write_bytes(original)
    verify_log(FileAuditStore(audited_home.audit_dir), verifier(audited_home))


def test_a_flipped_byte_is_reported_by_the_cli_with_what_is_wrong(audited_home: Settings) -> None:
    rewrite_lines(
        audited_home, lambda lines: [*lines[:5], lines[5].replace(b"u", b"v", 1), *lines[6:]]
    )

    result = verify_cli(audited_home)

    assert result.returncode == 1
    assert "does not match the records" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda lines: lines[:7] + lines[8:], "record 7 does not carry sequence number 7"),
        (
            lambda lines: [*lines[:4], lines[9], *lines[4:]],
            "record 4 does not carry sequence number 4",
        ),
        (
            lambda lines: [*lines[:3], lines[4], lines[3], *lines[5:]],
            "record 3 does not carry sequence number 3",
        ),
        (lambda lines: lines[:-3], "vouches for"),
    ],
    ids=["deleted", "inserted", "swapped", "truncated"],
)
def test_deleting_inserting_swapping_or_truncating_is_caught(
    audited_home: Settings, change: object, message: str
) -> None:
    rewrite_lines(audited_home, change)

    result = verify_cli(audited_home)

    assert result.returncode == 1
    assert message in result.stderr


def test_a_checkpoint_signed_with_another_key_is_caught(audited_home: Settings) -> None:
    store = FileAuditStore(audited_home.audit_dir)
    size = store.size()
    leaves = CompactRange()
    leaves.extend(leaf_hash(data) for data in store.read())
    impostor = generate_signer(verifier(audited_home).name)
    forged = sign_checkpoint(Checkpoint(impostor.name, size, leaves.root()), impostor)
    with (audited_home.audit_dir / "checkpoints.jsonl").open("ab") as handle:
        handle.write(canonical_json({"size": size, "note": forged}) + b"\n")

    result = verify_cli(audited_home, "--no-witnesses")

    assert result.returncode == 1
    assert f"stored checkpoint for size {size} does not verify" in result.stderr


def test_an_older_copy_of_the_store_is_caught_by_the_witness(audited_home: Settings) -> None:
    saved = audited_home.home / "saved-audit"
    shutil.copytree(audited_home.audit_dir, saved)
    append_records(audited_home, 7, start=100)

    shutil.rmtree(audited_home.audit_dir)
    shutil.copytree(saved, audited_home.audit_dir)
    alone = verify_cli(audited_home, "--no-witnesses")
    result = verify_cli(audited_home)

    assert alone.returncode == 0
    assert result.returncode == 1
    assert "witness database's checkpoint" in result.stderr
    assert "holds only" in result.stderr


def test_a_history_rewritten_and_re_signed_with_the_real_key_is_caught_by_the_witness(
    audited_home: Settings,
) -> None:
    signer = load_audit_key(key_path(audited_home))
    lines = records_file(audited_home).read_bytes().splitlines()
    forged_record = json.loads(lines[10])
    forged_record["actor"]["id"] = "someone-else"
    lines[10] = canonical_json(forged_record)
    records_file(audited_home).write_bytes(b"".join(line + b"\n" for line in lines))
    tree = CompactRange()
    resigned = []
    for stored in FileAuditStore(audited_home.audit_dir).checkpoints():
        while tree.size < stored.size:
            tree.append(leaf_hash(lines[tree.size]))
        note = sign_checkpoint(Checkpoint(signer.name, stored.size, tree.root()), signer)
        resigned.append(canonical_json({"size": stored.size, "note": note}) + b"\n")
    (audited_home.audit_dir / "checkpoints.jsonl").write_bytes(b"".join(resigned))

    alone = verify_cli(audited_home, "--no-witnesses")
    result = verify_cli(audited_home)

    assert alone.returncode == 0
    assert result.returncode == 1
    assert "witness database's checkpoint" in result.stderr
    assert "does not match the records" in result.stderr


def test_verify_writes_nothing(audited_home: Settings) -> None:
    before = {
        path: path.read_bytes() for path in audited_home.audit_dir.iterdir() if path.is_file()
    }

    for command in (
        ["verify"],
        ["tail"],
        ["search", "--actor", "u1"],
        ["key"],
        ["prove", "3"],
        ["export", "--format", "ocsf"],
    ):
        environ = {"PATH": os.environ["PATH"], "BOTWARDEN_HOME": str(audited_home.home)}
        result = subprocess.run(
            [sys.executable, "-m", "botwarden.cli.main", "audit", *command],
            capture_output=True, text=True, env=environ, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0, (command, result.stderr)

    after = {path: path.read_bytes() for path in audited_home.audit_dir.iterdir() if path.is_file()}
    assert after == before
