"""The production safety check (P19): refuse to serve prod in an unsafe configuration."""

from __future__ import annotations

import ipaddress
import stat

from botwarden.config.settings import Settings
from botwarden.errors import UnsafeConfigError


def is_loopback(host: str) -> bool:
    """True when ``host`` names only this machine."""

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def production_problems(settings: Settings) -> list[str]:
    """Every reason this configuration is unsafe for production, each with its fix."""

    problems: list[str] = []

    if settings.debug:
        problems.append("debug is on: set `debug = false` in config.toml and unset BOTWARDEN_DEBUG")

    if not settings.server.tls and not is_loopback(settings.server.host):
        problems.append(
            f"plain HTTP on the non-loopback address {settings.server.host}: set "
            "`[server] tls = true`, or bind to 127.0.0.1 behind a TLS proxy"
        )

    key_file = settings.root_key_file
    if settings.keys.source == "file" and key_file.exists():
        mode = stat.S_IMODE(key_file.stat().st_mode)
        if mode & 0o077:
            problems.append(
                f"the root key file {key_file} is readable by others (mode {mode:04o}): "
                f"run `chmod 600 {key_file}`"
            )

    return problems


def check_production_safety(settings: Settings) -> None:
    """Raise if ``settings`` describe a prod deployment that must not start."""

    if settings.deployment != "prod":
        return

    problems = production_problems(settings)
    if problems:
        raise UnsafeConfigError(
            "refusing to start a prod deployment:\n  - " + "\n  - ".join(problems),
            hint="Fix each point above, or mark a non-production deployment with "
            '`deployment = "dev"` in config.toml.',
        )
