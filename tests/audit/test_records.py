"""Audit records: their canonical bytes, actors, and redaction of registered secrets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, strategies

from botwarden.audit.canonical import canonical_json
from botwarden.audit.records import Actor, RecordFormatError, parse_record, prepare_record
from botwarden.audit.redaction import SecretRedactor
from botwarden.crypto import Sensitive

WHEN = datetime(2026, 12, 3, 17, 0, 0, 123456, tzinfo=UTC)


def prepare(**overrides: object) -> bytes:
    redactor = overrides.pop("redactor", SecretRedactor())
    arguments: dict[str, object] = {"actor": "user:alice", "target": "prod:erp/login", "time": WHEN}
    arguments.update(overrides)
    return prepare_record("secret.read", redactor=redactor, **arguments).encode(7)  # type: ignore[arg-type]


def test_a_record_is_canonical_json_with_every_member() -> None:
    data = prepare(details={"version": 3}, request_id="req-1", source="10.0.0.5")

    record = parse_record(data)

    assert record == {
        "action": "secret.read",
        "actor": {"kind": "user", "id": "alice"},
        "details": {"version": 3},
        "outcome": "allowed",
        "redacted": False,
        "request_id": "req-1",
        "run_id": None,
        "seq": 7,
        "source": "10.0.0.5",
        "target": "prod:erp/login",
        "time": "2026-12-03T17:00:00.123456Z",
    }
    assert canonical_json(record) == data


def test_registered_secrets_are_replaced_and_the_record_says_so() -> None:
    redactor = SecretRedactor()
    redactor.register("hunter2-canary")
    redactor.register("short")

    data = prepare(
        redactor=redactor, target="x hunter2-canary y", details={"n": ["hunter2-canary"]}
    )

    record = parse_record(data)
    assert b"hunter2-canary" not in data
    assert record["target"] == "x [redacted] y"
    assert record["details"] == {"n": ["[redacted]"]}
    assert record["redacted"] is True
    assert parse_record(prepare(redactor=redactor, target="short"))["target"] == "short"


def test_a_secret_in_any_shape_never_stops_a_record() -> None:
    redactor = SecretRedactor()
    redactor.register("s3cret-value")

    data = prepare(
        redactor=redactor,
        details={
            "sensitive": Sensitive("s3cret-value"),
            "bytes": b"raw",
            "nan": float("nan"),
            "huge": 2**80,
            "surrogate": "\ud800",
            "nested": {"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}},
            "object": object(),
            3: "non-string key",
        },
    )

    record = parse_record(data)
    assert record["details"]["sensitive"] == "[redacted]"
    assert record["redacted"] is True
    assert record["details"]["huge"] == str(2**80)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("user:alice", Actor("user", "alice")),
        ("bot:invoice", Actor("bot", "invoice")),
        ("t", Actor("system", "t")),
        ("system:root", Actor("system", "root")),
    ],
)
def test_actors_parse_kind_and_id(text: str, expected: Actor) -> None:
    assert Actor.parse(text) == expected


@pytest.mark.parametrize(
    "data",
    [b"not json", b"[]", b'{"seq":1}', prepare().replace(b'"seq":7,', b'"seq": 7,')],
)
def test_stored_bytes_that_are_not_a_canonical_record_are_refused(data: bytes) -> None:
    with pytest.raises(RecordFormatError):
        parse_record(data)


details_values = strategies.recursive(
    strategies.none()
    | strategies.booleans()
    | strategies.integers(min_value=-(2**53), max_value=2**53)
    | strategies.floats(allow_nan=False, allow_infinity=False)
    | strategies.text(),
    lambda children: (
        strategies.lists(children, max_size=3)
        | strategies.dictionaries(strategies.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)


@given(
    strategies.dictionaries(strategies.text(max_size=6), details_values, max_size=4),
    strategies.text(),
)
def test_the_fast_encoder_gives_exactly_the_canonical_bytes(
    details: dict[str, object], target: str
) -> None:
    data = prepare_record(
        "a.b", actor="user:x", target=target, details=details, time=WHEN, redactor=SecretRedactor()
    ).encode(1)

    assert canonical_json(parse_record(data)) == data
