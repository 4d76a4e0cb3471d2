"""The audit writer: group commit, sequence numbers, checkpoints, restarts and failures."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import threading
from pathlib import Path

import pytest

from botwarden.audit.checkpoint import open_checkpoint
from botwarden.audit.merkle import leaf_hash, root_from_leaf_hashes
from botwarden.audit.note import generate_signer
from botwarden.audit.records import prepare_record
from botwarden.audit.redaction import SecretRedactor
from botwarden.audit.stores.files import FileAuditStore
from botwarden.audit.writer import AuditWriter, CheckpointPolicy
from botwarden.errors import AuditUnavailableError, AuditWriterBusyError

SIGNER = generate_signer("botwarden.audit/writer-tests")


def record(number: int) -> object:
    return prepare_record(
        "test.event",
        actor="bot:b",
        target=f"t{number}",
        details={"n": number},
        redactor=SecretRedactor(),
    )


def start_writer(directory: Path, every: int = 1000) -> AuditWriter:
    writer = AuditWriter(
        FileAuditStore(directory), SIGNER, SIGNER.name, policy=CheckpointPolicy(every, 3600)
    )
    writer.start()
    return writer


def stored_lines(directory: Path) -> list[bytes]:
    return (directory / "records.jsonl").read_bytes().splitlines()


def test_concurrent_appends_get_unique_consecutive_sequence_numbers(tmp_path: Path) -> None:
    writer = start_writer(tmp_path)
    seqs: list[int] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        for number in range(100):
            seq = writer.append(record(worker * 1000 + number))  # type: ignore[arg-type]
            with lock:
                seqs.append(seq)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()

    lines = stored_lines(tmp_path)
    assert sorted(seqs) == list(range(1600))
    assert [json.loads(line)["seq"] for line in lines] == list(range(1600))


def test_records_are_written_synchronously(tmp_path: Path) -> None:
    writer = start_writer(tmp_path)

    info = Path(f"/proc/self/fdinfo/{writer.store._records_fd}").read_text()  # type: ignore[attr-defined]
    writer.close()

    assert int(info.split("flags:")[1].split()[0], 8) & os.O_DSYNC


def test_an_append_returns_only_after_its_record_is_on_disk(tmp_path: Path) -> None:
    writer = start_writer(tmp_path)

    seq = writer.append(record(1))  # type: ignore[arg-type]
    on_disk = stored_lines(tmp_path)
    writer.close()

    assert seq == 0
    assert json.loads(on_disk[0])["target"] == "t1"


def test_checkpoints_every_n_records_and_at_shutdown_sign_the_true_root(tmp_path: Path) -> None:
    writer = start_writer(tmp_path, every=10)
    for number in range(25):
        writer.append(record(number))  # type: ignore[arg-type]
    writer.close()

    store = FileAuditStore(tmp_path)
    leaves = [leaf_hash(line) for line in store.read()]
    checkpoints = [open_checkpoint(item.note, SIGNER.verifier()) for item in store.checkpoints()]

    assert [checkpoint.size for checkpoint in checkpoints][-1] == 25
    assert len(checkpoints) >= 3
    for checkpoint in checkpoints:
        assert checkpoint.root_hash == root_from_leaf_hashes(leaves[: checkpoint.size])
        assert checkpoint.origin == SIGNER.name


def test_a_restarted_writer_continues_the_same_tree(tmp_path: Path) -> None:
    first = start_writer(tmp_path)
    first.append(record(1))  # type: ignore[arg-type]
    first.close()

    second = start_writer(tmp_path)
    seq = second.append(record(2))  # type: ignore[arg-type]
    second.close()

    assert seq == 1
    assert len(stored_lines(tmp_path)) == 2


def test_a_second_writer_is_refused_while_the_first_holds_the_store(tmp_path: Path) -> None:
    writer = start_writer(tmp_path)

    with pytest.raises(AuditWriterBusyError):
        AuditWriter(FileAuditStore(tmp_path), SIGNER, SIGNER.name).start()

    writer.close()


def test_a_failed_durable_write_stops_the_writer_for_good(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = start_writer(tmp_path)
    writer.append(record(1))  # type: ignore[arg-type]
    calls: list[int] = []

    def failing_write(fd: int, data: object) -> int:
        calls.append(fd)
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr("botwarden.audit.stores.files.os.write", failing_write)
    with pytest.raises(AuditUnavailableError, match="could not make records durable"):
        writer.append(record(2))  # type: ignore[arg-type]
    monkeypatch.undo()

    with pytest.raises(AuditUnavailableError, match="audit log stopped"):
        writer.append(record(3))  # type: ignore[arg-type]
    assert len(calls) == 1
    writer.close()


def test_a_torn_last_line_from_a_crash_is_set_aside_on_start(tmp_path: Path) -> None:
    writer = start_writer(tmp_path)
    writer.append(record(1))  # type: ignore[arg-type]
    writer.close()
    with (tmp_path / "records.jsonl").open("ab") as handle:
        handle.write(b'{"action":"test.ev')

    restarted = start_writer(tmp_path)
    seq = restarted.append(record(2))  # type: ignore[arg-type]
    restarted.close()

    assert seq == 1
    assert [json.loads(line)["seq"] for line in stored_lines(tmp_path)] == [0, 1]
    assert [path.read_bytes() for path in tmp_path.glob("torn-tail-*.bin")] == [
        b'{"action":"test.ev'
    ]


def test_coroutines_append_without_threads_of_their_own(tmp_path: Path) -> None:
    writer = start_writer(tmp_path)

    async def many() -> list[int]:
        return list(await asyncio.gather(*(writer.append_async(record(n)) for n in range(300))))  # type: ignore[arg-type]

    seqs = asyncio.run(many())
    writer.close()

    assert sorted(seqs) == list(range(300))
    assert [json.loads(line)["seq"] for line in stored_lines(tmp_path)] == list(range(300))


def test_a_coroutine_is_told_when_its_record_could_not_be_made_durable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = start_writer(tmp_path)

    def failing_write(fd: int, data: object) -> int:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr("botwarden.audit.stores.files.os.write", failing_write)
    with pytest.raises(AuditUnavailableError, match="could not make records durable"):
        asyncio.run(writer.append_async(record(1)))  # type: ignore[arg-type]
    writer.close()


def test_record_async_writes_through_the_installed_log(audit_log: object) -> None:
    from botwarden import audit
    from tests.helpers import recorded

    async def two() -> list[int]:
        first = await audit.record_async("test.async", actor="bot:a", target="x")
        second = await audit.record_async("test.async", actor="bot:a", target="y", outcome="denied")
        return [first, second]

    seqs = asyncio.run(two())

    records = [item for item in recorded(audit_log) if item["action"] == "test.async"]
    assert seqs[1] == seqs[0] + 1
    assert [(item["seq"], item["target"], item["outcome"]) for item in records] == [
        (seqs[0], "x", "allowed"),
        (seqs[1], "y", "denied"),
    ]
