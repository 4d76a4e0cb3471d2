"""Whether this server holds its root key, and unsealing it with a passphrase."""

from __future__ import annotations

import threading
from collections.abc import Callable

from fastapi import Request

from botwarden import audit
from botwarden.crypto import Sensitive
from botwarden.errors import BotwardenError, SealedError, TooManyAttemptsError, WrongPassphraseError
from botwarden.server.ratelimit import FailureLimiter
from botwarden.vault import Vault

VaultOpener = Callable[[Sensitive[str]], Vault]

ACTION = "sys.unseal"
TARGET = "root-key"


class SealState:
    """The deployment's vault once the root key is loaded, and the way to load it.

    Unseal attempts run one at a time. NOTE: besides bounding the memory that
    concurrent Argon2 derivations take, this closes the race in which many
    parallel guesses would all pass the rate limit before any failure counted.
    """

    def __init__(
        self, opener: VaultOpener, limiter: FailureLimiter, *, vault: Vault | None = None
    ) -> None:
        self._opener = opener
        self._limiter = limiter
        self._vault = vault
        self._lock = threading.Lock()

    @property
    def sealed(self) -> bool:
        return self._vault is None

    @property
    def vault(self) -> Vault:
        """The unlocked vault; raises ``SealedError`` while the server is sealed."""

        if self._vault is None:
            raise SealedError("the server is sealed")
        return self._vault

    def unseal(self, passphrase: Sensitive[str], *, client: str) -> None:
        """Open the root key with ``passphrase``; an unsealed server accepts the call as is."""

        with self._lock:
            if self._vault is not None:
                _audit(client, "allowed", already_unsealed=True)
                return

            try:
                self._limiter.check(client)
            except TooManyAttemptsError:
                _audit(client, "denied", reason="rate-limited")
                raise

            self._vault = self._open(passphrase, client)
            self._limiter.forget(client)
            _audit(client, "allowed")

    def _open(self, passphrase: Sensitive[str], client: str) -> Vault:
        try:
            return self._opener(passphrase)
        except WrongPassphraseError:
            self._limiter.record_failure(client)
            _audit(client, "denied", reason="wrong-passphrase")
            raise
        except BotwardenError as error:
            _audit(client, "failed", reason=error.code)
            raise
        except Exception:
            _audit(client, "failed", reason="internal-error")
            raise


def _audit(client: str, outcome: audit.Outcome, **details: object) -> None:
    # Before identities exist nobody is signed in: the caller is known only by address.
    audit.record(
        ACTION,
        actor="user:anonymous",
        target=TARGET,
        outcome=outcome,
        source=client,
        details=details,
    )


def seal_state(request: Request) -> SealState:
    """The application's seal state (a FastAPI dependency)."""

    state = request.app.state.seal
    if not isinstance(state, SealState):
        raise TypeError("the application has no seal state")
    return state


def require_vault(request: Request) -> Vault:
    """The unlocked vault, for routes that need it (a FastAPI dependency)."""

    return seal_state(request).vault
