"""Canonical JSON as RFC 8785 (JCS) defines it: the exact bytes every audit record is stored as."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

_json_string = json.JSONEncoder(ensure_ascii=False).encode


class CanonicalJSONError(ValueError):
    """A value that has no canonical JSON form (NaN, infinity, a lone surrogate, a foreign type)."""


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 serialisation of ``value`` as UTF-8 bytes."""

    parts: list[str] = []
    _write(value, parts)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalJSONError(
            "a string holds a lone surrogate, which JSON cannot carry"
        ) from None


def _write(value: Any, parts: list[str]) -> None:  # noqa: PLR0912  (one branch a JSON type)
    # (1) RFC 8785 §3.2.2: literals, strings and numbers as ECMAScript serialises them.
    if value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, str):
        parts.append(_json_string(value))
    elif isinstance(value, int):
        parts.append(_integer(value))
    elif isinstance(value, float):
        parts.append(es_number(value))

    # (2) RFC 8785 §3.2.3: object members sorted by the UTF-16 code units of their names.
    elif isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise CanonicalJSONError("object member names must be strings")
        parts.append("{")
        for index, key in enumerate(sorted(value, key=_utf16_order)):
            if index:
                parts.append(",")
            parts.append(_json_string(key))
            parts.append(":")
            _write(value[key], parts)
        parts.append("}")
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _write(item, parts)
        parts.append("]")
    else:
        raise CanonicalJSONError(f"{type(value).__name__} has no JSON form")


def _utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _integer(value: int) -> str:
    # NOTE: I-JSON (RFC 7493) numbers are IEEE 754 doubles. A larger integer is
    # accepted only when it is exactly how some double is written (as when a
    # stored number is parsed back); any other would change value in other tools.
    text = str(value)
    if abs(value) <= 2**53 or (abs(value) < 2**1024 and es_number(float(value)) == text):
        return text
    raise CanonicalJSONError("integers beyond ±2^53 that no double holds do not survive JSON")


def es_number(value: float) -> str:
    """A double as ECMAScript's Number.prototype.toString writes it (RFC 8785 §3.2.2.3)."""

    if math.isnan(value) or math.isinf(value):
        raise CanonicalJSONError("NaN and infinity have no JSON form")
    if value == 0:
        return "0"

    # Python's repr gives the shortest digits that round-trip, as ECMAScript does;
    # only the layout differs.
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    all_digits = whole + fraction
    significant = all_digits.lstrip("0")
    point = len(whole) + int(exponent or 0) - (len(all_digits) - len(significant))
    digits = significant.rstrip("0")
    k, n = len(digits), point

    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    exponent_sign = "+" if n - 1 >= 0 else "-"
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{head}e{exponent_sign}{abs(n - 1)}"
