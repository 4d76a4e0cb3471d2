"""RFC 8785 canonical JSON: the RFC's examples, ECMAScript number layout, and refusals."""

from __future__ import annotations

import json
import math
import struct

import pytest
from hypothesis import given, strategies

from botwarden.audit.canonical import CanonicalJSONError, canonical_json, es_number


def test_the_rfc_example_of_sorting_by_utf16_code_units() -> None:
    members = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }

    names = list(json.loads(canonical_json(members)))

    assert names == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_the_rfc_example_of_string_escapes() -> None:
    value = "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/"

    assert canonical_json(value) == '"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"'.encode()


def test_whitespace_is_never_emitted_and_literals_are_lower_case() -> None:
    value = {"b": [1, True, None, False], "a": {"z": "", "y": -7}}

    assert canonical_json(value) == b'{"a":{"y":-7,"z":""},"b":[1,true,null,false]}'


@pytest.mark.parametrize(
    ("bits", "expected"),
    [
        ("0000000000000000", "0"),
        ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"),
        ("8000000000000001", "-5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("4340000000000000", "9007199254740992"),
        ("c340000000000000", "-9007199254740992"),
        ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af5", "9.999999999999997e+22"),
        ("44b52d02c7e14af6", "1e+23"),
        ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
        ("41b3de4355555555", "333333333.3333333"),
    ],
)
def test_numbers_follow_the_rfc_table(bits: str, expected: str) -> None:
    value = struct.unpack(">d", bytes.fromhex(bits))[0]

    assert es_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (4.5, "4.5"),
        (0.002, "0.002"),
        (1e-7, "1e-7"),
        (-1.5e-7, "-1.5e-7"),
        (123.0, "123"),
    ],
)
def test_number_layout_switches_to_exponents_where_ecmascript_does(
    value: float, expected: str
) -> None:
    assert es_number(value) == expected


@given(strategies.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_double_round_trips(value: float) -> None:
    assert float(es_number(value)) == value or (value == 0 and es_number(value) == "0")


@pytest.mark.parametrize(
    "value", [math.nan, math.inf, {1: "x"}, b"bytes", object(), 2**60 + 1, "\ud800"]
)
def test_values_without_a_canonical_form_are_refused(value: object) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_json(value)


json_values = strategies.recursive(
    strategies.none()
    | strategies.booleans()
    | strategies.integers(min_value=-(2**53), max_value=2**53)
    | strategies.text(alphabet=strategies.characters(blacklist_categories=("Cs",))),
    lambda children: (
        strategies.lists(children, max_size=4)
        | strategies.dictionaries(strategies.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_canonical_output_parses_back_to_the_same_value(value: object) -> None:
    encoded = canonical_json(value)

    assert json.loads(encoded) == value
    assert canonical_json(json.loads(encoded)) == encoded
