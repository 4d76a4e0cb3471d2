"""The environments a deployment separates (P02): the built-in three and the naming rule."""

from __future__ import annotations

import re
from typing import Literal

from botwarden.errors import InvalidInputError

Tier = Literal["dev", "test", "prod"]

TIERS: tuple[Tier, ...] = ("dev", "test", "prod")
BUILTIN_ENVIRONMENTS: dict[str, Tier] = {"dev": "dev", "test": "test", "prod": "prod"}

_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")


def validate_environment_name(name: str) -> str:
    """Return ``name`` if it can name an environment, or raise with the rule."""

    if not _NAME.fullmatch(name):
        raise InvalidInputError(
            f"invalid environment name {name!r}",
            hint="An environment name starts with a lower-case letter and has at most 32 "
            "lower-case letters, digits and dashes.",
        )
    return name


def validate_tier(tier: str) -> Tier:
    for known in TIERS:
        if tier == known:
            return known
    raise InvalidInputError(f"invalid tier {tier!r}", hint=f"A tier is one of {', '.join(TIERS)}.")
