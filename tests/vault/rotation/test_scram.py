"""Tests of the SCRAM-SHA-256 verifier: RFC 7677 and PostgreSQL known answers, and a live login."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from botwarden.crypto import Sensitive
from botwarden.errors import InvalidInputError
from botwarden.vault.rotation.scram import scram_sha256_verifier
from tests.vault.rotation.cluster import PrivateCluster

VECTORS = json.loads((Path(__file__).parent / "vectors" / "scram_sha256.json").read_text())


def _parts(verifier: str) -> tuple[int, bytes, bytes, bytes]:
    scheme, rest = verifier.split("$", 1)
    assert scheme == "SCRAM-SHA-256"
    salting, keys = rest.split("$")
    iterations, salt = salting.split(":")
    stored_key, server_key = keys.split(":")
    decode = base64.b64decode
    return int(iterations), decode(salt), decode(stored_key), decode(server_key)


def test_verifier_proves_the_rfc7677_exchange() -> None:
    vector: dict[str, Any] = VECTORS["rfc7677"]
    salt = base64.b64decode(vector["salt"])
    auth_message = vector["auth_message"].encode()

    verifier = scram_sha256_verifier(
        Sensitive(vector["password"]), salt=salt, iterations=vector["iterations"]
    )

    _, _, stored_key, server_key = _parts(verifier)
    client_signature = hmac.digest(stored_key, auth_message, "sha256")
    proof = base64.b64decode(vector["client_proof"])
    client_key = bytes(a ^ b for a, b in zip(proof, client_signature, strict=True))
    assert hashlib.sha256(client_key).digest() == stored_key
    server_signature = hmac.digest(server_key, auth_message, "sha256")
    assert base64.b64encode(server_signature).decode() == vector["server_signature"]


@pytest.mark.parametrize("vector", VECTORS["postgresql"]["vectors"], ids=lambda v: v["password"])
def test_verifier_matches_what_postgresql_stored(vector: dict[str, str]) -> None:
    iterations, salt, _, _ = _parts(vector["verifier"])

    verifier = scram_sha256_verifier(
        Sensitive(vector["password"]), salt=salt, iterations=iterations
    )

    assert verifier == vector["verifier"]


def test_verifier_matches_an_independent_derivation_with_a_fixed_salt() -> None:
    password, salt, iterations = "Tr0ub4dor&3", bytes(range(16)), 4096
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    stored = hashlib.sha256(hmac.new(salted, b"Client Key", hashlib.sha256).digest()).digest()
    server = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    expected = "SCRAM-SHA-256$4096:{}${}:{}".format(
        *(base64.b64encode(part).decode() for part in (salt, stored, server))
    )

    assert scram_sha256_verifier(Sensitive(password), salt=salt) == expected


def test_each_verifier_gets_a_fresh_16_byte_salt() -> None:
    first = scram_sha256_verifier(Sensitive("same password"))
    second = scram_sha256_verifier(Sensitive("same password"))

    assert first != second
    assert _parts(first)[0] == 4096
    assert len(_parts(first)[1]) == 16


@pytest.mark.parametrize("password", ["", "pässword", "tab\there", "nul\x00"])
def test_password_outside_printable_ascii_is_refused(password: str) -> None:
    with pytest.raises(InvalidInputError, match="printable ASCII"):
        scram_sha256_verifier(Sensitive(password))


def test_weak_parameters_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="iterations"):
        scram_sha256_verifier(Sensitive("x"), iterations=1000)
    with pytest.raises(ValueError, match="salt"):
        scram_sha256_verifier(Sensitive("x"), salt=b"short")


def test_role_created_with_the_verifier_logs_in_with_its_password(
    cluster: PrivateCluster, role: str
) -> None:
    cluster.create_role(role, "known-answer-password")

    assert cluster.can_log_in(role, "known-answer-password")
    assert not cluster.can_log_in(role, "known-answer-passwore")


def test_verifier_matches_what_the_running_server_computes(
    cluster: PrivateCluster, role: str
) -> None:
    with cluster.connect() as connection:
        connection.execute("SET log_statement = 'none'")
        connection.execute("SET password_encryption = 'scram-sha-256'")
        connection.execute(
            psycopg.sql.SQL("CREATE ROLE {} PASSWORD 'server-side p@ss'").format(
                psycopg.sql.Identifier(role)
            )
        )
    stored = cluster.stored_verifier(role)
    iterations, salt, _, _ = _parts(stored)

    assert (
        scram_sha256_verifier(Sensitive("server-side p@ss"), salt=salt, iterations=iterations)
        == stored
    )
