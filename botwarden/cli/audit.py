"""`botwarden audit`: read, search, prove, verify and export the tamper-evident audit log.

Every command here only reads: none writes to the log, not even a record of
its own, so that an auditor can run them against a copy.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from botwarden.cli.output import emit_json, json_option
from botwarden.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from botwarden.audit.note import NoteVerifier
    from botwarden.audit.stores.interface import AuditStore
    from botwarden.audit.witnesses.interface import Witness
    from botwarden.config import Settings


@click.group()
def audit() -> None:
    """The tamper-evident audit log: tail, search, verify, prove, key, export."""


def _store(current: Settings) -> AuditStore:
    from botwarden.audit.log import open_store

    return open_store(current)


def _verifier(current: Settings, key_file: Path | None) -> NoteVerifier:
    from botwarden.audit.checkpoint import verifier_key_path
    from botwarden.audit.log import key_path
    from botwarden.audit.note import NoteVerifier

    path = key_file or verifier_key_path(key_path(current))
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        raise NotFoundError(
            f"no audit verifier key at {path}",
            hint="Give the log's public key with --key FILE (from `botwarden audit key`).",
        ) from None
    return NoteVerifier.from_key_string(text)


@audit.command()
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The log's public verifier key, if not the home's own.",
)
@click.option(
    "--deep", is_flag=True, help="Also check that every record is a well-formed canonical record."
)
@click.option("--no-witnesses", is_flag=True, help="Check only the store, not the witness copies.")
@json_option
def verify(key_file: Path | None, deep: bool, no_witnesses: bool, as_json: bool) -> None:
    """Recompute the Merkle tree and check every checkpoint and witness copy.

    Exit 0 when the log is intact, 1 with a description of the first record or
    checkpoint found wrong.
    """

    from botwarden.audit.verify import verify_log
    from botwarden.cli.context import settings

    current = settings()
    verifier = _verifier(current, key_file)
    with ExitStack() as stack:
        store = _store(current)
        stack.callback(store.close)
        witnesses = [] if no_witnesses else _readable_witnesses(current, stack)
        report = verify_log(store, verifier, witnesses=witnesses, deep=deep)

    summary = {
        "intact": True,
        "origin": report.origin,
        "records": report.size,
        "root": base64.b64encode(report.root).decode("ascii"),
        "checkpoints": report.checkpoints,
        "records_after_last_checkpoint": report.uncovered,
        "witnesses_checked": report.witnesses,
        "witnesses_not_readable": report.unreadable_witnesses,
    }
    if as_json:
        emit_json(summary)
        return
    click.echo(f"intact: {report.size} records, {report.checkpoints} signed checkpoints")
    click.echo(f"  origin   {report.origin}")
    click.echo(f"  root     {summary['root']}")
    if report.witnesses:
        click.echo(f"  agrees with witnesses: {', '.join(report.witnesses)}")
    if report.unreadable_witnesses:
        names = ", ".join(report.unreadable_witnesses)
        click.echo(f"  witnesses that cannot be read back: {names}", err=True)
    if report.uncovered:
        click.echo(
            f"  {report.uncovered} newest records are not yet covered by a checkpoint", err=True
        )


def _readable_witnesses(current: Settings, stack: ExitStack) -> list[Witness]:
    from botwarden.audit.witnesses import DatabaseWitness, witnesses_from_config
    from botwarden.errors import StoreError
    from botwarden.store import create_engine

    found: list[Witness] = list(witnesses_from_config(current.audit.witnesses))
    try:
        engine = create_engine(current.database_url)
        found.insert(0, DatabaseWitness(engine, owns_engine=True))
    except StoreError:
        pass
    for witness in found:
        stack.callback(witness.close)
    return found


@audit.command()
@click.argument("seq", type=click.IntRange(0))
@json_option
def prove(seq: int, as_json: bool) -> None:
    """Print what an outside verifier needs to check that record SEQ is in the log.

    The proof is against the newest signed checkpoint that covers the record.
    """

    from botwarden.audit.merkle import inclusion_proof, leaf_hash
    from botwarden.cli.context import settings

    current = settings()
    store = _store(current)
    try:
        covering = [item for item in store.checkpoints() if item.size > seq]
        if not covering:
            raise NotFoundError(
                f"record {seq} is not covered by a signed checkpoint yet",
                hint="A checkpoint follows every few records and seconds; try again shortly.",
            )
        checkpoint = covering[-1]
        records = list(store.read())
    finally:
        store.close()

    size = checkpoint.size
    leaf_hashes = [leaf_hash(data) for data in records[:size]]
    proof = inclusion_proof(leaf_hashes, seq, size)
    document = {
        "leaf_index": seq,
        "tree_size": size,
        "record": base64.b64encode(records[seq]).decode("ascii"),
        "inclusion_proof": [base64.b64encode(item).decode("ascii") for item in proof],
        "checkpoint": checkpoint.note,
    }
    if as_json:
        click.echo(json.dumps(document, indent=2))
        return
    click.echo(f"record {seq} in a tree of {size}, proof of {len(proof)} hashes")
    click.echo(records[seq].decode("utf-8"))
    click.echo(checkpoint.note, nl=False)


@audit.command()
def key() -> None:
    """Print the log's checkpoint verifier key, in signed-note form."""

    from botwarden.cli.context import settings

    click.echo(_verifier(settings(), None).key_string())


@audit.command()
@click.option(
    "-n",
    "--lines",
    "count",
    type=click.IntRange(1),
    default=20,
    show_default=True,
    help="How many of the newest records.",
)
@click.option("-f", "--follow", is_flag=True, help="Keep printing records as they are written.")
@json_option
def tail(count: int, follow: bool, as_json: bool) -> None:
    """Print the newest records."""

    from botwarden.cli.context import settings

    store = _store(settings())
    try:
        size = store.size()
        start = max(0, size - count)
        for data in store.read(start):
            _print_record(data, as_json)
            start += 1
        while follow:
            time.sleep(0.5)
            for data in store.read(start):
                _print_record(data, as_json)
                start += 1
    finally:
        store.close()


@audit.command()
@click.option("--actor", help="kind:id, or an id alone.")
@click.option("--action", help="An action, or a prefix ending in '.' (secret.).")
@click.option("--target", help="A target, or a prefix ending in '*'.")
@click.option("--outcome", type=click.Choice(["allowed", "denied", "failed"]))
@click.option("--since", help="From this UTC time on (2026-12-03 or 2026-12-03T17:00).")
@click.option("--until", help="Before this UTC time.")
@json_option
def search(
    actor: str | None,
    action: str | None,
    target: str | None,
    outcome: str | None,
    since: str | None,
    until: str | None,
    as_json: bool,
) -> None:
    """Find records by actor, action, target, outcome and time."""

    from botwarden.cli.context import settings

    start, end = _moment(since, "--since"), _moment(until, "--until")
    store = _store(settings())
    try:
        for data in store.read():
            record = json.loads(data)
            if _matches(record, actor, action, target, outcome, start, end):
                _print_record(data, as_json)
    finally:
        store.close()


def _matches(
    record: dict[str, Any],
    actor: str | None,
    action: str | None,
    target: str | None,
    outcome: str | None,
    start: str | None,
    end: str | None,
) -> bool:
    who = f"{record['actor']['kind']}:{record['actor']['id']}"
    checks = [
        actor is None or actor in (who, record["actor"]["id"]),
        action is None
        or record["action"] == action
        or (action.endswith(".") and record["action"].startswith(action)),
        target is None
        or record["target"] == target
        or (target.endswith("*") and record["target"].startswith(target[:-1])),
        outcome is None or record["outcome"] == outcome,
        start is None or record["time"] >= start,
        end is None or record["time"] < end,
    ]
    return all(checks)


def _moment(text: str | None, option: str) -> str | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"{option} {text!r} is not a time", hint="Write 2026-12-03 or 2026-12-03T17:00 (UTC)."
        ) from None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _print_record(data: bytes, as_json: bool) -> None:
    if as_json:
        click.echo(data.decode("utf-8"))
        return
    record = json.loads(data)
    who = f"{record['actor']['kind']}:{record['actor']['id']}"
    click.echo(
        f"{record['seq']:>7}  {record['time'][:19]}Z  {record['outcome']:<7}  "
        f"{record['action']:<26} {who:<22} {record['target']}"
    )


@audit.command()
@click.option(
    "--format",
    "export_format",
    type=click.Choice(["jsonl", "syslog", "ocsf"]),
    default="jsonl",
    show_default=True,
    help="jsonl: the stored records; syslog: RFC 5424 lines; ocsf: OCSF API Activity.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE instead of standard output.",
)
def export(export_format: str, output: Path | None) -> None:
    """Export every record for a SIEM or an archive."""

    import io
    import socket

    from botwarden.audit.exporters import export_records
    from botwarden.cli.context import settings

    store = _store(settings())
    try:
        if output is None:
            stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
            count = export_records(
                store.read(), export_format, stream, hostname=socket.gethostname()
            )
            stream.flush()
            stream.detach()
        else:
            with output.open("w", encoding="utf-8", newline="\n") as handle:
                count = export_records(
                    store.read(), export_format, handle, hostname=socket.gethostname()
                )
    finally:
        store.close()
    click.echo(f"exported {count} records", err=True)
