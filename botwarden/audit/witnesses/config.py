"""Witnesses from configuration: short specs such as ``file:/path`` or tables of options."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from botwarden.audit.witnesses.file import FileWitness
from botwarden.audit.witnesses.interface import Witness
from botwarden.audit.witnesses.syslog import SyslogWitness
from botwarden.errors import InvalidInputError

if TYPE_CHECKING:
    from botwarden.audit.witnesses.publisher import WitnessPublisher
    from botwarden.config import Settings

SYSLOG_PORT = 514
SPEC_HINT = (
    "Write a witness as file:/ABSOLUTE/PATH, syslog:udp://HOST[:PORT], "
    "syslog:unix:///ABSOLUTE/PATH or https://HOST/PATH."
)
_OPTIONS = {
    "file": {"type", "path"},
    "syslog": {"type", "address", "hostname"},
    "http": {"type", "url", "timeout", "ca_file", "read_url"},
}

WitnessSpec = str | Mapping[str, object]


def witnesses_from_config(specs: Sequence[WitnessSpec]) -> list[Witness]:
    """The outside witnesses the configuration lists, each checked; raise ``InvalidInputError``."""

    witnesses: list[Witness] = []
    try:
        for spec in specs:
            witness = witness_from_spec(spec)
            witnesses.append(witness)
            if any(other.name == witness.name for other in witnesses[:-1]):
                raise InvalidInputError(
                    f"the witness {witness.name} is listed twice", hint=SPEC_HINT
                )
    except InvalidInputError:
        for witness in witnesses:
            witness.close()
        raise
    return witnesses


def witness_from_spec(spec: WitnessSpec) -> Witness:
    """One witness from ``"file:/path"``-style text or a mapping with a ``type``."""

    if isinstance(spec, str):
        return _from_text(spec)
    if isinstance(spec, Mapping):
        return _from_mapping(spec)
    raise InvalidInputError("a witness must be given as text or as a table", hint=SPEC_HINT)


def _from_text(spec: str) -> Witness:
    kind, _, rest = spec.partition(":")
    if kind == "file":
        return FileWitness(_file_path(rest, "the path of a file witness"))
    if kind == "syslog":
        return _syslog(rest)
    if kind in ("https", "http"):
        from botwarden.audit.witnesses.http import HttpWitness

        return HttpWitness(spec)
    raise InvalidInputError(f"unknown witness {_shown(spec)}", hint=SPEC_HINT)


def _from_mapping(spec: Mapping[str, object]) -> Witness:
    kind = spec.get("type")
    if not isinstance(kind, str) or kind not in _OPTIONS:
        raise InvalidInputError(
            "a witness table needs a type: file, syslog or http", hint=SPEC_HINT
        )
    unknown = sorted(set(spec) - _OPTIONS[kind])
    if unknown:
        raise InvalidInputError(
            f"unknown option {unknown[0]!a} for a {kind} witness",
            hint=f"Its options are: {', '.join(sorted(_OPTIONS[kind]))}.",
        )

    if kind == "file":
        return FileWitness(_file_path(_text(spec, "path"), "the path of a file witness"))
    if kind == "syslog":
        hostname = _text(spec, "hostname") if "hostname" in spec else None
        return _syslog(_text(spec, "address"), hostname=hostname)

    from botwarden.audit.witnesses.http import DEFAULT_TIMEOUT_SECONDS, HttpWitness

    timeout = spec.get("timeout", DEFAULT_TIMEOUT_SECONDS)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise InvalidInputError("the timeout of an http witness must be a positive number")
    ca_file = _file_path(_text(spec, "ca_file"), "ca_file") if "ca_file" in spec else None
    read_url = _text(spec, "read_url") if "read_url" in spec else None
    return HttpWitness(
        _text(spec, "url"), timeout=float(timeout), ca_file=ca_file, read_url=read_url
    )


def _syslog(address: str, *, hostname: str | None = None) -> SyslogWitness:
    if address.startswith("unix://"):
        return SyslogWitness(
            _file_path(address.removeprefix("unix://"), "the syslog socket"), hostname=hostname
        )
    if not address.startswith("udp://"):
        raise InvalidInputError(
            f"a syslog witness must be udp://HOST[:PORT] or unix:///PATH, not {_shown(address)}",
            hint=SPEC_HINT,
        )
    try:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port or SYSLOG_PORT
    except ValueError:
        host, port = None, 0
    if not host or parts.path or parts.query or parts.username:
        raise InvalidInputError(f"{_shown(address)} is not a syslog host and port", hint=SPEC_HINT)
    return SyslogWitness((host, port), hostname=hostname)


def _file_path(text: str, what: str) -> Path:
    if text.startswith("//"):
        if not text.startswith("///"):
            raise InvalidInputError(f"{what} must be a local path, without a host", hint=SPEC_HINT)
        text = text[2:]
    if not text.startswith("/") or "\x00" in text:
        raise InvalidInputError(f"{what} must be an absolute path", hint=SPEC_HINT)
    return Path(text)


def _text(spec: Mapping[str, object], key: str) -> str:
    value = spec.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"the witness option {key!a} must be a non-empty text")
    return value


def _shown(spec: str) -> str:
    """A spec as error messages show it: without a query, which could carry a token."""

    return repr(spec.partition("?")[0])


def witness_publisher_for(settings: Settings) -> WitnessPublisher:
    """The deployment's witnesses: the application database, then the configured outside ones."""

    from botwarden.audit.witnesses.database import DatabaseWitness
    from botwarden.audit.witnesses.publisher import WitnessPublisher
    from botwarden.store import create_engine

    outside = witnesses_from_config(settings.audit.witnesses)
    database = DatabaseWitness(create_engine(settings.database_url), owns_engine=True)
    return WitnessPublisher([database, *outside])
