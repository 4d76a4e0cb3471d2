"""Settings of a botwarden deployment: defaults, the TOML file, environment overrides."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from botwarden.errors import ConfigError

KeySource = Literal["file", "passphrase", "env"]
Deployment = Literal["dev", "test", "prod"]

KEY_SOURCES: tuple[KeySource, ...] = ("file", "passphrase", "env")
DEPLOYMENTS: tuple[Deployment, ...] = ("dev", "test", "prod")
CONFIG_FILE_NAME = "config.toml"
ROOT_KEY_ENV_VAR = "BOTWARDEN_ROOT_KEY"


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8443
    tls: bool = True
    cert_file: Path | None = None
    key_file: Path | None = None


@dataclass(frozen=True)
class KeySettings:
    source: KeySource = "file"
    env_var: str = ROOT_KEY_ENV_VAR


@dataclass(frozen=True)
class VaultSettings:
    max_versions: int = 10
    rewrap_batch_size: int = 500


@dataclass(frozen=True)
class AuditSettings:
    """Where the audit log lives, how often it is checkpointed, and its outside witnesses."""

    database_url: str = field(default="", repr=False)
    checkpoint_every: int = 1000
    checkpoint_interval: int = 10
    witnesses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    """Everything a botwarden process needs to know before it touches data."""

    home: Path
    deployment: Deployment = "prod"
    debug: bool = False
    database_url: str = field(default="", repr=False)
    server: ServerSettings = field(default_factory=ServerSettings)
    keys: KeySettings = field(default_factory=KeySettings)
    vault: VaultSettings = field(default_factory=VaultSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)

    @property
    def audit_dir(self) -> Path:
        return self.home / "audit"

    @property
    def config_file(self) -> Path:
        return self.home / CONFIG_FILE_NAME

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def root_key_file(self) -> Path:
        return self.keys_dir / "root.key"

    @property
    def sealed_root_key_file(self) -> Path:
        return self.keys_dir / "root.sealed"

    @property
    def tls_dir(self) -> Path:
        return self.home / "tls"

    @property
    def ca_cert_file(self) -> Path:
        return self.tls_dir / "ca.pem"

    @property
    def server_cert_file(self) -> Path:
        return self.server.cert_file or self.tls_dir / "server.pem"

    @property
    def server_key_file(self) -> Path:
        return self.server.key_file or self.tls_dir / "server.key"


def default_home(environ: Mapping[str, str]) -> Path:
    """``$BOTWARDEN_HOME``, or ``~/.botwarden``."""

    configured = environ.get("BOTWARDEN_HOME")
    if configured:
        return Path(configured).expanduser().absolute()

    return Path("~/.botwarden").expanduser().absolute()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from defaults, the home's ``config.toml`` and the environment."""

    environ = os.environ if environ is None else environ
    home = default_home(environ)
    settings = Settings(home=home, database_url=_default_database_url(home))

    settings = _apply_file(settings, _read_config_file(settings.config_file))
    return _apply_environment(settings, environ)


def _default_database_url(home: Path) -> str:
    return f"sqlite:///{home / 'botwarden.db'}"


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            f"{path}: not valid TOML: {error}", hint="Fix the syntax of the file and retry."
        ) from error
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror}") from error


_TOP_LEVEL_KEYS = {"deployment", "debug", "database", "server", "keys", "vault", "audit"}
_SECTION_KEYS = {
    "database": {"url"},
    "server": {"host", "port", "tls", "cert_file", "key_file"},
    "keys": {"source"},
    "vault": {"max_versions", "rewrap_batch_size"},
    "audit": {"checkpoint_every", "checkpoint_interval", "witnesses"},
}


def _apply_file(settings: Settings, data: dict[str, Any]) -> Settings:
    where = str(settings.config_file)
    _reject_unknown_keys(data, _TOP_LEVEL_KEYS, where, "")
    for section, allowed in _SECTION_KEYS.items():
        value = data.get(section, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: [{section}] must be a table")
        _reject_unknown_keys(value, allowed, where, f"{section}.")

    server = data.get("server", {})
    keys = data.get("keys", {})
    vault = data.get("vault", {})
    database = data.get("database", {})
    audit = data.get("audit", {})
    witnesses = audit.get("witnesses", [])
    if not isinstance(witnesses, list) or not all(isinstance(item, str) for item in witnesses):
        raise ConfigError(f"{where}: audit.witnesses must be a list of strings")

    return replace(
        settings,
        deployment=_deployment(data.get("deployment", settings.deployment), f"{where}: deployment"),
        debug=_boolean(data.get("debug", settings.debug), f"{where}: debug"),
        database_url=_text(database.get("url", settings.database_url), f"{where}: database.url"),
        server=ServerSettings(
            host=_text(server.get("host", settings.server.host), f"{where}: server.host"),
            port=_port(server.get("port", settings.server.port), f"{where}: server.port"),
            tls=_boolean(server.get("tls", settings.server.tls), f"{where}: server.tls"),
            cert_file=_optional_path(server.get("cert_file"), settings.home),
            key_file=_optional_path(server.get("key_file"), settings.home),
        ),
        keys=KeySettings(source=_key_source(keys.get("source", "file"), f"{where}: keys.source")),
        vault=VaultSettings(
            max_versions=_positive(vault.get("max_versions", 10), f"{where}: vault.max_versions"),
            rewrap_batch_size=_positive(
                vault.get("rewrap_batch_size", 500), f"{where}: vault.rewrap_batch_size"
            ),
        ),
        audit=AuditSettings(
            checkpoint_every=_positive(
                audit.get("checkpoint_every", 1000), f"{where}: audit.checkpoint_every"
            ),
            checkpoint_interval=_positive(
                audit.get("checkpoint_interval", 10), f"{where}: audit.checkpoint_interval"
            ),
            witnesses=tuple(witnesses),
        ),
    )


def _apply_environment(settings: Settings, environ: Mapping[str, str]) -> Settings:
    if "BOTWARDEN_DEPLOYMENT" in environ:
        settings = replace(
            settings,
            deployment=_deployment(environ["BOTWARDEN_DEPLOYMENT"], "BOTWARDEN_DEPLOYMENT"),
        )
    if "BOTWARDEN_DEBUG" in environ:
        settings = replace(settings, debug=_boolean(environ["BOTWARDEN_DEBUG"], "BOTWARDEN_DEBUG"))
    if environ.get("BOTWARDEN_DATABASE_URL"):
        settings = replace(settings, database_url=environ["BOTWARDEN_DATABASE_URL"])
    if "BOTWARDEN_HOST" in environ:
        server = replace(settings.server, host=_text(environ["BOTWARDEN_HOST"], "BOTWARDEN_HOST"))
        settings = replace(settings, server=server)
    if "BOTWARDEN_PORT" in environ:
        server = replace(settings.server, port=_port(environ["BOTWARDEN_PORT"], "BOTWARDEN_PORT"))
        settings = replace(settings, server=server)
    if "BOTWARDEN_KEY_SOURCE" in environ:
        source = _key_source(environ["BOTWARDEN_KEY_SOURCE"], "BOTWARDEN_KEY_SOURCE")
        settings = replace(settings, keys=replace(settings.keys, source=source))
    if environ.get("BOTWARDEN_AUDIT_DATABASE_URL"):
        audit = replace(settings.audit, database_url=environ["BOTWARDEN_AUDIT_DATABASE_URL"])
        settings = replace(settings, audit=audit)
    if "BOTWARDEN_MAX_VERSIONS" in environ:
        count = _positive(environ["BOTWARDEN_MAX_VERSIONS"], "BOTWARDEN_MAX_VERSIONS")
        settings = replace(settings, vault=replace(settings.vault, max_versions=count))

    return settings


def _reject_unknown_keys(data: dict[str, Any], allowed: set[str], where: str, prefix: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting {prefix}{unknown[0]}",
            hint=f"Known settings here: {', '.join(prefix + key for key in sorted(allowed))}.",
        )


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: expected a non-empty string")
    return value


def _boolean(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(value, str) and value.lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{where}: expected true or false, got {value!r}")


def _port(value: object, where: str) -> int:
    number = _integer(value, where)
    if not 1 <= number <= 65535:
        raise ConfigError(f"{where}: a port is between 1 and 65535, got {number}")
    return number


def _positive(value: object, where: str) -> int:
    number = _integer(value, where)
    if number < 1:
        raise ConfigError(f"{where}: expected a positive number, got {number}")
    return number


def _integer(value: object, where: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value)
    raise ConfigError(f"{where}: expected a number, got {value!r}")


def _deployment(value: object, where: str) -> Deployment:
    for deployment in DEPLOYMENTS:
        if value == deployment:
            return deployment
    raise ConfigError(f"{where}: expected one of {', '.join(DEPLOYMENTS)}, got {value!r}")


def _key_source(value: object, where: str) -> KeySource:
    for source in KEY_SOURCES:
        if value == source:
            return source
    raise ConfigError(f"{where}: expected one of {', '.join(KEY_SOURCES)}, got {value!r}")


def _optional_path(value: object, home: Path) -> Path | None:
    if value is None:
        return None
    path = Path(_text(value, "server certificate path")).expanduser()
    return path if path.is_absolute() else home / path
