"""Environment keys: created and unwrapped under the root key, cached, and rotated.

The hierarchy is root key → one key-encryption key per environment (several
versions while a rotation runs) → one data key per secret version. Each layer
is AES-256-GCM with associated data naming exactly what the key belongs to.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from botwarden import audit
from botwarden.crypto import RootKey, generate_key, open_sealed, seal
from botwarden.errors import IntegrityError, NotFoundError, WrongRootKeyError
from botwarden.logs import get_logger
from botwarden.store import environments_table, transaction, utcnow
from botwarden.vault.models import environment_keys_table, root_key_table

log = get_logger(__name__)


def environment_key_context(environment: str, version: int) -> bytes:
    """Associated data binding an environment key to its environment and version."""

    return json.dumps(["environment-key", environment, version]).encode("utf-8")


class Keyring:
    """Unwraps environment keys with the root key and keeps them in memory.

    Environment key versions never change once written, so the cache needs no
    invalidation: a rotation adds a version, and retires old ones only after
    nothing refers to them. A root key rotated by this process replaces the
    root in place; the previous root is kept in memory so that reads which
    began before the switch still open what they fetched.
    """

    def __init__(self, root: RootKey) -> None:
        self._roots = [root]
        self._cache: dict[tuple[int, int], bytes] = {}
        self._lock = threading.Lock()

    @property
    def root(self) -> RootKey:
        return self._roots[0]

    def adopt(self, new_root: RootKey) -> None:
        """Make ``new_root`` current once the database has switched to it."""

        with self._lock:
            self._roots = [new_root, *self._roots[:1]]

    @classmethod
    def open(cls, engine: Engine, candidates: Iterable[RootKey]) -> Keyring:
        """The keyring for the first candidate key whose fingerprint the database records."""

        with transaction(engine) as connection:
            recorded = connection.execute(select(root_key_table.c.fingerprint)).scalar()

        if recorded is None:
            raise NotFoundError(
                "this database has not been initialised",
                hint="Run `botwarden init` first.",
            )

        for candidate in candidates:
            if candidate.fingerprint == recorded:
                return cls(candidate)

        raise WrongRootKeyError(
            f"the root key does not belong to this deployment (it expects key {recorded[:16]})"
        )

    def create_environment_key(
        self, connection: Connection, environment_id: int, environment: str, version: int
    ) -> bytes:
        """Generate, wrap and store a new key version for ``environment``."""

        key = generate_key()
        wrapped = seal(self.root.material(), key, environment_key_context(environment, version))
        connection.execute(
            insert(environment_keys_table).values(
                environment_id=environment_id,
                version=version,
                wrapped_key=wrapped,
                created_at=utcnow(),
            )
        )
        return key

    def environment_key(
        self, connection: Connection, environment_id: int, environment: str, version: int
    ) -> bytes:
        """The unwrapped key ``version`` of an environment."""

        cached = self._cache.get((environment_id, version))
        if cached is not None:
            return cached

        wrapped = connection.execute(
            select(environment_keys_table.c.wrapped_key).where(
                environment_keys_table.c.environment_id == environment_id,
                environment_keys_table.c.version == version,
            )
        ).scalar()
        if wrapped is None:
            raise IntegrityError

        key = self._unwrap(connection, wrapped, environment_key_context(environment, version))
        with self._lock:
            self._cache[(environment_id, version)] = key
        return key

    def _unwrap(self, connection: Connection, wrapped: bytes, context: bytes) -> bytes:
        roots = self._roots
        for root in roots:
            try:
                return open_sealed(root.material(), wrapped, context)
            except IntegrityError:
                continue

        self._check_still_in_force(connection)
        raise IntegrityError

    def _check_still_in_force(self, connection: Connection) -> None:
        """Tell a root key rotated by another process apart from damaged data."""

        recorded = connection.execute(select(root_key_table.c.fingerprint)).scalar()
        if recorded != self.root.fingerprint:
            raise WrongRootKeyError(
                "the root key was rotated by another process since this one loaded it",
                hint="Restart this process (or unseal the server again) to load the new key.",
            )

    def current_version(self, connection: Connection, environment_id: int) -> int:
        version = connection.execute(
            select(func.max(environment_keys_table.c.version)).where(
                environment_keys_table.c.environment_id == environment_id
            )
        ).scalar()
        if version is None:
            raise IntegrityError
        return int(version)

    def forget(self, environment_id: int, versions: Iterable[int]) -> None:
        with self._lock:
            for version in versions:
                self._cache.pop((environment_id, version), None)


def record_root_key(connection: Connection, root: RootKey) -> None:
    """Store the fingerprint of the first root key of a new deployment."""

    connection.execute(
        insert(root_key_table).values(id=1, fingerprint=root.fingerprint, created_at=utcnow())
    )


def rotate_root_key(
    engine: Engine, keyring: Keyring, new_root: RootKey, *, actor: str = "system:botwarden"
) -> Keyring:
    """Re-wrap every environment key under ``new_root`` in one transaction, then adopt it.

    The caller persists ``new_root`` before calling: if this transaction does
    not commit, the old key stays in force.
    """

    rows = environment_keys_table.join(
        environments_table, environment_keys_table.c.environment_id == environments_table.c.id
    )
    with transaction(engine, write=True) as connection:
        keys = connection.execute(
            select(
                environment_keys_table.c.id,
                environment_keys_table.c.version,
                environment_keys_table.c.wrapped_key,
                environments_table.c.name,
            ).select_from(rows)
        ).all()

        for key_id, version, wrapped, environment in keys:
            context = environment_key_context(environment, version)
            material = open_sealed(keyring.root.material(), wrapped, context)
            connection.execute(
                update(environment_keys_table)
                .where(environment_keys_table.c.id == key_id)
                .values(wrapped_key=seal(new_root.material(), material, context))
            )

        connection.execute(
            update(root_key_table)
            .where(root_key_table.c.id == 1)
            .values(fingerprint=new_root.fingerprint, rotated_at=utcnow())
        )
        details = {"fingerprint": new_root.fingerprint[:16], "environment_keys": len(keys)}
        audit.record("key.rotate_root", actor=actor, target="root-key", details=details)

    keyring.adopt(new_root)
    log.info("root_key_rotated", environment_keys=len(keys), fingerprint=new_root.fingerprint[:16])
    return keyring


def retire_unused_environment_keys(
    connection: Connection, keyring: Keyring, environment_id: int, current: int, in_use: set[int]
) -> list[int]:
    """Delete the old key versions of an environment that no data key refers to any more."""

    old_versions = connection.execute(
        select(environment_keys_table.c.version).where(
            environment_keys_table.c.environment_id == environment_id,
            environment_keys_table.c.version < current,
        )
    ).scalars()
    retired = [version for version in old_versions if version not in in_use]
    if retired:
        connection.execute(
            delete(environment_keys_table).where(
                environment_keys_table.c.environment_id == environment_id,
                environment_keys_table.c.version.in_(retired),
            )
        )
        keyring.forget(environment_id, retired)
    return retired
