"""Shared CLI plumbing: error reporting, JSON output, logging set-up and hidden prompts."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any, NoReturn

import click

from botwarden.errors import BotwardenError, InvalidInputError


def run_guarded(command: click.Group, argv: Sequence[str]) -> NoReturn:
    """Run ``command``; print a ``BotwardenError`` with its hint on stderr and exit 1."""

    configure_logging()
    try:
        command.main(args=list(argv), prog_name="botwarden", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except BotwardenError as error:
        report_error(error)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    sys.exit(0)


def report_error(error: BotwardenError) -> None:
    click.secho(f"Error: {error.message}", fg="red", err=True)
    if error.hint:
        click.echo(f"Hint: {error.hint}", err=True)


def configure_logging(default_level: str = "warning") -> None:
    """Structured log events go to stderr, at ``default_level`` unless BOTWARDEN_LOG_LEVEL says."""

    import logging
    import os

    import structlog

    level_name = os.environ.get("BOTWARDEN_LOG_LEVEL", default_level).upper()
    level = logging.getLevelNamesMapping().get(level_name, logging.WARNING)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


def to_jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {key: to_jsonable(item) for key, item in asdict(value).items()}
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "__fspath__"):
        return str(value)
    return value


def emit_json(value: Any) -> None:
    click.echo(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False))


def json_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(
        function
    )


def prompt_hidden(label: str, *, confirm: bool = False) -> str:
    """Ask for a value without echoing it; from a pipe, read one line of stdin.

    A piped value is read as it is (no confirmation), so that scripts and
    secret managers can feed botwarden without a terminal.
    """

    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise InvalidInputError(f"{label}: nothing on stdin", hint="Pipe the value on stdin.")
        return line.rstrip("\r\n")

    value: str = click.prompt(label, hide_input=True, confirmation_prompt=confirm, err=True)
    return value


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print rows as aligned columns under a header line."""

    cells = [[str(header) for header in headers]] + [[_cell(item) for item in row] for row in rows]
    widths = [max(len(row[index]) for row in cells) for index in range(len(headers))]
    for row in cells:
        click.echo(
            "  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip()
        )


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%SZ")
    return str(value)


def progress_line(label: str) -> Callable[[int, int], None]:
    """A progress callback that redraws one line on stderr when it is a terminal."""

    stream = sys.stderr
    interactive = stream.isatty()

    def show(done: int, total: int) -> None:
        if not interactive:
            return
        percent = 100 * done // max(total, 1)
        stream.write(f"\r{label}: {done}/{total} ({percent}%)")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return show
