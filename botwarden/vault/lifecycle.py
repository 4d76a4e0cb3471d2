"""The end of a version's life: soft delete, undelete, and destroy for good."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import delete, update

from botwarden import audit
from botwarden.errors import ConflictError, InvalidInputError, NotFoundError
from botwarden.store import transaction
from botwarden.vault.lookup import require_secret, version_states
from botwarden.vault.models import secrets_table, versions_table
from botwarden.vault.names import SecretName

if TYPE_CHECKING:
    from botwarden.vault.service import Vault


def change_state(
    vault: Vault,
    name: SecretName,
    chosen: Sequence[int] | None,
    *,
    actor: str,
    source: str,
    target: str,
) -> list[int]:
    """Move versions (the current one by default) from state ``source`` to ``target``."""

    with transaction(vault.engine, write=True) as connection:
        secret = require_secret(connection, name)
        wanted = list(chosen or ([secret.current_version] if secret.current_version else []))
        if not wanted:
            raise NotFoundError(f"{name} has no current version")

        states = version_states(connection, secret.id, name, wanted)
        wrong = [version for version in wanted if states[version] != source]
        if wrong:
            raise ConflictError(
                f"{name} version {wrong[0]} is {states[wrong[0]]}, not {source}",
                hint="`botwarden secret history` shows the state of each version.",
            )

        connection.execute(
            update(versions_table)
            .where(versions_table.c.secret_id == secret.id, versions_table.c.version.in_(wanted))
            .values(state=target, deleted_at=vault.now() if target == "deleted" else None)
        )
        action = "secret.delete" if target == "deleted" else "secret.undelete"
        audit.record(action, actor=actor, target=str(name), details={"versions": wanted})

    return sorted(wanted)


def destroy_versions(
    vault: Vault, name: SecretName, chosen: Sequence[int], *, actor: str
) -> list[int]:
    """Erase the ciphertext and data key of versions for good; their metadata stays."""

    if not chosen:
        raise InvalidInputError("name the versions to destroy", hint="Use --version N or --all.")

    with transaction(vault.engine, write=True) as connection:
        secret = require_secret(connection, name)
        version_states(connection, secret.id, name, chosen)
        connection.execute(
            update(versions_table)
            .where(versions_table.c.secret_id == secret.id, versions_table.c.version.in_(chosen))
            .values(
                state="destroyed",
                ciphertext=None,
                wrapped_data_key=None,
                key_version=None,
                destroyed_at=vault.now(),
            )
        )
        details = {"versions": list(chosen)}
        audit.record("secret.destroy", actor=actor, target=str(name), details=details)

    return sorted(chosen)


def destroy_secret(vault: Vault, name: SecretName, *, actor: str) -> None:
    """Erase a secret with every version and its metadata."""

    with transaction(vault.engine, write=True) as connection:
        secret = require_secret(connection, name)
        connection.execute(delete(versions_table).where(versions_table.c.secret_id == secret.id))
        connection.execute(delete(secrets_table).where(secrets_table.c.id == secret.id))
        details = {"versions": "all"}
        audit.record("secret.destroy", actor=actor, target=str(name), details=details)
