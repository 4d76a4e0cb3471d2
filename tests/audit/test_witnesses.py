"""Witnesses of the audit log: a file, syslog, HTTP, the application database, the publisher."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import ssl
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from botwarden.audit.models import audit_witness_table
from botwarden.audit.witnesses import (
    DatabaseWitness,
    FileWitness,
    SyslogWitness,
    Witness,
    WitnessError,
    WitnessPublisher,
    witness_publisher_for,
    witnesses_from_config,
)
from botwarden.audit.witnesses.http import HttpWitness
from botwarden.config import Settings
from botwarden.errors import InvalidInputError
from botwarden.store import create_engine, upgrade

ORIGIN = "botwarden.audit/5f0c2a9e81d34b70"
WHEN = datetime(2026, 12, 3, 17, 0, 0, 123456, tzinfo=UTC)


def note(size: int, origin: str = ORIGIN, signer: str = "test-key") -> str:
    """A checkpoint note shaped like the real ones; witnesses treat it as opaque text."""

    root = base64.b64encode(hashlib.sha256(f"{origin}/{size}".encode()).digest()).decode()
    signature = base64.b64encode(hashlib.sha512(f"{signer}{size}".encode()).digest()[:68])
    return f"{origin}\n{size}\n{root}\n\n— {signer} {signature.decode()}\n"


def size_of(text: str) -> int:
    return int(text.split("\n")[1])


def wait_for(condition: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not hold in time")
        time.sleep(0.01)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- a real HTTP witness server ------------------------------------------------------------


class WitnessServer(ThreadingHTTPServer):
    """An HTTP witness: keeps POSTed checkpoints and answers GET ?origin= with the newest."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), WitnessHandler)
        self.received: list[dict[str, Any]] = []
        self.headers_seen: list[dict[str, str]] = []
        self.status = 204
        self.delay = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/checkpoints"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (a refused TLS handshake, say) are not errors here."""


class WitnessHandler(BaseHTTPRequestHandler):
    server: WitnessServer

    def do_POST(self) -> None:
        time.sleep(self.server.delay)
        body = self.rfile.read(int(self.headers["content-length"]))
        self.server.headers_seen.append(dict(self.headers))
        if 200 <= self.server.status < 300:
            self.server.received.append(json.loads(body))
        self.send_response(self.server.status)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        origin = parse_qs(urlsplit(self.path).query).get("origin", [""])[0]
        held = [entry for entry in self.server.received if entry["origin"] == origin]
        if not held:
            self.send_response(404)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        body = json.dumps(max(held, key=lambda entry: entry["size"])).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def server() -> Iterator[WitnessServer]:
    running = WitnessServer()
    thread = threading.Thread(target=running.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()


# --- file ----------------------------------------------------------------------------------


def test_file_witness_appends_one_json_line_per_checkpoint_in_a_private_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "witness.jsonl"
    witness = FileWitness(path)

    witness.publish(ORIGIN, 3, note(3))
    witness.publish(ORIGIN, 5, note(5))

    lines = path.read_bytes().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"origin": ORIGIN, "size": 3, "note": note(3)},
        {"origin": ORIGIN, "size": 5, "note": note(5)},
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert witness.name == f"file:{path}"


def test_file_witness_latest_is_the_greatest_size_of_that_origin(tmp_path: Path) -> None:
    witness = FileWitness(tmp_path / "witness.jsonl")
    other = "botwarden.audit/other"

    assert witness.latest(ORIGIN) is None
    for size in (4, 9, 2):
        witness.publish(ORIGIN, size, note(size))
    witness.publish(other, 50, note(50, other))
    witness.publish(ORIGIN, 9, note(9, signer="rewritten"))

    assert witness.latest(ORIGIN) == note(9)
    assert witness.latest(other) == note(50, other)
    assert witness.latest("botwarden.audit/none") is None


def test_file_witness_ignores_a_torn_last_line_but_not_a_corrupt_one(tmp_path: Path) -> None:
    path = tmp_path / "witness.jsonl"
    witness = FileWitness(path)
    witness.publish(ORIGIN, 3, note(3))

    with path.open("ab") as torn:
        torn.write(b'{"origin":"' + ORIGIN.encode() + b'","size":90')
    assert witness.latest(ORIGIN) == note(3)

    with path.open("ab") as corrupt:
        corrupt.write(b"\n")
    with pytest.raises(WitnessError, match=r"line 2 of the witness file .* is not a checkpoint"):
        witness.latest(ORIGIN)


def test_file_witness_does_not_create_a_missing_directory(tmp_path: Path) -> None:
    witness = FileWitness(tmp_path / "unmounted" / "witness.jsonl")

    with pytest.raises(WitnessError, match="cannot append to the witness file"):
        witness.publish(ORIGIN, 1, note(1))

    assert not (tmp_path / "unmounted").exists()


def test_file_witness_does_not_follow_a_symlink_planted_at_its_path(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("")
    (tmp_path / "witness.jsonl").symlink_to(elsewhere)
    witness = FileWitness(tmp_path / "witness.jsonl")

    with pytest.raises(WitnessError, match="cannot append"):
        witness.publish(ORIGIN, 1, note(1))
    with pytest.raises(WitnessError, match="cannot read"):
        witness.latest(ORIGIN)

    assert elsewhere.read_text() == ""


def test_file_witness_needs_an_absolute_path() -> None:
    with pytest.raises(InvalidInputError, match="absolute path"):
        FileWitness(Path("witness.jsonl"))


# --- syslog --------------------------------------------------------------------------------


def parse_checkpoint_message(message: bytes) -> dict[str, Any]:
    text = message.decode("utf-8")
    header, _, body = text.partition("] \ufeff")
    pri_version, timestamp, hostname, app, procid, msgid, sd = header.split(" ", 6)
    return {
        "pri": pri_version,
        "timestamp": timestamp,
        "hostname": hostname,
        "app": app,
        "procid": procid,
        "msgid": msgid,
        "sd": sd + "]",
        "body": json.loads(body),
    }


def test_syslog_witness_sends_one_rfc5424_message_over_udp() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(5)
        port = listener.getsockname()[1]
        witness = SyslogWitness(("127.0.0.1", port), hostname="bw1", clock=lambda: WHEN)

        witness.publish(ORIGIN, 12, note(12))
        message, _ = listener.recvfrom(65535)

    parsed = parse_checkpoint_message(message)
    assert b"\n" not in message
    assert parsed == {
        "pri": "<85>1",
        "timestamp": "2026-12-03T17:00:00.123456Z",
        "hostname": "bw1",
        "app": "botwarden",
        "procid": str(os.getpid()),
        "msgid": "checkpoint",
        "sd": f'[checkpoint@32473 origin="{ORIGIN}" size="12"]',
        "body": {"note": note(12), "origin": ORIGIN, "size": 12},
    }
    assert witness.name == f"syslog:udp://127.0.0.1:{port}"
    assert witness.latest(ORIGIN) is None


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory whose path fits in a unix socket address (108 bytes)."""

    with tempfile.TemporaryDirectory(prefix="bw-", dir="/tmp") as name:
        yield Path(name)


def test_syslog_witness_sends_to_a_local_unix_datagram_socket(short_dir: Path) -> None:
    path = short_dir / "log"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(path))
        listener.settimeout(5)
        witness = SyslogWitness(path)

        witness.publish(ORIGIN, 7, note(7))
        message = listener.recv(65535)

    assert parse_checkpoint_message(message)["body"]["note"] == note(7)
    assert witness.name == f"syslog:unix://{path}"


def test_syslog_witness_without_a_socket_raises(short_dir: Path) -> None:
    witness = SyslogWitness(short_dir / "missing")

    with pytest.raises(WitnessError, match="cannot send to syslog:unix://"):
        witness.publish(ORIGIN, 7, note(7))


# --- HTTP ----------------------------------------------------------------------------------


def test_http_witness_posts_the_checkpoint_as_json(server: WitnessServer) -> None:
    witness = HttpWitness(server.url)

    witness.publish(ORIGIN, 21, note(21))
    witness.close()

    assert server.received == [{"origin": ORIGIN, "size": 21, "note": note(21)}]
    assert server.headers_seen[0]["content-type"] == "application/json"
    assert witness.latest(ORIGIN) is None


def test_http_witness_reads_back_through_its_read_url(server: WitnessServer) -> None:
    witness = HttpWitness(server.url, read_url=server.url)

    assert witness.latest(ORIGIN) is None
    witness.publish(ORIGIN, 8, note(8))
    witness.publish(ORIGIN, 30, note(30))

    assert witness.latest(ORIGIN) == note(30)
    witness.close()


def test_http_witness_refusal_and_absence_raise(server: WitnessServer) -> None:
    server.status = 503
    witness = HttpWitness(server.url)
    gone = HttpWitness(f"http://127.0.0.1:{free_port()}/checkpoints", timeout=2)

    with pytest.raises(WitnessError, match="refused the checkpoint with HTTP 503"):
        witness.publish(ORIGIN, 1, note(1))
    with pytest.raises(WitnessError, match="is unreachable"):
        gone.publish(ORIGIN, 1, note(1))


def test_https_witness_trusts_only_the_configured_ca(tmp_path: Path) -> None:
    from botwarden.crypto.tls import create_deployment_certificates

    certificates = create_deployment_certificates(tmp_path / "tls")
    running = WitnessServer()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates.server_cert, certificates.server_key)
    running.socket = context.wrap_socket(running.socket, server_side=True)
    threading.Thread(target=running.serve_forever, args=(0.05,), daemon=True).start()
    url = f"https://127.0.0.1:{running.server_address[1]}/checkpoints"

    try:
        HttpWitness(url, ca_file=certificates.ca_cert).publish(ORIGIN, 4, note(4))
        with pytest.raises(WitnessError, match="is unreachable"):
            HttpWitness(url, timeout=2).publish(ORIGIN, 5, note(5))
    finally:
        running.shutdown()
        running.server_close()

    assert [entry["size"] for entry in running.received] == [4]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://witness.example/checkpoints", "must be reached over https://"),
        ("https://user:pw@witness.example/", "must not hold a user name or password"),
        ("ftp://witness.example/", "must start with https://"),
        ("https:///path", "must start with https://"),
        ("https://witness.example:99999/", "malformed"),
    ],
)
def test_unsafe_http_witness_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message) as refused:
        HttpWitness(url)

    assert "pw" not in refused.value.message


def test_an_http_witness_name_leaves_out_the_query() -> None:
    witness = HttpWitness("https://witness.example:8443/in?token=CANARY-token")

    assert witness.name == "https://witness.example:8443/in"
    witness.close()


# --- application database ------------------------------------------------------------------


@pytest.fixture
def database(settings: Settings) -> Iterator[DatabaseWitness]:
    engine = create_engine(settings.database_url)
    upgrade(engine)
    yield DatabaseWitness(engine, clock=lambda: WHEN)
    engine.dispose()


def held_rows(witness: DatabaseWitness) -> list[tuple[str, int, str, datetime]]:
    with witness.engine.connect() as connection:
        rows = connection.execute(select(audit_witness_table).order_by("origin")).all()
    return [(row.origin, row.size, row.note, row.updated_at) for row in rows]


def test_database_witness_keeps_the_newest_checkpoint_per_origin(
    database: DatabaseWitness,
) -> None:
    other = "botwarden.audit/other"

    assert database.latest(ORIGIN) is None
    database.publish(ORIGIN, 5, note(5))
    database.publish(ORIGIN, 8, note(8))
    database.publish(other, 2, note(2, other))

    assert database.latest(ORIGIN) == note(8)
    assert held_rows(database) == [
        (ORIGIN, 8, note(8), WHEN),
        (other, 2, note(2, other), WHEN),
    ]


def test_database_witness_never_lowers_the_stored_size(database: DatabaseWitness) -> None:
    database.publish(ORIGIN, 100, note(100))

    with capture_logs() as logs:
        database.publish(ORIGIN, 40, note(40))
        database.publish(ORIGIN, 100, note(100, signer="rewritten"))

    assert database.latest(ORIGIN) == note(100)
    assert [(entry["event"], entry["log_level"]) for entry in logs] == [
        ("audit_witness_older_checkpoint", "warning")
    ]
    assert logs[0]["held_size"] == 100 and logs[0]["offered_size"] == 40


def test_database_witness_holds_sizes_beyond_32_bits(database: DatabaseWitness) -> None:
    database.publish(ORIGIN, 2**40, note(2**40))

    assert database.latest(ORIGIN) == note(2**40)


def test_database_witness_without_its_table_raises(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    witness = DatabaseWitness(engine, owns_engine=True)

    with pytest.raises(WitnessError, match="cannot keep the checkpoint"):
        witness.publish(ORIGIN, 1, note(1))
    with pytest.raises(WitnessError, match="cannot be read"):
        witness.latest(ORIGIN)
    witness.close()


# --- the publisher -------------------------------------------------------------------------


class RecordingWitness(Witness):
    """A witness that remembers what it was given, for tests of the publisher alone."""

    def __init__(self, name: str = "recording") -> None:
        self.name = name
        self.received: list[int] = []

    def publish(self, origin: str, size: int, note: str) -> None:
        self.received.append(size)

    def latest(self, origin: str) -> str | None:
        return None


def test_publisher_delivers_each_checkpoint_to_every_witness(tmp_path: Path) -> None:
    recording = RecordingWitness()
    file = FileWitness(tmp_path / "witness.jsonl")
    publisher = WitnessPublisher([recording, file], retry_interval=0.05)

    publisher.publish(ORIGIN, 3, note(3))
    wait_for(lambda: recording.received == [3])
    publisher.publish(ORIGIN, 6, note(6))
    missing = publisher.close(timeout=5)

    assert missing == []
    assert recording.received == [3, 6]
    assert file.latest(ORIGIN) == note(6)


def test_an_unreachable_witness_raises_an_alert_and_is_retried_until_it_takes_the_newest(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "mount"
    witness = FileWitness(directory / "witness.jsonl")
    healthy = RecordingWitness()

    with capture_logs() as logs:
        publisher = WitnessPublisher([witness, healthy], retry_interval=0.05)
        publisher.publish(ORIGIN, 1, note(1))
        wait_for(lambda: any(entry["event"] == "audit_witness_unreachable" for entry in logs))
        publisher.publish(ORIGIN, 2, note(2))
        publisher.publish(ORIGIN, 3, note(3))
        wait_for(lambda: healthy.received[-1:] == [3])
        assert publisher.undelivered() == [witness.name]

        directory.mkdir()
        missing = publisher.close(timeout=5)

    alerts = [entry for entry in logs if entry["event"] == "audit_witness_unreachable"]
    assert missing == []
    assert alerts[0]["log_level"] == "error"
    assert alerts[0]["witness"] == witness.name
    assert "cannot append to the witness file" in alerts[0]["reason"]
    assert [json.loads(line)["size"] for line in witness.path.read_text().splitlines()] == [3]
    assert any(entry["event"] == "audit_witness_recovered" for entry in logs)


def test_the_log_never_waits_on_a_slow_witness(server: WitnessServer) -> None:
    server.delay = 0.5
    slow = HttpWitness(server.url)
    fast = RecordingWitness()
    publisher = WitnessPublisher([slow, fast], retry_interval=0.05)

    started = time.monotonic()
    for size in range(1, 6):
        publisher.publish(ORIGIN, size, note(size))
    elapsed = time.monotonic() - started
    wait_for(lambda: fast.received[-1:] == [5], timeout=0.5)
    missing = publisher.close(timeout=5)

    assert elapsed < 0.05
    assert missing == []
    assert server.received[-1]["size"] == 5
    assert len(server.received) <= 2


def test_close_reports_witnesses_that_never_took_the_checkpoint(tmp_path: Path) -> None:
    witness = FileWitness(tmp_path / "missing" / "witness.jsonl")
    publisher = WitnessPublisher([witness], retry_interval=0.05)

    with capture_logs() as logs:
        publisher.publish(ORIGIN, 1, note(1))
        started = time.monotonic()
        missing = publisher.close(timeout=0.3)

    assert missing == [witness.name]
    assert time.monotonic() - started < 1.0
    assert {
        "event": "audit_witness_undelivered",
        "log_level": "error",
        "witnesses": missing,
    } in logs
    assert publisher.close(timeout=0.1) == missing
    with pytest.raises(RuntimeError, match="closed"):
        publisher.publish(ORIGIN, 2, note(2))


def test_a_witness_that_crashes_is_an_alert_not_a_dead_thread() -> None:
    class Broken(RecordingWitness):
        def publish(self, origin: str, size: int, note: str) -> None:
            if len(self.received) < 2:
                self.received.append(-1)
                raise KeyError("bug")
            super().publish(origin, size, note)

    broken = Broken("broken")
    with capture_logs() as logs:
        publisher = WitnessPublisher([broken], retry_interval=0.01)
        publisher.publish(ORIGIN, 4, note(4))
        missing = publisher.close(timeout=5)

    assert missing == []
    assert broken.received == [-1, -1, 4]
    assert [entry["reason"] for entry in logs if entry["log_level"] == "error"] == [
        "KeyError",
        "KeyError",
    ]


# --- configuration -------------------------------------------------------------------------


def test_witnesses_from_config_understands_each_kind(tmp_path: Path) -> None:
    specs: list[str | dict[str, object]] = [
        f"file:{tmp_path}/a.jsonl",
        f"file://{tmp_path}/b.jsonl",
        "syslog:udp://127.0.0.1:5514",
        "syslog:udp://[::1]",
        "syslog:unix:///dev/log",
        "https://witness.example/checkpoints",
        {"type": "file", "path": f"{tmp_path}/c.jsonl"},
        {"type": "syslog", "address": "udp://collector.example", "hostname": "bw1"},
        {
            "type": "http",
            "url": "https://w2.example/in",
            "timeout": 3,
            "read_url": "https://w2.example/out",
        },
    ]

    witnesses = witnesses_from_config(specs)

    assert [witness.name for witness in witnesses] == [
        f"file:{tmp_path}/a.jsonl",
        f"file:{tmp_path}/b.jsonl",
        "syslog:udp://127.0.0.1:5514",
        "syslog:udp://[::1]:514",
        "syslog:unix:///dev/log",
        "https://witness.example/checkpoints",
        f"file:{tmp_path}/c.jsonl",
        "syslog:udp://collector.example:514",
        "https://w2.example/in",
    ]
    assert isinstance(witnesses[7], SyslogWitness) and witnesses[7].hostname == "bw1"
    assert (
        isinstance(witnesses[8], HttpWitness) and witnesses[8].read_url == "https://w2.example/out"
    )
    for witness in witnesses:
        witness.close()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("s3://bucket/key", "unknown witness 's3://bucket/key'"),
        ("ftp://x/y?token=CANARY", "unknown witness 'ftp://x/y'"),
        ("file:witness.jsonl", "must be an absolute path"),
        ("file://host/witness.jsonl", "a local path, without a host"),
        ("syslog:tcp://127.0.0.1:514", "must be udp://HOST\\[:PORT\\] or unix:///PATH"),
        ("syslog:udp://", "is not a syslog host and port"),
        ("syslog:udp://127.0.0.1:99999", "is not a syslog host and port"),
        ("syslog:udp://127.0.0.1:514/path", "is not a syslog host and port"),
        ("syslog:unix://dev/log", "the syslog socket must be an absolute path"),
        ("http://witness.example/in", "must be reached over https://"),
        ({"path": "/x"}, "needs a type: file, syslog or http"),
        (
            {"type": "file", "path": "/x", "mode": "0644"},
            "unknown option 'mode' for a file witness",
        ),
        ({"type": "file"}, "option 'path' must be a non-empty text"),
        ({"type": "http", "url": "https://w.example/", "timeout": 0}, "positive number"),
        ({"type": "http", "url": "https://w.example/", "timeout": True}, "positive number"),
        ({"type": "http", "url": "https://w.example/", "ca_file": "/no/such/ca.pem"}, "CA file"),
        (42, "as text or as a table"),
    ],
)
def test_bad_witness_specs_are_refused_clearly(spec: Any, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message) as refused:
        witnesses_from_config([spec])

    assert "CANARY" not in refused.value.message


def test_a_witness_listed_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="listed twice"):
        witnesses_from_config([f"file:{tmp_path}/w", f"file://{tmp_path}/w"])


def test_the_deployment_publisher_starts_with_the_database_witness(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    audit = replace(sqlite_settings.audit, witnesses=(f"file:{tmp_path}/w.jsonl",))
    settings = replace(sqlite_settings, audit=audit)
    engine = create_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()

    publisher = witness_publisher_for(settings)
    publisher.publish(ORIGIN, 9, note(9))
    missing = publisher.close(timeout=5)

    assert missing == []
    assert [witness.name for witness in publisher.witnesses] == [
        "database",
        f"file:{tmp_path}/w.jsonl",
    ]
    reader = DatabaseWitness(create_engine(settings.database_url), owns_engine=True)
    assert reader.latest(ORIGIN) == note(9)
    assert size_of(FileWitness(tmp_path / "w.jsonl").latest(ORIGIN) or "") == 9
    reader.close()
