"""Benchmarks of the audit log: durable appends with group commit, and full verification."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import fcntl
import gc
import hashlib
import json
import logging
import os
import platform
import pstats
import resource
import shutil
import ssl
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import cryptography
import structlog

from botwarden.audit.merkle import CompactRange, leaf_hash
from botwarden.audit.note import generate_signer
from botwarden.audit.records import PreparedRecord, prepare_record
from botwarden.audit.redaction import SecretRedactor
from botwarden.audit.stores.files import FileAuditStore
from botwarden.audit.stores.interface import AuditStore, StoredCheckpoint
from botwarden.audit.verify import VerificationReport, verify_log
from botwarden.audit.writer import AuditWriter, CheckpointPolicy

DEFAULT_WRITERS = 64
DEFAULT_RECORDS = 120_000
DEFAULT_VERIFY_RECORDS = 200_000
ROUNDS = 4
VERIFY_ROUNDS = 5
BASELINE_RECORDS_PER_ROUND = 3_000
PROBE_SECONDS = 2.0
HOT_LOOP_RECORDS = 20_000
REGISTERED_SECRETS = 50
PROFILE_TOP = 12
ORIGIN = "bench.botwarden.example/audit"
GOAL_APPENDS_PER_SECOND = 50_000
GOAL_VERIFY_RATIO = 0.5

# The timed kinds of the append rounds, in the order of the even rounds.
APPEND_KINDS = (
    "group_prepare",
    "group_prepared",
    "async_prepare",
    "async_prepared",
    "writer_no_io",
    "fsync_one",
    "fsync_locked",
)

Item = TypeVar("Item")


def main() -> int:
    arguments = parse_arguments()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    report: dict[str, Any] = {"date": date.today().isoformat(), "writers": arguments.writers}
    with tempfile.TemporaryDirectory(prefix="botwarden-bench-audit-") as temporary:
        root = Path(temporary)
        report["machine"] = machine(root)
        note("disk: 1-byte write + fsync for 2 s")
        report["disk"] = probe_fsync(root)
        note("hot loops")
        report["parts"] = bench_parts()
        with counted_fsyncs() as fsyncs:
            note(f"appends: {ROUNDS} rounds of {len(APPEND_KINDS)} kinds")
            report["appends"] = bench_appends(root, arguments.writers, arguments.records, fsyncs)
        note(f"verification of {arguments.verify_records:,} records")
        report["verification"] = bench_verification(
            root, arguments.writers, arguments.verify_records, arguments.profile
        )
        if arguments.profile:
            note("profiling the group commit runs")
            report["profile"] = profile_appends(root, arguments.writers, arguments.records)
    report["machine"]["load_average_after"] = load_average()

    if arguments.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--writers", type=positive, default=DEFAULT_WRITERS, help="concurrent appending threads"
    )
    parser.add_argument(
        "--records",
        type=positive,
        default=DEFAULT_RECORDS,
        help="records appended by each group commit variant, over all rounds",
    )
    parser.add_argument(
        "--verify-records",
        type=positive,
        default=DEFAULT_VERIFY_RECORDS,
        help="records in the log that is verified",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile verify_log and one group commit run of each variant with cProfile",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    return parser.parse_args()


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Records --------------------------------------------------------------------

_redactor = SecretRedactor()


def prepare(thread: int, index: int, redactor: SecretRedactor = _redactor) -> PreparedRecord:
    """The record a robot's secret read would leave, different for every thread and index."""

    return prepare_record(
        "secret.read",
        actor=f"bot:robot-{thread:02d}",
        target=f"prod:robots/r{index:06d}/login",
        details={"version": 1 + index % 3, "fields": 3, "client": "sdk"},
        request_id=f"req-{thread:04x}-{index:08x}",
        redactor=redactor,
    )


def prepare_all(writers: int, per_writer: int) -> list[list[PreparedRecord]]:
    return [[prepare(thread, index) for index in range(per_writer)] for thread in range(writers)]


def interleave(batches: Sequence[Sequence[PreparedRecord]]) -> list[PreparedRecord]:
    """The records of all threads, one of each thread in turn (as they would arrive)."""

    return [record for group in zip(*batches, strict=True) for record in group]


# Counting fsyncs ------------------------------------------------------------


class FsyncCounter:
    """Counts ``os.fsync`` calls by file descriptor, and the time the caller spends in them.

    That time runs until the calling thread holds the interpreter lock again,
    so under contention it exceeds what the disk takes.
    """

    def __init__(self, fsync: Callable[[int], None]) -> None:
        self._fsync = fsync
        self._counts: dict[int, int] = {}
        self.nanoseconds = 0

    def __call__(self, fd: int) -> None:
        started = time.perf_counter_ns()
        self._fsync(fd)
        self.nanoseconds += time.perf_counter_ns() - started
        self.count(fd)

    def count(self, fd: int) -> None:
        self._counts[fd] = self._counts.get(fd, 0) + 1

    def reset(self) -> None:
        self._counts = {}
        self.nanoseconds = 0

    def by_file(self) -> dict[str, int]:
        named: dict[str, int] = {}
        for fd, count in self._counts.items():
            try:
                name = Path(os.readlink(f"/proc/self/fd/{fd}")).name
            except OSError:
                name = f"fd {fd}"
            named[name] = named.get(name, 0) + count
        return named


@contextmanager
def counted_fsyncs() -> Iterator[FsyncCounter]:
    """Count durable writes for the benchmark's duration only.

    A durable write is an ``os.fsync`` or a write to a file opened with
    ``O_DSYNC`` (the file store's records and checkpoints), which the kernel
    makes durable before it returns.
    """

    original_fsync, original_write = os.fsync, os.write
    counter = FsyncCounter(original_fsync)

    def write(fd: int, data: Any) -> int:
        if not fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DSYNC:
            return original_write(fd, data)
        started = time.perf_counter_ns()
        written = original_write(fd, data)
        counter.nanoseconds += time.perf_counter_ns() - started
        counter.count(fd)
        return written

    os.fsync = counter  # type: ignore[assignment]
    os.write = write
    try:
        yield counter
    finally:
        os.fsync, os.write = original_fsync, original_write


# The disk and the hot loops -------------------------------------------------


def probe_fsync(root: Path) -> dict[str, Any]:
    """The disk's raw rate of durable 1-byte appends, one thread, nothing else going on."""

    path = root / "probe.bin"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    taken: list[int] = []
    clock = time.perf_counter_ns
    try:
        started = clock()
        deadline = started + int(PROBE_SECONDS * 1e9)
        while (now := clock()) < deadline:
            os.write(fd, b"x")
            os.fsync(fd)
            taken.append(clock() - now)
        elapsed = (clock() - started) / 1e9
    finally:
        os.close(fd)
        path.unlink()
    ordered = sorted(taken)
    return {
        "fsyncs_per_second": round(len(taken) / elapsed),
        "p50_us": round(percentile(ordered, 50) / 1000, 1),
        "p99_us": round(percentile(ordered, 99) / 1000, 1),
    }


def bench_parts() -> dict[str, float]:
    """Microseconds per record of each Python step alone, in a hot loop on one thread."""

    with_secrets = SecretRedactor()
    for number in range(REGISTERED_SECRETS):
        with_secrets.register(f"registered-secret-{number:04d}-value")
    records = [prepare(0, index) for index in range(HOT_LOOP_RECORDS)]
    encoded = [record.encode(seq) for seq, record in enumerate(records)]

    def caller_side() -> None:
        for index in range(HOT_LOOP_RECORDS):
            prepare(0, index)

    def caller_side_with_secrets() -> None:
        for index in range(HOT_LOOP_RECORDS):
            prepare(0, index, with_secrets)

    def writer_side() -> None:
        tree = CompactRange()
        for seq, record in enumerate(records):
            tree.append(leaf_hash(record.encode(seq)))

    def hashlib_leaf_and_node() -> None:
        sha256 = hashlib.sha256
        previous = b"\x00" * 32
        for data in encoded:
            leaf = sha256(b"\x00" + data).digest()
            previous = sha256(b"\x01" + previous + leaf).digest()

    steps = {
        "prepare_record": caller_side,
        "prepare_record_50_secrets": caller_side_with_secrets,
        "writer_encode_leaf_tree": writer_side,
        "hashlib_leaf_and_node": hashlib_leaf_and_node,
    }
    return {name: round(hot_loop_us(step, HOT_LOOP_RECORDS), 2) for name, step in steps.items()}


def hot_loop_us(step: Callable[[], None], count: int) -> float:
    """The best of three runs of ``step``, in microseconds per record."""

    best = float("inf")
    for _ in range(3):
        gc.collect()
        started = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - started)
    return best / count * 1e6


# Appends --------------------------------------------------------------------


@dataclass
class Run:
    """One timed run of one kind: how many records, how long, and what it cost."""

    records: int
    seconds: float
    latencies_ns: list[int]
    cpu_user: float
    cpu_system: float
    context_switches: int
    fsyncs: dict[str, int]
    fsync_ns: int
    groups: int


class MemoryAuditStore(AuditStore):
    """A store that keeps nothing: the writer's own ceiling, without writes or fsyncs."""

    name = "memory"

    def __init__(self) -> None:
        self.appends = 0
        self.records = 0
        self._checkpoints: list[StoredCheckpoint] = []

    def open_writer(self) -> None:
        return None

    def size(self) -> int:
        return self.records

    def append(self, records: Sequence[bytes], first_seq: int) -> None:
        self.appends += 1
        self.records += len(records)

    def append_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        self._checkpoints.append(checkpoint)

    def read(self, start: int = 0) -> Iterator[bytes]:
        return iter(())

    def checkpoints(self) -> list[StoredCheckpoint]:
        return list(self._checkpoints)

    def close(self) -> None:
        return None


def bench_appends(root: Path, writers: int, records: int, fsyncs: FsyncCounter) -> dict[str, Any]:
    """Group commit against one fsync per append, in interleaved rounds."""

    per_writer = max(1, records // (ROUNDS * writers))
    baseline_count = min(per_writer * writers, BASELINE_RECORDS_PER_ROUND)
    runs: dict[str, list[Run]] = {kind: [] for kind in APPEND_KINDS}
    for round_number in range(ROUNDS):
        order = APPEND_KINDS if round_number % 2 == 0 else tuple(reversed(APPEND_KINDS))
        for kind in order:
            note(f"  round {round_number + 1}: {kind}")
            runs[kind].append(
                run_kind(kind, root / f"{kind}-{round_number}", writers, per_writer, fsyncs)
                if kind.startswith(("group", "async", "writer"))
                else run_baseline(
                    kind, root / f"{kind}-{round_number}", writers, baseline_count, fsyncs
                )
            )

    figures = {kind: summarise(kind_runs) for kind, kind_runs in runs.items()}
    ratios = {
        f"{group}/{baseline}": ratio_of(runs[group], runs[baseline])
        for group in ("group_prepare", "group_prepared", "async_prepare", "async_prepared")
        for baseline in ("fsync_one", "fsync_locked")
    }
    return {
        "rounds": ROUNDS,
        "records_per_round": per_writer * writers,
        "baseline_records_per_round": baseline_count,
        "figures": figures,
        "ratios": ratios,
    }


def run_kind(
    kind: str, directory: Path, writers: int, per_writer: int, fsyncs: FsyncCounter
) -> Run:
    """``writers`` threads append ``per_writer`` records each through one ``AuditWriter``."""

    store: AuditStore = MemoryAuditStore() if kind == "writer_no_io" else FileAuditStore(directory)
    signer = generate_signer(ORIGIN)
    writer = AuditWriter(store, signer, signer.name, policy=CheckpointPolicy())
    writer.start()
    batches = (
        None if kind in {"group_prepare", "async_prepare"} else prepare_all(writers, per_writer)
    )

    def record_for(thread: int, index: int) -> Any:
        return prepare(thread, index) if batches is None else batches[thread][index]

    if kind.startswith("async"):
        run = timed_coroutines(writers, per_writer, record_for, writer, fsyncs)
    else:
        run = timed_threads(writers, per_writer, record_for, writer.append, fsyncs)
    size = writer.size
    writer.close()

    if size != writers * per_writer:
        raise RuntimeError(f"{kind}: the writer holds {size} records, not {writers * per_writer}")
    if isinstance(store, MemoryAuditStore):
        run.groups = store.appends
    else:
        run.groups = run.fsyncs.get("records.jsonl", 0)
        verify_log(FileAuditStore(directory), signer.verifier())
        shutil.rmtree(directory)
    return run


def timed_coroutines(
    writers: int,
    per_writer: int,
    record_for: Callable[[int, int], Any],
    writer: AuditWriter,
    fsyncs: FsyncCounter | None,
) -> Run:
    """``writers`` coroutines in one event loop, each awaiting ``append_async`` for its records."""

    latencies: list[int] = []
    clock = time.perf_counter_ns

    async def body(task: int) -> None:
        for index in range(per_writer):
            record = record_for(task, index)
            started = clock()
            await writer.append_async(record)
            latencies.append(clock() - started)

    async def everyone() -> None:
        await asyncio.gather(*(body(task) for task in range(writers)))

    with measured(fsyncs) as measure:
        asyncio.run(everyone())
    return measure.run(writers * per_writer, latencies)


def timed_threads(
    writers: int,
    per_writer: int,
    record_for: Callable[[int, int], Item],
    append: Callable[[Item], object],
    fsyncs: FsyncCounter | None,
) -> Run:
    """Start ``writers`` threads together; each gets its records and times every append."""

    barrier = threading.Barrier(writers + 1)
    latencies: list[list[int]] = [[] for _ in range(writers)]
    failures: list[BaseException] = []
    clock = time.perf_counter_ns

    def body(thread: int) -> None:
        own = latencies[thread]
        barrier.wait()
        try:
            for index in range(per_writer):
                record = record_for(thread, index)
                started = clock()
                append(record)
                own.append(clock() - started)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=body, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    with measured(fsyncs) as measure:
        barrier.wait()
        for thread in threads:
            thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} appending threads failed") from failures[0]
    return measure.run(writers * per_writer, [value for own in latencies for value in own])


class Measure:
    """Wall time, CPU time, context switches and fsyncs between two points."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.usage: tuple[float, float, int] = (0.0, 0.0, 0)
        self.fsync_counts: dict[str, int] = {}
        self.fsync_ns = 0

    def run(self, records: int, latencies: list[int]) -> Run:
        user, system, switches = self.usage
        return Run(
            records=records,
            seconds=self.seconds,
            latencies_ns=latencies,
            cpu_user=user,
            cpu_system=system,
            context_switches=switches,
            fsyncs=self.fsync_counts,
            fsync_ns=self.fsync_ns,
            groups=0,
        )


@contextmanager
def measured(fsyncs: FsyncCounter | None) -> Iterator[Measure]:
    measure = Measure()
    gc.collect()
    if fsyncs is not None:
        fsyncs.reset()
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    yield measure
    measure.seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    measure.usage = (
        after.ru_utime - before.ru_utime,
        after.ru_stime - before.ru_stime,
        (after.ru_nvcsw + after.ru_nivcsw) - (before.ru_nvcsw + before.ru_nivcsw),
    )
    if fsyncs is not None:
        measure.fsync_counts = fsyncs.by_file()
        measure.fsync_ns = fsyncs.nanoseconds


def run_baseline(kind: str, directory: Path, writers: int, count: int, fsyncs: FsyncCounter) -> Run:
    """The same records, each written with its own ``os.write`` and ``os.fsync``.

    ``fsync_one`` appends from one thread; ``fsync_locked`` from ``writers``
    threads that take one lock around each write and fsync.
    """

    threads = 1 if kind == "fsync_one" else writers
    per_thread = max(1, count // threads)
    lines = [
        record.encode(seq) + b"\n"
        for seq, record in enumerate(interleave(prepare_all(threads, per_thread)))
    ]
    directory.mkdir()
    fd = os.open(directory / "records.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    lock = threading.Lock()
    try:
        run = timed_threads(
            threads,
            per_thread,
            lambda thread, index: lines[index * threads + thread],
            lambda line: write_durably(fd, line, lock),
            fsyncs,
        )
    finally:
        os.close(fd)
    run.groups = run.records
    shutil.rmtree(directory)
    return run


def write_durably(fd: int, line: bytes, lock: threading.Lock) -> None:
    with lock:
        os.write(fd, line)
        os.fsync(fd)


def summarise(runs: list[Run]) -> dict[str, Any]:
    """Records per second (median of the rounds), latencies, fsyncs, groups and CPU per record."""

    records = sum(run.records for run in runs)
    latencies = sorted(value for run in runs for value in run.latencies_ns)
    record_fsyncs = sum(run.fsyncs.get("records.jsonl", 0) for run in runs)
    checkpoint_fsyncs = sum(run.fsyncs.get("checkpoints.jsonl", 0) for run in runs)
    seconds = sum(run.seconds for run in runs)
    groups = sum(run.groups for run in runs)
    return {
        "records": records,
        "records_per_second": round(statistics.median(rate(run) for run in runs)),
        "records_per_second_per_round": [round(rate(run)) for run in runs],
        "fsyncs": record_fsyncs + checkpoint_fsyncs,
        "fsyncs_records_file": record_fsyncs,
        "fsyncs_checkpoints_file": checkpoint_fsyncs,
        "fsyncs_per_second": round((record_fsyncs + checkpoint_fsyncs) / seconds),
        "fsync_wall_us_mean": (
            round(sum(run.fsync_ns for run in runs) / (record_fsyncs + checkpoint_fsyncs) / 1000)
            if record_fsyncs + checkpoint_fsyncs
            else None
        ),
        "mean_group_size": round(records / groups, 1) if groups else None,
        "append_p50_us": round(percentile(latencies, 50) / 1000, 1),
        "append_p99_us": round(percentile(latencies, 99) / 1000, 1),
        "wall_us_per_record": round(seconds / records * 1e6, 2),
        "cpu_user_us_per_record": round(sum(run.cpu_user for run in runs) / records * 1e6, 2),
        "cpu_system_us_per_record": round(sum(run.cpu_system for run in runs) / records * 1e6, 2),
        "context_switches_per_record": round(
            sum(run.context_switches for run in runs) / records, 2
        ),
    }


def rate(run: Run) -> float:
    return run.records / run.seconds


def ratio_of(group: list[Run], baseline: list[Run]) -> dict[str, Any]:
    per_round = [rate(mine) / rate(theirs) for mine, theirs in zip(group, baseline, strict=True)]
    return {
        "median": round(statistics.median(per_round), 1),
        "per_round": [round(value, 1) for value in per_round],
    }


def percentile(ordered: Sequence[float], rank: float) -> float:
    index = min(len(ordered) - 1, max(0, round(rank / 100 * len(ordered)) - 1))
    return float(ordered[index])


# Verification ---------------------------------------------------------------


def bench_verification(root: Path, writers: int, count: int, profile: bool) -> dict[str, Any]:
    """Build a log with the writer, then time ``verify_log`` against hashlib alone."""

    per_writer = max(1, count // writers)
    directory = root / "verify"
    signer = generate_signer(ORIGIN)
    batches = prepare_all(writers, per_writer)
    writer = AuditWriter(FileAuditStore(directory), signer, signer.name)
    writer.start()
    build = timed_threads(
        writers, per_writer, lambda thread, index: batches[thread][index], writer.append, None
    )
    writer.close()
    batches.clear()

    store = FileAuditStore(directory)
    verifier = signer.verifier()
    in_memory = store.records_path.read_bytes().split(b"\n")[:-1]
    kinds: dict[str, Callable[[], tuple[int, bytes]]] = {
        "verify_log": lambda: report_of(verify_log(store, verifier)),
        "hashlib": lambda: hashlib_tree(store.records_path),
        "hashlib_in_memory": lambda: (len(in_memory), hashlib_root(hashlib_leaves(in_memory))),
    }
    seconds: dict[str, list[float]] = {kind: [] for kind in kinds}
    results: set[tuple[int, bytes]] = set()
    for round_number in range(VERIFY_ROUNDS):
        order = list(kinds) if round_number % 2 == 0 else list(reversed(kinds))
        for kind in order:
            with measured(None) as measure:
                results.add(kinds[kind]())
            seconds[kind].append(measure.seconds)
    if len(results) != 1:
        raise RuntimeError("verify_log and the hashlib loop disagree on the tree")

    with measured(None) as deep:
        deep_result = report_of(verify_log(store, verifier, deep=True))
    if {deep_result} != results:
        raise RuntimeError("the deep verification found another tree")

    size = build.records
    ratios = [
        (size / mine) / (size / theirs)
        for mine, theirs in zip(seconds["verify_log"], seconds["hashlib"], strict=True)
    ]
    profiled: list[dict[str, Any]] = []
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(verify_log, store, verifier)
        profiled = top_functions(pstats.Stats(profiler))
    return {
        "records": size,
        "bytes": store.records_path.stat().st_size,
        "checkpoints": len(store.checkpoints()),
        "build_records_per_second": round(rate(build)),
        "rounds": VERIFY_ROUNDS,
        "verify_records_per_second": round(size / statistics.median(seconds["verify_log"])),
        "hashlib_records_per_second": round(size / statistics.median(seconds["hashlib"])),
        "hashlib_in_memory_records_per_second": round(
            size / statistics.median(seconds["hashlib_in_memory"])
        ),
        "deep_records_per_second": round(size / deep.seconds),
        "seconds": {
            kind: [round(value, 3) for value in values] for kind, values in seconds.items()
        },
        "ratio": round(statistics.median(ratios), 2),
        "ratio_per_round": [round(value, 2) for value in ratios],
        "profile": profiled,
    }


def report_of(report: VerificationReport) -> tuple[int, bytes]:
    return report.size, report.root


def hashlib_tree(path: Path) -> tuple[int, bytes]:
    """The RFC 6962 tree over the file's lines: every leaf hash and node hash, hashlib alone."""

    sha256 = hashlib.sha256
    with path.open("rb") as handle:
        leaves = [sha256(b"\x00" + line[:-1]).digest() for line in handle]
    return len(leaves), hashlib_root(leaves)


def hashlib_leaves(records: Iterable[bytes]) -> list[bytes]:
    sha256 = hashlib.sha256
    return [sha256(b"\x00" + data).digest() for data in records]


def hashlib_root(level: list[bytes]) -> bytes:
    """Pair the nodes of each level from the left; an odd last node moves up unchanged."""

    sha256 = hashlib.sha256
    if not level:
        return sha256(b"").digest()
    while len(level) > 1:
        paired = [
            sha256(b"\x01" + level[index] + level[index + 1]).digest()
            for index in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


# Profiling ------------------------------------------------------------------


def profile_appends(root: Path, writers: int, records: int) -> dict[str, Any]:
    """cProfile on the writer thread and on every caller thread, for both group variants."""

    per_writer = max(1, records // (ROUNDS * writers))
    return {
        kind: profile_run(root / f"profile-{kind}", writers, per_writer, kind == "group_prepare")
        for kind in ("group_prepare", "group_prepared")
    }


def profile_run(
    directory: Path, writers: int, per_writer: int, prepare_in_loop: bool
) -> dict[str, Any]:
    store = FileAuditStore(directory)
    signer = generate_signer(ORIGIN)
    writer = AuditWriter(store, signer, signer.name)
    writer_profile = cProfile.Profile()
    # The writer thread runs ``writer._run``; wrapping it profiles that thread alone.
    run_writer = writer._run

    def profiled_writer() -> None:
        writer_profile.enable()
        try:
            run_writer()
        finally:
            writer_profile.disable()

    writer._run = profiled_writer  # type: ignore[method-assign]
    writer.start()
    batches = None if prepare_in_loop else prepare_all(writers, per_writer)
    caller_profiles: list[cProfile.Profile] = []
    barrier = threading.Barrier(writers + 1)

    def body(thread: int) -> None:
        profile = cProfile.Profile()
        caller_profiles.append(profile)
        barrier.wait()
        profile.enable()
        for index in range(per_writer):
            writer.append(prepare(thread, index) if batches is None else batches[thread][index])
        profile.disable()

    threads = [threading.Thread(target=body, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    with measured(None) as measure:
        barrier.wait()
        for thread in threads:
            thread.join()
    writer.close()
    shutil.rmtree(directory)

    callers = pstats.Stats(caller_profiles[0])
    for profile in caller_profiles[1:]:
        callers.add(profile)
    return {
        "records_per_second": round(writers * per_writer / measure.seconds),
        "writer": top_functions(pstats.Stats(writer_profile)),
        "callers": top_functions(callers),
    }


def top_functions(stats: pstats.Stats) -> list[dict[str, Any]]:
    """The functions with the most time of their own: calls, own and cumulative seconds."""

    rows = []
    for (filename, line, function), entry in stats.stats.items():  # type: ignore[attr-defined]
        _, calls, own, cumulative, _ = entry
        where = function if filename == "~" else f"{Path(filename).name}:{line}({function})"
        rows.append({"function": where, "calls": calls, "own_s": own, "cumulative_s": cumulative})
    rows.sort(key=lambda row: row["own_s"], reverse=True)
    return [
        row | {"own_s": round(row["own_s"], 3), "cumulative_s": round(row["cumulative_s"], 3)}
        for row in rows[:PROFILE_TOP]
    ]


# Reporting ------------------------------------------------------------------


def machine(root: Path) -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "openssl": ssl.OPENSSL_VERSION,
        "cryptography": cryptography.__version__,
        "temp_dir": str(root),
        "filesystem": filesystem_of(root),
        "load_average_before": load_average(),
    }


def filesystem_of(path: Path) -> str:
    """The device, type and options of the mount holding ``path``, from /proc/mounts."""

    resolved = str(path.resolve())
    best = ("", "unknown", "unknown", "")
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return "unknown"
    for line in mounts:
        device, point, kind, options, *_ = line.split()
        inside = resolved == point or resolved.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best[0]):
            best = (point, device, kind, options)
    point, device, kind, options = best
    return f"{kind} on {device} mounted at {point} ({options})"


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


APPEND_LABELS = {
    "group_prepare": "(a) group commit, prepare_record in the loop",
    "group_prepared": "(b) group commit, records prepared up front",
    "async_prepare": "(c) as (a), 64 coroutines, append_async",
    "async_prepared": "(d) as (b), 64 coroutines, append_async",
    "writer_no_io": "    AuditWriter, in-memory store (no I/O)",
    "fsync_one": "baseline: write+fsync per append, 1 thread",
    "fsync_locked": "baseline: write+fsync per append, N threads",
}

PART_LABELS = {
    "prepare_record": "prepare_record (empty redactor)",
    "prepare_record_50_secrets": "prepare_record (50 registered secrets)",
    "writer_encode_leaf_tree": "writer: encode + leaf hash + tree append",
    "hashlib_leaf_and_node": "hashlib alone: one leaf hash + one node hash",
}


def print_report(report: dict[str, Any]) -> None:
    info = report["machine"]
    print(f"botwarden audit log benchmarks, {report['date']}")
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['kernel']}, Python {info['python']}"
    )
    print(f"{info['openssl']}, cryptography {info['cryptography']}")
    print(f"temp dir: {info['filesystem']}")
    print(
        f"load average before: {info['load_average_before']}, after: {info['load_average_after']}"
    )
    disk = report["disk"]
    print(
        f"disk: {disk['fsyncs_per_second']:,} fsyncs/s (1-byte write+fsync, one thread;"
        f" p50 {disk['p50_us']} µs, p99 {disk['p99_us']} µs)"
    )
    print()
    print_parts(report["parts"])
    print()
    print_appends(report["appends"], report["writers"])
    print()
    print_verification(report["verification"])
    if "profile" in report:
        print()
        print_profile(report["profile"])


def print_parts(parts: dict[str, float]) -> None:
    print("per-record Python cost, one thread, hot loop (µs per record)")
    for name, label in PART_LABELS.items():
        print(f"  {label:<48} {parts[name]:>7.2f}")


def print_appends(appends: dict[str, Any], writers: int) -> None:
    print(
        f"durable appends from {writers} threads: {appends['rounds']} interleaved rounds of"
        f" {appends['records_per_round']:,} records"
        f" (baselines: {appends['baseline_records_per_round']:,})"
    )
    print(
        f"  {'kind':<46} {'rec/s':>8} {'fsyncs':>7} {'group':>6} {'p50 µs':>8} {'p99 µs':>8}"
        f" {'cpu µs':>7} {'cs':>5}"
    )
    for kind, label in APPEND_LABELS.items():
        figure = appends["figures"][kind]
        group = figure["mean_group_size"]
        cpu = figure["cpu_user_us_per_record"] + figure["cpu_system_us_per_record"]
        print(
            f"  {label:<46} {figure['records_per_second']:>8,} {figure['fsyncs']:>7,}"
            f" {group if group is not None else '-':>6} {figure['append_p50_us']:>8.1f}"
            f" {figure['append_p99_us']:>8.1f} {cpu:>7.1f}"
            f" {figure['context_switches_per_record']:>5.1f}"
        )
    print("  (group: records per records-file fsync; cpu: user+system µs per record over all")
    print("   threads; cs: context switches per record)")
    waits = ", ".join(
        f"{kind} {appends['figures'][kind]['fsync_wall_us_mean']:,} µs"
        for kind in APPEND_KINDS
        if appends["figures"][kind]["fsync_wall_us_mean"] is not None
    )
    print(f"  os.fsync as its caller sees it (until it holds the GIL again), mean: {waits}")
    for name, ratio in appends["ratios"].items():
        rounds = ", ".join(f"{value:.1f}" for value in ratio["per_round"])
        print(f"  ratio {name}: {ratio['median']:.1f} (rounds: {rounds})")
    rates = {
        letter: appends["figures"][kind]["records_per_second"]
        for letter, kind in zip(
            "abcd",
            ("group_prepare", "group_prepared", "async_prepare", "async_prepared"),
            strict=True,
        )
    }
    verdicts = ", ".join(f"({letter}) {verdict(rate)}" for letter, rate in rates.items())
    print(f"  goal {GOAL_APPENDS_PER_SECOND:,} records/s: {verdicts}")


def verdict(value: float) -> str:
    return "met" if value >= GOAL_APPENDS_PER_SECOND else "NOT met"


def print_verification(verification: dict[str, Any]) -> None:
    print(
        f"verification of {verification['records']:,} records"
        f" ({verification['bytes'] / 1e6:.1f} MB, {verification['checkpoints']} checkpoints;"
        f" built at {verification['build_records_per_second']:,} records/s),"
        f" {verification['rounds']} interleaved rounds, file read included in both"
    )
    rows = {
        "verify_log (default)": verification["verify_records_per_second"],
        "hashlib alone, same tree, same file": verification["hashlib_records_per_second"],
        "  hashlib alone, records in memory": verification["hashlib_in_memory_records_per_second"],
        "verify_log (deep=True), once": verification["deep_records_per_second"],
    }
    for label, value in rows.items():
        print(f"  {label:<40} {value:>10,} records/s")
    rounds = ", ".join(f"{value:.2f}" for value in verification["ratio_per_round"])
    met = "met" if verification["ratio"] >= GOAL_VERIFY_RATIO else "NOT met"
    print(f"  ratio verify_log/hashlib: {verification['ratio']:.2f} (rounds: {rounds})")
    print(f"  goal at least {GOAL_VERIFY_RATIO}: {met}")
    if verification["profile"]:
        print("  cProfile of verify_log, by own time (s)")
        print_rows(verification["profile"])


def print_profile(profile: dict[str, Any]) -> None:
    for kind, sides in profile.items():
        print(f"cProfile, {APPEND_LABELS[kind].strip()}: {sides['records_per_second']:,} records/s")
        for side in ("writer", "callers"):
            print(f"  {side} thread{'s' if side == 'callers' else ''}, by own time (s)")
            print_rows(sides[side])


def print_rows(rows: list[dict[str, Any]]) -> None:
    print(f"    {'own':>8} {'cumul.':>9} {'calls':>9}  function")
    for row in rows:
        print(
            f"    {row['own_s']:>8.3f} {row['cumulative_s']:>9.3f} {row['calls']:>9,}"
            f"  {row['function']}"
        )


if __name__ == "__main__":
    sys.exit(main())
