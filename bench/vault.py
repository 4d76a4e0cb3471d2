"""Benchmarks of the vault: one read against a plain select, and re-wrapping after key rotation."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import platform
import random
import secrets as token
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import cryptography
import psycopg
import sqlalchemy
import structlog
from sqlalchemy import Engine, bindparam, func, insert, select, text

from botwarden import audit
from botwarden.audit.log import open_audit_log
from botwarden.config import load_settings
from botwarden.store import environments_table, transaction, utcnow
from botwarden.vault import Keyring, Vault, initialise, open_vault, rotate_environment_key
from botwarden.vault.deployment import prepare_audit
from botwarden.vault.envelope import decrypt_version, encrypt_version
from botwarden.vault.models import secrets_table, versions_table
from botwarden.vault.names import SecretName

# The service's own joined query, used only to split the service's time into
# its SQL and its decryption.
from botwarden.vault.service import READ_VERSION_QUERY as SERVICE_QUERY

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_READS = 10_000
DEFAULT_VERSIONS = 100_000
ROUNDS = 10
WARMUP = 200
SEED_SECRETS_PER_CHUNK = 2_000
VERIFY_SAMPLE = 500
READ_ENVIRONMENT = "test"
REWRAP_ENVIRONMENT = "prod"
ACTOR = "bench"
GOAL_RATIO = 2.0
REWRAP_BATCH_SIZE = 500

# The plain application's way to fetch "the row": one version of one secret, by key.
BASELINE_QUERY = select(versions_table).where(
    versions_table.c.secret_id == bindparam("secret_id"),
    versions_table.c.version == bindparam("version"),
)


def main() -> int:
    arguments = parse_arguments()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    backends = ["sqlite", "postgresql"] if arguments.backend == "both" else [arguments.backend]
    report: dict[str, Any] = {"date": date.today().isoformat(), "backends": {}}
    for backend in backends:
        with deployment(backend, arguments.postgres_url) as vault:
            note(f"{backend}: reads")
            reads = bench_reads(vault, arguments.reads)
            note(f"{backend}: re-wrap of {arguments.versions:,} versions")
            rewrap = bench_rewrap(vault, arguments.versions)
            report["backends"][backend] = {
                "database": database_version(vault.engine),
                "reads": reads,
                "rewrap": rewrap,
            }
    report["machine"] = machine(report["backends"])

    if arguments.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument(
        "--reads", type=positive, default=DEFAULT_READS, help="timed reads of each kind"
    )
    parser.add_argument(
        "--versions", type=positive, default=DEFAULT_VERSIONS, help="versions to re-wrap"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BOTWARDEN_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="a PostgreSQL database to connect to while creating and dropping the bench database",
    )
    return parser.parse_args()


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Deployments ----------------------------------------------------------------


@contextmanager
def deployment(backend: str, postgres_url: str) -> Iterator[Vault]:
    """A new deployment in a temporary home, on SQLite or on a PostgreSQL database of its own."""

    with (
        tempfile.TemporaryDirectory(prefix="botwarden-bench-") as home,
        database(backend, postgres_url, Path(home)) as url,
    ):
        settings = load_settings({"BOTWARDEN_HOME": home, "BOTWARDEN_DATABASE_URL": url})
        prepare_audit(settings)
        log = open_audit_log(settings)
        audit.install(log)
        try:
            initialise(settings)
            vault = open_vault(settings)
            try:
                yield vault
            finally:
                vault.engine.dispose()
        finally:
            audit.uninstall()
            log.close()


@contextmanager
def database(backend: str, postgres_url: str, home: Path) -> Iterator[str]:
    """The URL of an empty database, dropped afterwards if it was created on a server."""

    if backend == "sqlite":
        yield f"sqlite:///{home / 'bench.db'}"
        return

    name = f"bench_vault_{token.token_hex(6)}"
    admin = sqlalchemy.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except sqlalchemy.exc.OperationalError as error:
        admin.dispose()
        raise SystemExit(f"cannot create a database through {admin.url!r}: {error.orig}") from None

    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def database_version(engine: Engine) -> str:
    if engine.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with engine.connect() as connection:
        return f"PostgreSQL {connection.execute(text('SHOW server_version')).scalar()}"


# Reads ----------------------------------------------------------------------


def bench_reads(vault: Vault, reads: int) -> dict[str, Any]:
    """Time ``Vault.read`` against a plain Core select of the same row, in interleaved rounds."""

    name = SecretName(READ_ENVIRONMENT, "erp/login")
    fields = {"username": "robot-7", "password": token.token_urlsafe(24), "host": "erp.internal"}
    written = vault.put(name, fields, actor=ACTOR).version
    kinds = read_operations(vault, name, written)

    for operation in kinds.values():
        for _ in range(WARMUP):
            operation()

    per_round = max(1, reads // ROUNDS)
    samples: dict[str, list[list[int]]] = {kind: [] for kind in kinds}
    for round_number in range(ROUNDS):
        order = list(kinds) if round_number % 2 == 0 else list(reversed(kinds))
        for kind in order:
            samples[kind].append(timed_calls(kinds[kind], per_round))

    if {key: value.reveal() for key, value in vault.read(name).fields.items()} != fields:
        raise RuntimeError("the secret read back differs from the one written")

    figures = {kind: summarise(rounds) for kind, rounds in samples.items()}
    ratios = [
        statistics.mean(service) / statistics.mean(baseline)
        for service, baseline in zip(samples["service"], samples["baseline"], strict=True)
    ]
    beyond_select = [
        (statistics.mean(service) - statistics.mean(query)) / 1000
        for service, query in zip(samples["service"], samples["service_query"], strict=True)
    ]
    return {
        "reads_per_kind": per_round * ROUNDS,
        "rounds": ROUNDS,
        "figures": figures,
        "ratio": round(statistics.median(ratios), 3),
        "ratio_per_round": [round(ratio, 3) for ratio in ratios],
        "service_beyond_its_select_us": round(statistics.median(beyond_select), 2),
    }


def read_operations(vault: Vault, name: SecretName, version: int) -> dict[str, Callable[[], Any]]:
    """The timed operations: the baseline, the service, and the service's two parts alone."""

    engine = vault.engine
    with transaction(engine) as connection:
        row = connection.execute(
            SERVICE_QUERY, {"environment": name.environment, "path": name.path, "version": None}
        ).one()
        secret_id = connection.execute(
            select(secrets_table.c.id).where(
                secrets_table.c.environment_id == row.environment_id,
                secrets_table.c.path == name.path,
            )
        ).scalar_one()
        key = vault.keyring.environment_key(
            connection, row.environment_id, name.environment, row.key_version
        )
    by_key = {"secret_id": secret_id, "version": version}
    by_name = {"environment": name.environment, "path": name.path, "version": None}

    # NOTE: the baseline follows the service's own transaction pattern (check out a
    # connection, BEGIN, select, COMMIT), so that the ratio compares the queries and
    # the decryption, not two ways of using the pool.
    def baseline() -> Any:
        with engine.connect() as connection, connection.begin():
            return connection.execute(BASELINE_QUERY, by_key).first()

    def service_query() -> Any:
        with transaction(engine) as connection:
            return connection.execute(SERVICE_QUERY, by_name).first()

    def decrypt() -> Any:
        return decrypt_version(
            key, name.environment, name.path, version, row.wrapped_data_key, row.ciphertext
        )

    def service_audited() -> Any:
        # What the CLI and the API do: read, then record the read durably
        # (one synchronous write of its own, since nothing else is appending).
        value = vault.read(name)
        details = {"version": value.version}
        audit.record("secret.reveal", actor=ACTOR, target=str(name), details=details)
        return value

    return {
        "baseline": baseline,
        "service": lambda: vault.read(name),
        "service_query": service_query,
        "decrypt": decrypt,
        "service_audited": service_audited,
    }


def timed_calls(operation: Callable[[], Any], count: int) -> list[int]:
    """Nanoseconds taken by each of ``count`` calls."""

    gc.collect()
    clock = time.perf_counter_ns
    taken = []
    for _ in range(count):
        start = clock()
        operation()
        taken.append(clock() - start)
    return taken


def summarise(rounds: list[list[int]]) -> dict[str, Any]:
    """Per-operation microseconds: the median of the round means, then p50 and p99 of all calls."""

    everything = sorted(value for values in rounds for value in values)
    return {
        "mean_us_per_round": [round(statistics.mean(values) / 1000, 2) for values in rounds],
        "median_of_round_means_us": round(
            statistics.median(statistics.mean(values) for values in rounds) / 1000, 2
        ),
        "p50_us": round(percentile(everything, 50) / 1000, 2),
        "p99_us": round(percentile(everything, 99) / 1000, 2),
    }


def percentile(ordered: list[int], rank: float) -> float:
    index = min(len(ordered) - 1, max(0, round(rank / 100 * len(ordered)) - 1))
    return float(ordered[index])


# Re-wrapping ----------------------------------------------------------------


def bench_rewrap(vault: Vault, count: int) -> dict[str, Any]:
    """Seed ``count`` versions, rotate the environment key, and check a sample still opens."""

    started = time.perf_counter()
    plan = seed_versions(vault, REWRAP_ENVIRONMENT, count)
    seeded = time.perf_counter() - started

    note(f"  seeded in {seeded:.1f} s; rotating")
    batch_ends: list[float] = []
    started = time.perf_counter()
    rotation = rotate_environment_key(
        vault.engine,
        vault.keyring,
        REWRAP_ENVIRONMENT,
        actor=ACTOR,
        batch_size=REWRAP_BATCH_SIZE,
        progress=lambda _done, _total: batch_ends.append(time.perf_counter()),
    )
    rotated = time.perf_counter() - started
    batches = [(end - start) * 1000 for start, end in pairwise([started, *batch_ends])]

    started = time.perf_counter()
    verify_rotation(vault, plan, rotation.key_version, count)
    verified = time.perf_counter() - started

    return {
        "versions": count,
        "secrets": len(plan),
        "batch_size": REWRAP_BATCH_SIZE,
        "batch_ms_median": round(statistics.median(batches), 1),
        "batch_ms_max": round(max(batches), 1),
        "seed_seconds": round(seeded, 2),
        "rewrap_seconds": round(rotated, 2),
        "versions_per_second": round(rotation.rewrapped / rotated),
        "rewrapped": rotation.rewrapped,
        "retired_key_versions": rotation.retired_key_versions,
        "verified_reads": min(VERIFY_SAMPLE, count),
        "verify_seconds": round(verified, 2),
    }


def version_counts(count: int) -> list[int]:
    """How many versions each seeded secret has: 1, 2, 3, 1, 2, 3… adding up to ``count``."""

    plan: list[int] = []
    remaining = count
    while remaining:
        versions = min(remaining, 1 + len(plan) % 3)
        plan.append(versions)
        remaining -= versions
    return plan


def seed_fields(index: int, version: int) -> dict[str, str]:
    return {
        "username": f"robot-{index}",
        "password": f"pw-{index}-{version}-{index * 7919 % 104729:06d}",
        "host": "erp.example.internal",
    }


def seed_path(index: int) -> str:
    return f"robots/r{index:06d}/login"


def seed_versions(vault: Vault, environment: str, count: int) -> list[int]:
    """Insert secrets and their versions in chunks, each encrypted the way the vault does it."""

    plan = version_counts(count)
    with transaction(vault.engine) as connection:
        environment_id = environment_id_of(connection, environment)
        key_version = vault.keyring.current_version(connection, environment_id)
        key = vault.keyring.environment_key(connection, environment_id, environment, key_version)

    for first in range(0, len(plan), SEED_SECRETS_PER_CHUNK):
        chunk = range(first, min(first + SEED_SECRETS_PER_CHUNK, len(plan)))
        with transaction(vault.engine, write=True) as connection:
            secret_ids = insert_secrets(connection, environment_id, chunk, plan)
            rows = []
            for index, secret_id in zip(chunk, secret_ids, strict=True):
                for version in range(1, plan[index] + 1):
                    wrapped, ciphertext = encrypt_version(
                        key, environment, seed_path(index), version, seed_fields(index, version)
                    )
                    rows.append(
                        version_row(secret_id, environment_id, version, key_version, wrapped)
                        | {"ciphertext": ciphertext}
                    )
            connection.execute(insert(versions_table), rows)
    return plan


def environment_id_of(connection: sqlalchemy.Connection, environment: str) -> int:
    return int(
        connection.execute(
            select(environments_table.c.id).where(environments_table.c.name == environment)
        ).scalar_one()
    )


def insert_secrets(
    connection: sqlalchemy.Connection, environment_id: int, chunk: range, plan: list[int]
) -> list[int]:
    now = utcnow()
    rows = [
        {
            "environment_id": environment_id,
            "path": seed_path(index),
            "current_version": plan[index],
            "next_version": plan[index] + 1,
            "created_at": now,
            "created_by": ACTOR,
            "updated_at": now,
            "last_rotated_at": now,
        }
        for index in chunk
    ]
    statement = insert(secrets_table).returning(secrets_table.c.id, sort_by_parameter_order=True)
    return list(connection.execute(statement, rows).scalars())


def version_row(
    secret_id: int, environment_id: int, version: int, key_version: int, wrapped: bytes
) -> dict[str, Any]:
    return {
        "secret_id": secret_id,
        "environment_id": environment_id,
        "version": version,
        "state": "active",
        "key_version": key_version,
        "wrapped_data_key": wrapped,
        "created_at": utcnow(),
        "created_by": ACTOR,
    }


def verify_rotation(vault: Vault, plan: list[int], key_version: int, count: int) -> None:
    """Every version is under the new key, and a sample decrypts to what was written."""

    with transaction(vault.engine) as connection:
        outdated = connection.execute(
            select(func.count()).where(
                versions_table.c.environment_id
                == environment_id_of(connection, REWRAP_ENVIRONMENT),
                versions_table.c.key_version != key_version,
            )
        ).scalar_one()
    if outdated:
        raise RuntimeError(f"{outdated} versions are not under key version {key_version}")

    fresh = Vault(vault.engine, Keyring(vault.keyring.root))
    chooser = random.Random(20261203)  # noqa: S311 - picks rows to check, not a secret
    for _ in range(min(VERIFY_SAMPLE, count)):
        index = chooser.randrange(len(plan))
        version = chooser.randint(1, plan[index])
        value = fresh.read(SecretName(REWRAP_ENVIRONMENT, seed_path(index)), version)
        if {key: field.reveal() for key, field in value.fields.items()} != seed_fields(
            index, version
        ):
            raise RuntimeError(f"version {version} of secret {index} did not decrypt as written")


# Reporting ------------------------------------------------------------------


def machine(backends: dict[str, Any]) -> dict[str, Any]:
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
        "sqlite": sqlite3.sqlite_version,
        "postgresql": backends.get("postgresql", {}).get("database"),
        "sqlalchemy": sqlalchemy.__version__,
        "psycopg": psycopg.__version__,
        "cryptography": cryptography.__version__,
    }


READ_LABELS = {
    "baseline": "baseline: Core select of the version row",
    "service": "service: Vault.read (select + decrypt)",
    "service_query": "  part: the service's joined select alone",
    "decrypt": "  part: decrypt_version alone, hot loop",
    "service_audited": "service + its durable audit record",
}


def print_report(report: dict[str, Any]) -> None:
    info = report["machine"]
    print(f"botwarden vault benchmarks, {report['date']}")
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['kernel']}")
    print(
        f"Python {info['python']}, SQLite {info['sqlite']}, {info['postgresql'] or 'no PostgreSQL'}"
        f", SQLAlchemy {info['sqlalchemy']}, psycopg {info['psycopg']}"
        f", cryptography {info['cryptography']}"
    )
    for backend, results in report["backends"].items():
        print()
        print_reads(backend, results["reads"])
        print()
        print_rewrap(backend, results["rewrap"])


def print_reads(backend: str, reads: dict[str, Any]) -> None:
    print(
        f"[{backend}] read one secret: {reads['reads_per_kind']:,} calls of each kind"
        f" in {reads['rounds']} interleaved rounds (µs per call)"
    )
    print(f"  {'operation':<44} {'median':>8} {'p50':>8} {'p99':>8}")
    for kind, label in READ_LABELS.items():
        figure = reads["figures"][kind]
        print(
            f"  {label:<44} {figure['median_of_round_means_us']:>8.1f}"
            f" {figure['p50_us']:>8.1f} {figure['p99_us']:>8.1f}"
        )
    print(
        f"  service minus its select (decryption and result, in place):"
        f" {reads['service_beyond_its_select_us']:.1f}"
    )
    verdict = "met" if reads["ratio"] <= GOAL_RATIO else "NOT met"
    rounds = ", ".join(f"{ratio:.2f}" for ratio in reads["ratio_per_round"])
    print(f"  ratio service/baseline: {reads['ratio']:.2f} (rounds: {rounds})")
    print(f"  goal within {GOAL_RATIO:g}x: {verdict}")


def print_rewrap(backend: str, rewrap: dict[str, Any]) -> None:
    print(
        f"[{backend}] re-wrap after an environment key rotation:"
        f" {rewrap['versions']:,} versions of {rewrap['secrets']:,} secrets"
    )
    print(f"  seeding (encrypt + bulk insert)   {rewrap['seed_seconds']:>8.2f} s")
    print(
        f"  rotate_environment_key            {rewrap['rewrap_seconds']:>8.2f} s"
        f"  ({rewrap['versions_per_second']:,} versions/s)"
    )
    print(
        f"  batches of {rewrap['batch_size']}: median {rewrap['batch_ms_median']:.1f} ms,"
        f" slowest {rewrap['batch_ms_max']:.1f} ms"
    )
    print(
        f"  verified: all under the new key; {rewrap['verified_reads']} sampled reads decrypt"
        f" ({rewrap['verify_seconds']:.2f} s)"
    )


if __name__ == "__main__":
    sys.exit(main())
