"""PostgreSQL's SCRAM-SHA-256 password verifier, computed locally so the password never travels."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from botwarden.crypto import Sensitive
from botwarden.errors import InvalidInputError

DEFAULT_ITERATIONS = 4096
SALT_BYTES = 16
_PRINTABLE_ASCII = range(0x20, 0x7F)


def scram_sha256_verifier(
    password: Sensitive[str], *, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None
) -> str:
    """The verifier PostgreSQL stores for ``password``, in its ``rolpassword`` format.

    (1) RFC 5802 §2.2 and RFC 4013: Normalize(password) is SASLprep, which
        leaves printable ASCII unchanged; other characters are refused here
        rather than normalised;
    (2) RFC 5802 §3 with RFC 7677: SaltedPassword = Hi(password, salt, i), Hi
        being PBKDF2 with HMAC-SHA-256;
    (3) ClientKey = HMAC(SaltedPassword, "Client Key"), StoredKey = H(ClientKey);
    (4) ServerKey = HMAC(SaltedPassword, "Server Key");
    (5) PostgreSQL stores ``SCRAM-SHA-256$<i>:<salt>$<StoredKey>:<ServerKey>``
        with each binary part in base64.
    """

    if iterations < DEFAULT_ITERATIONS:
        raise ValueError(f"SCRAM needs at least {DEFAULT_ITERATIONS} iterations")
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    if len(salt) < SALT_BYTES:
        raise ValueError(f"the SCRAM salt needs at least {SALT_BYTES} bytes")

    # (1)
    text = password.reveal()
    if not text or any(ord(character) not in _PRINTABLE_ASCII for character in text):
        raise InvalidInputError(
            "a SCRAM verifier is computed only for a non-empty printable ASCII password",
            hint="Rotate with an ASCII alphabet (the default is URL-safe characters).",
        )

    # (2)
    salted = hashlib.pbkdf2_hmac("sha256", text.encode("ascii"), salt, iterations)

    # (3)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()

    # (4)
    server_key = hmac.digest(salted, b"Server Key", "sha256")

    # (5)
    return f"SCRAM-SHA-256${iterations}:{_b64(salt)}${_b64(stored_key)}:{_b64(server_key)}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
