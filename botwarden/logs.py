"""Loggers that import structlog only when they first log, so that start-up stays fast."""

from __future__ import annotations

from typing import Any


class LazyLogger:
    """A structlog logger created on first use."""

    __slots__ = ("_logger", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Any = None

    def __getattr__(self, method: str) -> Any:
        if self._logger is None:
            import structlog

            self._logger = structlog.get_logger(self._name)
        return getattr(self._logger, method)


def get_logger(name: str) -> LazyLogger:
    """The logger for module ``name``; call it like a structlog logger."""

    return LazyLogger(name)
