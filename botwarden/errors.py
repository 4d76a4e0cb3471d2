"""The exception tree shared by every capability of botwarden.

Everything botwarden raises on purpose is a ``BotwardenError``. Each error
carries a ``hint`` that tells a person what to do about it, and a stable
``code`` that the API turns into a problem type::

    BotwardenError
    ├── ConfigError                     settings cannot be loaded or are unsafe
    │   └── UnsafeConfigError           the production safety check failed
    ├── StoreError                      the database cannot be used
    │   └── SchemaOutOfDateError        migrations have not been applied
    ├── CryptoError
    │   ├── IntegrityError              a ciphertext failed authentication (opaque)
    │   ├── WrongRootKeyError           the root key does not belong to this deployment
    │   ├── KeyFileError                a key file is missing, corrupt or unsafe
    │   ├── WrongPassphraseError        a sealed key did not open with this passphrase
    │   ├── SealedError                 the root key has not been loaded yet
    │   ├── NoteError                   a signed note is malformed or unsigned (audit.note)
    │   ├── CheckpointError             a checkpoint is malformed (audit.checkpoint)
    │   └── ProofError                  a Merkle proof does not verify (audit.merkle_proofs)
    ├── AuditError
    │   ├── AuditUnavailableError       the action was refused: it could not be recorded
    │   ├── AuditWriterBusyError        another process is the store's writer
    │   ├── AuditStoreFailedError       the store failed to make records durable and stopped
    │   │   └── AuditStoreMovedError    another writer appended first (audit.stores.postgres)
    │   ├── AuditTamperedError          verification found the log altered
    │   ├── WitnessError                a witness could not take a checkpoint (audit.witnesses)
    │   └── ExportError                 a record could not be exported (audit.exporters)
    ├── VaultError
    │   ├── InvalidInputError           a name, path, field or value was refused
    │   ├── NotFoundError               an environment, secret or version does not exist
    │   ├── ConflictError               the request clashes with the stored state
    │   └── RotationError               a rotation plugin could not finish
    └── ServerError                     the HTTP server could not start or be reached
        └── TooManyAttemptsError        a client failed too often and must wait

Errors of one capability's own format live beside it (the module in brackets).
Foreign exceptions (SQLAlchemy, cryptography, httpx) are translated where they
enter botwarden's code, chained with ``from``.
"""

from __future__ import annotations


class BotwardenError(Exception):
    """The base of every error botwarden raises on purpose."""

    code = "error"
    default_hint = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint

    def __str__(self) -> str:
        return self.message


class ConfigError(BotwardenError):
    code = "config-invalid"


class UnsafeConfigError(ConfigError):
    code = "config-unsafe"


class StoreError(BotwardenError):
    code = "store-unavailable"


class SchemaOutOfDateError(StoreError):
    code = "schema-out-of-date"
    default_hint = "Run `botwarden db upgrade` to apply the pending migrations."


class CryptoError(BotwardenError):
    code = "crypto-error"


class IntegrityError(CryptoError):
    """A ciphertext did not authenticate: wrong key, tampered bytes or wrong place.

    NOTE: every cause gives the same message on purpose, so that the error is
    no oracle for an attacker probing which part of a ciphertext they broke.
    """

    code = "integrity-error"

    def __init__(self) -> None:
        super().__init__(
            "stored data failed its integrity check",
            hint="The data was altered, moved, or encrypted under another key. "
            "Restore it from a backup.",
        )


class WrongRootKeyError(CryptoError):
    code = "wrong-root-key"
    default_hint = (
        "Load the root key this deployment was initialised with, or restore it "
        "with `botwarden init --restore BACKUP`."
    )


class KeyFileError(CryptoError):
    code = "key-file-invalid"


class WrongPassphraseError(CryptoError):
    code = "wrong-passphrase"
    default_hint = "Check the passphrase and try again."


class SealedError(CryptoError):
    code = "sealed"
    default_hint = "Unseal it with `botwarden unseal`."


class AuditError(BotwardenError):
    code = "audit-error"


class AuditUnavailableError(AuditError):
    """Fail closed: an action that cannot be recorded is refused."""

    code = "audit-unavailable"
    default_hint = (
        "The action was not carried out because the audit log could not record it. "
        "Check `botwarden audit verify` and the disk or database of the audit store."
    )


class AuditWriterBusyError(AuditError):
    code = "audit-writer-busy"


class AuditStoreFailedError(AuditError):
    code = "audit-store-failed"
    default_hint = "Restart botwarden once the storage problem is fixed; nothing was retried."


class AuditTamperedError(AuditError):
    code = "audit-tampered"


class VaultError(BotwardenError):
    code = "vault-error"


class InvalidInputError(VaultError):
    code = "invalid-input"


class NotFoundError(VaultError):
    code = "not-found"


class ConflictError(VaultError):
    code = "conflict"


class RotationError(VaultError):
    code = "rotation-failed"


class ServerError(BotwardenError):
    code = "server-error"


class TooManyAttemptsError(ServerError):
    """A client failed too often recently; ``retry_after`` says when it may try again."""

    code = "too-many-attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "too many failed attempts from this address",
            hint=f"Wait {retry_after} seconds before trying again.",
        )
        self.retry_after = retry_after
