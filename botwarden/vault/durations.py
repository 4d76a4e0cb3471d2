"""Durations as people write them (``90d``, ``12h``), for rotation policies."""

from __future__ import annotations

import re

from botwarden.errors import InvalidInputError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"([0-9]{1,6})([smhdw])")


def parse_duration(text: str) -> int:
    """Seconds in ``text``, such as ``90d`` or ``12h``."""

    match = _DURATION.fullmatch(text.strip())
    if not match or int(match.group(1)) == 0:
        raise InvalidInputError(
            f"{text!r} is not a duration", hint="Write a duration such as 30m, 12h, 90d or 2w."
        )
    return int(match.group(1)) * _UNITS[match.group(2)]


def format_duration(seconds: int) -> str:
    for unit in ("w", "d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"
