"""What local CLI commands share: settings, the unlocked vault, and who is acting."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

from botwarden.cli.output import prompt_hidden

if TYPE_CHECKING:
    from botwarden.config import Settings
    from botwarden.crypto import Sensitive
    from botwarden.vault import Vault


def settings() -> Settings:
    from botwarden.config import load_settings

    return load_settings()


def local_actor() -> str:
    """The bootstrap actor: the system, on behalf of the operating-system user."""

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"system:{user}"


def root_passphrase(current: Settings) -> Sensitive[str] | None:
    """Ask for the root key passphrase when the key is sealed under one."""

    from botwarden.crypto import Sensitive

    if current.keys.source != "passphrase":
        return None
    return Sensitive(prompt_hidden("Root key passphrase"))


def open_local_vault(current: Settings | None = None) -> Vault:
    """The vault of the local home, unlocked from the configured key source."""

    from botwarden.vault import open_vault

    current = current or settings()
    return open_vault(current, passphrase=root_passphrase(current))
