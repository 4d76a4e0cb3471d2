"""The home directory: created private, and the config file that `init` writes."""

from __future__ import annotations

import os
from pathlib import Path

from botwarden.config.settings import Settings
from botwarden.errors import ConfigError


def ensure_home(settings: Settings) -> None:
    """Create the home and its key and TLS folders, readable by the owner only."""

    for folder in (settings.home, settings.keys_dir, settings.tls_dir):
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(folder, 0o700)
        except OSError as error:
            raise ConfigError(
                f"cannot create {folder}: {error.strerror}",
                hint="Set BOTWARDEN_HOME to a directory you can write.",
            ) from error


def write_config_file(settings: Settings) -> Path:
    """Write a commented ``config.toml`` that records the choices made at `init`."""

    path = settings.config_file
    text = (
        "# botwarden settings. Environment variables BOTWARDEN_* override these.\n"
        f'deployment = "{settings.deployment}"\n'
        "debug = false\n"
        "\n"
        "[server]\n"
        f'host = "{settings.server.host}"\n'
        f"port = {settings.server.port}\n"
        "tls = true\n"
        "\n"
        "[keys]\n"
        "# file: keys/root.key (mode 0600); passphrase: sealed until `botwarden unseal`;\n"
        "# env: read from BOTWARDEN_ROOT_KEY and removed from the environment at once.\n"
        f'source = "{settings.keys.source}"\n'
        "\n"
        "[vault]\n"
        f"max_versions = {settings.vault.max_versions}\n"
    )
    if not settings.database_url.startswith("sqlite"):
        text += "\n# The database URL comes from BOTWARDEN_DATABASE_URL.\n"

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path
