"""Masking of secret values in text that leaves the process: errors, logs, a child's stderr."""

from __future__ import annotations

import json
from collections.abc import Iterable

from botwarden.crypto import Sensitive
from botwarden.crypto.sensitive import MASK
from botwarden.vault.rotation.interface import SecretFields

MAX_SHOWN = 1000


def field_values(*groups: SecretFields) -> list[Sensitive[str]]:
    """Every value of every group of fields, to be masked wherever text is shown."""

    return [value for fields in groups for value in fields.values()]


def mask(text: str, values: Iterable[Sensitive[str]]) -> str:
    """``text`` with every value, raw or JSON-escaped, replaced by the mask.

    NOTE: every non-empty field value is masked, short ones included, even if
    that hides a harmless port number: a message may be less readable, never
    leakier.
    """

    forms: set[str] = set()
    for value in values:
        revealed = value.reveal()
        if revealed:
            forms.add(revealed)
            forms.add(json.dumps(revealed)[1:-1])
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


def shown(text: str, values: Iterable[Sensitive[str]], *, limit: int = MAX_SHOWN) -> str:
    """Masked, stripped and cut to its last ``limit`` characters, for an error message."""

    masked = mask(text, values).strip()
    return masked if len(masked) <= limit else "..." + masked[-limit:]
