"""The rotation policy stored with a secret: the name of its plugin and the plugin's options."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select

from botwarden.errors import NotFoundError, RotationError
from botwarden.store import environments_table, transaction
from botwarden.vault.models import secrets_table
from botwarden.vault.names import SecretName
from botwarden.vault.service import Vault

_POLICY = select(secrets_table.c.rotation_plugin, secrets_table.c.rotation_options).select_from(
    environments_table.join(
        secrets_table, secrets_table.c.environment_id == environments_table.c.id
    )
)


@dataclass(frozen=True)
class StoredPolicy:
    plugin: str | None
    options: dict[str, object] = field(default_factory=dict)


def read_policy(vault: Vault, name: SecretName) -> StoredPolicy:
    """The plugin and options recorded by ``Vault.set_policy`` for ``name``."""

    with transaction(vault.engine) as connection:
        row = connection.execute(
            _POLICY.where(
                environments_table.c.name == name.environment,
                secrets_table.c.path == name.path,
            )
        ).first()
    if row is None:
        raise NotFoundError(f"no secret {name}")

    try:
        options = json.loads(row.rotation_options) if row.rotation_options else {}
    except json.JSONDecodeError:
        options = None
    if not isinstance(options, dict):
        raise RotationError(
            f"the stored rotation options of {name} are not a JSON object",
            hint="Set the secret's rotation policy again.",
        )
    return StoredPolicy(plugin=row.rotation_plugin, options=options)
