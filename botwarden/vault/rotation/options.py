"""Readers for a rotation policy's JSON options that refuse anything unexpected."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from botwarden.errors import InvalidInputError


def reject_unknown(options: Mapping[str, object], allowed: Collection[str], plugin: str) -> None:
    """Refuse option names the plugin does not know, so that a typo is not silently ignored."""

    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise InvalidInputError(
            f"the {plugin} rotation plugin has no option {unknown[0]!a}",
            hint=f"Its options are: {', '.join(sorted(allowed))}.",
        )


def get_int(
    options: Mapping[str, object], key: str, *, default: int, minimum: int, maximum: int
) -> int:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"option {key!a} is not a whole number")
    if not minimum <= value <= maximum:
        raise InvalidInputError(f"option {key!a} is {value}, outside {minimum}..{maximum}")
    return value


def get_seconds(
    options: Mapping[str, object], key: str, *, default: float, maximum: float
) -> float:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(f"option {key!a} is not a number of seconds")
    if not 0 < value <= maximum:
        raise InvalidInputError(f"option {key!a} is {value}, outside (0, {maximum:g}] seconds")
    return float(value)


def get_bool(options: Mapping[str, object], key: str, *, default: bool) -> bool:
    value = options.get(key, default)
    if not isinstance(value, bool):
        raise InvalidInputError(f"option {key!a} is not true or false")
    return value


def get_text(options: Mapping[str, object], key: str) -> str | None:
    value = options.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"option {key!a} is not a non-empty string")
    return value


def get_choice(
    options: Mapping[str, object], key: str, choices: Collection[str], *, default: str
) -> str:
    value = get_text(options, key) or default
    if value not in choices:
        raise InvalidInputError(
            f"option {key!a} is {value!a}", hint=f"Choose one of: {', '.join(choices)}."
        )
    return value


def get_argv(options: Mapping[str, object], key: str) -> tuple[str, ...] | None:
    """A command as a list of arguments whose first one is an absolute path."""

    value = options.get(key)
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, str) and item for item in value)
    ):
        raise InvalidInputError(
            f"option {key!a} is not a list of non-empty strings",
            hint='Give the command as a list of arguments: ["/usr/local/bin/update-pw", "--db"].',
        )
    if not value[0].startswith("/"):
        raise InvalidInputError(
            f"option {key!a} does not start with an absolute path",
            hint="The command runs with a minimal PATH; name the program by its absolute path.",
        )
    if any("\x00" in item for item in value):
        raise InvalidInputError(f"option {key!a} contains a NUL character")
    return tuple(value)
