"""Secret names (``ENV:PATH``) and the rules a path must follow."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from botwarden.config import validate_environment_name
from botwarden.errors import InvalidInputError

MAX_PATH_BYTES = 512
_SEGMENT = re.compile(r"[A-Za-z0-9_@+-][A-Za-z0-9._@+-]*")


@dataclass(frozen=True)
class SecretName:
    """Where a secret lives: its environment and its path (``prod:erp/login``)."""

    environment: str
    path: str

    def __str__(self) -> str:
        return f"{self.environment}:{self.path}"


def parse_secret_name(text: str) -> SecretName:
    """Split and check ``ENV:PATH``."""

    environment, separator, path = text.partition(":")
    if not separator:
        raise InvalidInputError(
            f"{_shown(text)} is not a secret name",
            hint="Name a secret as ENV:PATH, for example prod:erp/login.",
        )
    return SecretName(validate_environment_name(environment), validate_path(path))


def validate_path(path: str) -> str:
    """Return ``path`` if it is a valid secret path, or raise saying which rule it breaks."""

    if not path:
        raise InvalidInputError("the secret path is empty", hint="Give a path such as erp/login.")
    if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        raise InvalidInputError(f"the secret path is longer than {MAX_PATH_BYTES} bytes")
    if any(unicodedata.category(character) in {"Cc", "Cf", "Cs"} for character in path):
        raise InvalidInputError(
            f"the secret path {_shown(path)} contains a control character",
            hint="Paths are made of letters, digits and . _ - @ + separated by /.",
        )

    for segment in path.split("/"):
        if segment == "":
            raise InvalidInputError(
                f"the secret path {_shown(path)} has an empty segment",
                hint="Remove leading, trailing or doubled slashes.",
            )
        if segment in {".", ".."}:
            raise InvalidInputError(
                f"the secret path {_shown(path)} contains {segment!r}",
                hint="Paths name a secret directly; '.' and '..' are not allowed.",
            )
        if not _SEGMENT.fullmatch(segment):
            raise InvalidInputError(
                f"the secret path segment {_shown(segment)} has characters that are not allowed",
                hint="Paths are made of ASCII letters, digits and . _ - @ + separated by /; "
                "a segment does not start with a dot.",
            )

    return path


def _shown(text: str) -> str:
    """A short, printable rendering of user input for an error message."""

    rendered = ascii(text)
    return rendered if len(rendered) <= 80 else rendered[:77] + "...'"
