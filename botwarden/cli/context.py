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


def open_audit(current: Settings) -> None:
    """Make the deployment's audit log this command's; it closes when the command ends.

    The log is opened when the command first records something (through the
    running server's socket when there is one, else as its writer), so that
    commands that only read never pay for opening it.
    """

    import click

    from botwarden import audit
    from botwarden.audit.log import LazyAuditLog

    if audit.current() is not None:
        return
    log = LazyAuditLog(current)
    audit.install(log)

    def close() -> None:
        audit.uninstall()
        log.close()

    context = click.get_current_context(silent=True)
    if context is not None:
        context.find_root().call_on_close(close)


def open_local_vault(current: Settings | None = None) -> Vault:
    """The vault of the local home, unlocked from the configured key source, with its audit log."""

    from botwarden.vault import open_vault

    current = current or settings()
    vault = open_vault(current, passphrase=root_passphrase(current))
    open_audit(current)
    return vault
