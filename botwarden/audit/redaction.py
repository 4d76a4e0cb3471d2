"""Keeping secret values out of audit records: registered values are replaced by a marker."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

MIN_SECRET_LENGTH = 6
MARKER = "[redacted]"
MAX_DEPTH = 6
MAX_STRING = 1024
MAX_ITEMS = 64


class SecretRedactor:
    """Values registered as secret, and the redaction of any text that contains them."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def register(self, value: str) -> None:
        """Treat ``value`` as secret from now on; values shorter than six characters are ignored."""

        if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH or value in self._secrets:
            return
        with self._lock:
            self._secrets.add(value)
            self._pattern = None

    def redact(self, text: str) -> tuple[str, bool]:
        """``text`` with every registered secret replaced, and whether anything was."""

        if not self._secrets:
            return text, False
        pattern = self._pattern or self._compile()
        redacted, count = pattern.subn(MARKER, text)
        return redacted, count > 0

    def _compile(self) -> re.Pattern[str]:
        with self._lock:
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(secret) for secret in ordered))
            return self._pattern


class Sanitiser:
    """Turns any details object into plain JSON values with secrets redacted. Never raises."""

    def __init__(self, redactor: SecretRedactor) -> None:
        self._redactor = redactor
        self.redacted = False
        # Whether the result holds only values whose canonical form the C JSON
        # encoder writes byte for byte: no floats, no member names beyond U+FFFF.
        self.plain = True

    def text(self, value: str) -> str:
        # NOTE: a lone surrogate cannot be encoded; it is replaced rather than
        # allowed to make the log refuse the record.
        clean = value if value.isascii() else value.encode("utf-8", "replace").decode("utf-8")
        clean, changed = self._redactor.redact(clean)
        self.redacted = self.redacted or changed
        return clean if len(clean) <= MAX_STRING else clean[:MAX_STRING] + "…"

    def value(self, value: Any, depth: int = 0) -> Any:  # noqa: PLR0911  (one case a type)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value if abs(value) <= 2**53 else str(value)
        if isinstance(value, float):
            self.plain = False
            return value if math.isfinite(value) else str(value)
        if isinstance(value, str):
            return self.text(value)
        if depth >= MAX_DEPTH:
            return "…"
        if isinstance(value, Mapping):
            items = list(value.items())[:MAX_ITEMS]
            clean = {self.text(str(key)): self.value(item, depth + 1) for key, item in items}
            if self.plain and any(not key.isascii() and max(key) > "\uffff" for key in clean):
                self.plain = False
            return clean
        if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
            return [self.value(item, depth + 1) for item in list(value)[:MAX_ITEMS]]
        if type(value).__name__ == "Sensitive":
            self.redacted = True
            return MARKER
        return self.text(str(value))
