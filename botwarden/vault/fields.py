"""The fields of a secret (username, password, host…): their limits and their encoding."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping

from botwarden.crypto import Sensitive
from botwarden.errors import InvalidInputError

MAX_FIELDS = 64
MAX_FIELD_NAME_CHARACTERS = 128
MAX_VALUE_BYTES = 64 * 1024
MAX_TOTAL_BYTES = 256 * 1024


def validate_fields(fields: Mapping[str, object]) -> dict[str, str]:
    """Check a secret's fields and return them as a plain ``dict``.

    Every refusal names the field (never the value) and the limit it broke.
    """

    if not isinstance(fields, Mapping):
        raise InvalidInputError("a secret is an object of named fields, such as username")
    if not fields:
        raise InvalidInputError(
            "the secret has no fields", hint='Give at least one field: {"password": "..."}.'
        )
    if len(fields) > MAX_FIELDS:
        raise InvalidInputError(f"a secret has at most {MAX_FIELDS} fields, got {len(fields)}")

    checked: dict[str, str] = {}
    for name, given in fields.items():
        _check_field_name(name)
        value = given.reveal() if isinstance(given, Sensitive) else given
        if not isinstance(value, str):
            raise InvalidInputError(
                f"field {name!a} is not text", hint="Every field value is a JSON string."
            )
        try:
            size = len(value.encode("utf-8"))
        except UnicodeEncodeError:
            raise InvalidInputError(f"field {name!a} is not valid Unicode text") from None
        if size > MAX_VALUE_BYTES:
            raise InvalidInputError(
                f"field {name!a} is {size} bytes, over the limit of {MAX_VALUE_BYTES}",
                hint="Store large files elsewhere and keep only their key in the vault.",
            )
        checked[name] = value

    if len(encode_fields(checked)) > MAX_TOTAL_BYTES:
        raise InvalidInputError(f"the secret is larger than {MAX_TOTAL_BYTES} bytes in all")

    return checked


def _check_field_name(name: object) -> None:
    if not isinstance(name, str) or not name:
        raise InvalidInputError("every field needs a non-empty name")
    if len(name) > MAX_FIELD_NAME_CHARACTERS:
        raise InvalidInputError(f"a field name has at most {MAX_FIELD_NAME_CHARACTERS} characters")
    if any(unicodedata.category(character) in {"Cc", "Cs"} for character in name):
        raise InvalidInputError(f"field name {name!a} contains a control character")


def encode_fields(fields: Mapping[str, str]) -> bytes:
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def decode_fields(plaintext: bytes) -> dict[str, Sensitive[str]]:
    decoded = json.loads(plaintext.decode("utf-8"))
    return {name: Sensitive(value) for name, value in decoded.items()}
