"""Exporting audit records as JSON lines, RFC 5424 syslog messages and OCSF API Activity events."""

from __future__ import annotations

import io
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botwarden.audit.canonical import canonical_json
from botwarden.audit.exporters import EXPORT_FORMATS, ExportError, export_records
from botwarden.audit.exporters.ocsf import activity_id
from botwarden.audit.exporters.syslog import param_value
from botwarden.audit.records import prepare_record
from botwarden.audit.redaction import SecretRedactor

WHEN = datetime(2026, 12, 3, 17, 0, 0, 123456, tzinfo=UTC)
BOM = "\ufeff"

READ = (
    b'{"action":"secret.read","actor":{"id":"alice","kind":"user"},"details":{},'
    b'"outcome":"allowed","redacted":false,"request_id":"req-1","run_id":null,"seq":7,'
    b'"source":"10.0.0.5","target":"prod:erp/login","time":"2026-12-03T17:00:00.123456Z"}'
)
WRITE = (
    b'{"action":"secret.write","actor":{"id":"invoice","kind":"bot"},"details":{"version":1},'
    b'"outcome":"denied","redacted":false,"request_id":null,"run_id":"run-9","seq":8,'
    b'"source":null,"target":"dev:a\\"b\\\\c]d","time":"2026-12-03T17:00:00.123456Z"}'
)

SYSLOG_READ = (
    "<85>1 2026-12-03T17:00:00.123456Z bw1.example botwarden - secret.read "
    '[botwarden@32473 seq="7" actor="user:alice" outcome="allowed" target="prod:erp/login"] '
    + BOM
    + READ.decode()
)
SYSLOG_WRITE = (
    "<84>1 2026-12-03T17:00:00.123456Z bw1.example botwarden - secret.write "
    '[botwarden@32473 seq="8" actor="bot:invoice" outcome="denied" target="dev:a\\"b\\\\c\\]d"] '
    + BOM
    + WRITE.decode()
)

OCSF_READ = {
    "activity_id": 2,
    "activity_name": "Read",
    "actor": {"user": {"name": "alice", "type": "User", "type_id": 1, "uid": "user:alice"}},
    "api": {"operation": "secret.read"},
    "category_name": "Application Activity",
    "category_uid": 6,
    "class_name": "API Activity",
    "class_uid": 6003,
    "dst_endpoint": {"hostname": "bw1.example"},
    "metadata": {
        "product": {"name": "botwarden", "vendor_name": "botwarden"},
        "uid": "7",
        "version": "1.1.0",
    },
    "resources": [{"name": "prod:erp/login"}],
    "severity": "Informational",
    "severity_id": 1,
    "src_endpoint": {"ip": "10.0.0.5"},
    "status": "Success",
    "status_id": 1,
    "time": 1796317200123,
    "type_name": "API Activity: Read",
    "type_uid": 600302,
    "unmapped": {"details": {}, "redacted": False, "request_id": "req-1", "run_id": None},
}
OCSF_WRITE = {
    "activity_id": 1,
    "activity_name": "Create",
    "actor": {"user": {"name": "invoice", "type": "Bot", "type_id": 99, "uid": "bot:invoice"}},
    "api": {"operation": "secret.write"},
    "category_name": "Application Activity",
    "category_uid": 6,
    "class_name": "API Activity",
    "class_uid": 6003,
    "dst_endpoint": {"hostname": "bw1.example"},
    "metadata": {
        "product": {"name": "botwarden", "vendor_name": "botwarden"},
        "uid": "8",
        "version": "1.1.0",
    },
    "resources": [{"name": 'dev:a"b\\c]d'}],
    "severity": "Low",
    "severity_id": 2,
    "status": "Failure",
    "status_detail": "denied",
    "status_id": 2,
    "time": 1796317200123,
    "type_name": "API Activity: Create",
    "type_uid": 600301,
    "unmapped": {
        "details": {"version": 1},
        "redacted": False,
        "request_id": None,
        "run_id": "run-9",
    },
}


def record(action: str = "secret.read", seq: int = 1, **members: Any) -> bytes:
    arguments: dict[str, Any] = {"actor": "user:alice", "target": "prod:erp/login", "time": WHEN}
    arguments.update(members)
    return prepare_record(action, redactor=SecretRedactor(), **arguments).encode(seq)


def export(records: list[bytes], format: str, hostname: str = "bw1.example") -> str:
    out = io.StringIO()
    count = export_records(records, format, out, hostname=hostname)
    assert count == len(records)
    return out.getvalue()


def sd_params(line: str) -> dict[str, str]:
    """The PARAM-VALUEs of the one SD-ELEMENT of an RFC 5424 line, unescaped (§6.3.3)."""

    element = re.search(r" (\[botwarden@32473 (?:[^\\\]]|\\.)*\]) ", line)
    assert element is not None, line
    pairs = re.findall(r' ([a-z]+)="((?:[^"\\]|\\.)*)"', element.group(1))
    return {name: re.sub(r'\\(["\\\]])', r"\1", value) for name, value in pairs}


def one_line(text: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f\x85\u2028\u2029]", "\ufffd", text)


def test_the_fixed_records_are_what_the_writer_stores() -> None:
    assert record(seq=7, source="10.0.0.5", request_id="req-1") == READ
    assert (
        record(
            "secret.write",
            seq=8,
            actor="bot:invoice",
            target='dev:a"b\\c]d',
            outcome="denied",
            details={"version": 1},
            run_id="run-9",
        )
        == WRITE
    )


def test_jsonl_output_is_byte_identical_to_the_stored_lines() -> None:
    stored = [READ, WRITE, record(target="prod:ünïcode/✓ \u2028 x", seq=9)]
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")

    count = export_records([*stored[:2], stored[2] + b"\n"], "jsonl", out, hostname="h")
    out.flush()

    assert count == 3
    assert raw.getvalue() == b"".join(line + b"\n" for line in stored)


def test_syslog_golden_lines() -> None:
    assert export([READ, WRITE], "syslog") == SYSLOG_READ + "\n" + SYSLOG_WRITE + "\n"


def test_syslog_message_body_is_the_record_after_a_utf8_bom() -> None:
    line = export([WRITE], "syslog").encode("utf-8")

    header, _, body = line.partition(b"] \xef\xbb\xbf")

    assert header.startswith(b"<84>1 ")
    assert body == WRITE + b"\n"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ('say "hi"', 'say \\"hi\\"'),
        ("C:\\bots\\run", "C:\\\\bots\\\\run"),
        ("a]b", "a\\]b"),
        ('\\"]', '\\\\\\"\\]'),
        ("[plain=ok ünï]", "[plain=ok ünï\\]"),
        ("two\nlines\r\x00\x85\u2028", "two\ufffdlines\ufffd\ufffd\ufffd\ufffd"),
    ],
)
def test_syslog_param_values_are_escaped_as_rfc5424_asks(text: str, escaped: str) -> None:
    assert param_value(text) == escaped


@pytest.mark.parametrize(("outcome", "pri"), [("allowed", 85), ("denied", 84), ("failed", 83)])
def test_syslog_severity_follows_the_outcome_under_facility_authpriv(
    outcome: str, pri: int
) -> None:
    line = export([record(outcome=outcome)], "syslog")

    assert line.startswith(f"<{pri}>1 ")


def test_syslog_header_fields_are_printable_ascii_within_their_limits() -> None:
    action = "secret read/ü" + "x" * 40

    line = export([record(action)], "syslog", hostname="bad host ✓")

    fields = line.split(" ", 6)
    assert fields[2] == "bad_host__"
    assert fields[5] == ("secret_read/_" + "x" * 40)[:32]
    assert all(0x21 <= ord(char) <= 0x7E for char in "".join(fields[1:6]))


def test_syslog_keeps_one_line_per_record_even_with_line_breaks_in_members() -> None:
    line = export([record(target="a\nb]c", actor="user:e\u2028ve")], "syslog")

    assert line.count("\n") == 1 and "\u2028" not in line.split(BOM)[0]
    assert sd_params(line)["target"] == "a\ufffdb]c"
    assert json.loads(line.split(BOM, 1)[1])["target"] == "a\nb]c"


@given(
    action=st.text(min_size=1, max_size=40),
    target=st.text(max_size=60),
    actor_id=st.text(max_size=20),
)
@settings(max_examples=150, deadline=None)
def test_syslog_lines_parse_back_to_the_record(action: str, target: str, actor_id: str) -> None:
    data = record(action, target=target, actor=f"bot:{actor_id}", seq=5)
    stored = json.loads(data)

    line = export([data], "syslog").removesuffix("\n")

    assert "\n" not in line and "\r" not in line
    assert line.split(BOM, 1)[1].encode("utf-8") == data
    assert sd_params(line) == {
        "seq": "5",
        "actor": one_line(f"bot:{stored['actor']['id']}"),
        "outcome": "allowed",
        "target": one_line(stored["target"]),
    }


def test_ocsf_golden_events() -> None:
    lines = export([READ, WRITE], "ocsf").splitlines()

    assert [json.loads(line) for line in lines] == [OCSF_READ, OCSF_WRITE]
    assert lines[0].encode() == canonical_json(OCSF_READ)


@pytest.mark.parametrize(
    ("action", "details", "activity"),
    [
        ("secret.read", {}, 2),
        ("secret.reveal", {}, 2),
        ("secret.describe", {}, 2),
        ("secret.list", {}, 2),
        ("key.backup", {}, 2),
        ("secret.write", {"version": 1}, 1),
        ("secret.write", {"version": 4}, 3),
        ("secret.write", {}, 3),
        ("environment.add", {}, 1),
        ("deployment.init", {}, 1),
        ("secret.stage", {}, 1),
        ("secret.rotate", {}, 3),
        ("secret.rotate.failed", {}, 3),
        ("key.rotate_root", {}, 3),
        ("key.rotate_environment", {}, 3),
        ("secret.policy", {}, 3),
        ("deployment.restore", {}, 3),
        ("secret.delete", {}, 4),
        ("secret.destroy", {}, 4),
        ("secret.discard", {}, 4),
        ("token.revoke", {}, 4),
        ("sys.unseal", {}, 99),
        ("run.start", {}, 99),
        ("read", {}, 2),
        ("", {}, 99),
    ],
)
def test_ocsf_activity_comes_from_the_actions_verb(
    action: str, details: dict[str, Any], activity: int
) -> None:
    assert activity_id(action, details) == activity


def test_ocsf_type_uid_status_and_severity_follow_activity_and_outcome() -> None:
    data = [
        record("secret.destroy", outcome="failed"),
        record("sys.unseal", outcome="denied"),
        record("secret.reveal"),
    ]

    events = [json.loads(line) for line in export(data, "ocsf").splitlines()]

    assert [(event["type_uid"], event["activity_name"]) for event in events] == [
        (600304, "Delete"),
        (600399, "Other"),
        (600302, "Read"),
    ]
    assert [(event["status_id"], event.get("status_detail")) for event in events] == [
        (2, "failed"),
        (2, "denied"),
        (1, None),
    ]
    assert [event["severity_id"] for event in events] == [3, 2, 1]


@pytest.mark.parametrize(
    ("source", "endpoint"),
    [
        (None, None),
        ("10.0.0.5", {"ip": "10.0.0.5"}),
        ("2001:db8::1", {"ip": "2001:db8::1"}),
        ("runner-7", {"name": "runner-7"}),
    ],
)
def test_ocsf_src_endpoint_only_when_the_record_has_a_source(
    source: str | None, endpoint: dict[str, str] | None
) -> None:
    event = json.loads(export([record(source=source)], "ocsf"))

    assert event.get("src_endpoint") == endpoint


@pytest.mark.parametrize(
    ("actor", "user"),
    [
        ("user:alice", {"name": "alice", "type": "User", "type_id": 1, "uid": "user:alice"}),
        ("runner:r1", {"name": "r1", "type": "Runner", "type_id": 99, "uid": "runner:r1"}),
        (
            "scheduler",
            {"name": "scheduler", "type": "System", "type_id": 3, "uid": "system:scheduler"},
        ),
    ],
)
def test_ocsf_actor_is_a_user_with_the_kind_as_type(actor: str, user: dict[str, Any]) -> None:
    event = json.loads(export([record(actor=actor)], "ocsf"))

    assert event["actor"] == {"user": user}


def test_ocsf_time_is_epoch_milliseconds() -> None:
    when = datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)

    event = json.loads(export([record(time=when)], "ocsf"))

    assert event["time"] == 946684799999


def test_an_unknown_format_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ExportError, match="no audit export format 'csv'") as refused:
        export_records([READ], "csv", io.StringIO(), hostname="h")

    assert refused.value.hint == "The formats are: jsonl, syslog, ocsf."
    assert EXPORT_FORMATS == ("jsonl", "syslog", "ocsf")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "record 2 of the export is malformed: not valid JSON"),
        (READ.replace(b'"seq":7', b'"seq": 7'), "record 2 .* not in canonical form"),
        (READ[:-1], "record 2 of the export is malformed"),
        (READ.replace(b'"outcome":"allowed"', b'"outcome":"maybe"'), "wrong type"),
        (READ.replace(b'"target":"prod:erp/login"', b'"target":5'), "wrong type"),
        (READ.replace(b'"actor":{"id":"alice","kind":"user"}', b'"actor":"alice"'), "wrong type"),
        (READ.replace(b"17:00:00.123456Z", b"17:00:00Z"), "record 7 has a malformed time"),
        (READ.replace(b"2026-12-03", b"2026-13-03"), "record 7 has a malformed time"),
    ],
)
@pytest.mark.parametrize("format", EXPORT_FORMATS)
def test_a_malformed_record_stops_the_export_after_the_lines_before_it(
    data: bytes, message: str, format: str
) -> None:
    out = io.StringIO()

    with pytest.raises(ExportError, match=message):
        export_records([WRITE, data, READ], format, out, hostname="h")

    assert out.getvalue().count("\n") == 1


def test_export_writes_nothing_but_its_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    for format in EXPORT_FORMATS:
        export([READ, WRITE], format)

    assert os.listdir(tmp_path) == []
