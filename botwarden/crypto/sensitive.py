"""A wrapper for secret values whose ``repr`` and ``str`` never show the value."""

from __future__ import annotations

from typing import Generic, NoReturn, TypeVar

T = TypeVar("T", str, bytes)

MASK = "**********"


class Sensitive(Generic[T]):
    """Holds a secret; reading it takes an explicit ``reveal()``.

    Printing, formatting, logging or pickling the wrapper never shows the
    value, so a secret that ends up in a log line or an exception by accident
    stays hidden.
    """

    __slots__ = ("_value",)

    _value: T

    def __init__(self, value: T) -> None:
        self._value = value

    def reveal(self) -> T:
        """The secret itself. Call this only where the value must leave."""

        return self._value

    def __repr__(self) -> str:
        return f"Sensitive({MASK})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sensitive):
            return NotImplemented
        import hmac

        left, right = self._value, other._value
        if isinstance(left, str) and isinstance(right, str):
            return hmac.compare_digest(left.encode(), right.encode())
        if isinstance(left, bytes) and isinstance(right, bytes):
            return hmac.compare_digest(left, right)
        return False

    def __hash__(self) -> int:
        return hash((Sensitive, self._value))

    def __len__(self) -> int:
        return len(self._value)

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Sensitive value cannot be pickled")
