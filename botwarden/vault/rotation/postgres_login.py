"""Logins and statements against a PostgreSQL server, with passwords masked out of every error."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from botwarden.crypto import Sensitive
from botwarden.logs import get_logger
from botwarden.vault.rotation.interface import RotationPluginError, SecretFields
from botwarden.vault.rotation.masking import shown
from botwarden.vault.rotation.passwords import PasswordPolicy, generate_password

log = get_logger(__name__)

SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
DEFAULT_DATABASE = "postgres"
DEFAULT_PORT = 5432
FIELDS_HINT = "A PostgreSQL secret has the fields host, port, username, password and database."
STATEMENT_TIMEOUT_MS = 30_000
LOGIN_HINT = "Check the host, port, role and password, and that the server is reachable."
_ALTER_HINTS = {
    "42501": "The admin role needs CREATEROLE or superuser to change another role's password.",
    "42704": "The role does not exist on that server; check the secret's username.",
}

Connection = psycopg.Connection[TupleRow]


@dataclass(frozen=True)
class ConnectionSettings:
    """How botwarden reaches the server: TLS checks, time limit, required authentication."""

    sslmode: str = "verify-full"
    sslrootcert: str | None = None
    connect_timeout: int = 10
    unsafe_allow_weaker_auth: bool = False


@dataclass(frozen=True)
class Login:
    """Where and as whom to log in; the password stays masked until the driver takes it."""

    host: str
    port: int
    database: str
    username: str
    password: Sensitive[str]

    def __str__(self) -> str:
        return f"role {self.username!a} on {self.host}:{self.port}"


@dataclass(frozen=True)
class Refused:
    """A login the server or the driver refused: its masked message, and if a password was sent."""

    message: str
    used_password: bool


class Session:
    """Connections for one rotation step, with every known password masked out of errors."""

    def __init__(self, settings: ConnectionSettings, secret: str) -> None:
        self.settings = settings
        self.secret = secret
        self.passwords: list[Sensitive[str]] = []

    def hide(self, *passwords: Sensitive[str] | None) -> None:
        self.passwords.extend(password for password in passwords if password is not None)

    def attempt(self, login: Login) -> Connection | Refused:
        """Log in, or say how the login was refused.

        NOTE: a psycopg error keeps the connection's parameters, password
        included, in ``error.pgconn``; only its masked text leaves this method,
        and the error is never chained to one of ours.
        """

        self.hide(login.password)
        try:
            return psycopg.connect(**self._parameters(login))
        except psycopg.Error as error:
            used = bool(getattr(error.pgconn, "used_password", False))
            return Refused(shown(str(error), self.passwords), used)

    def connect(self, login: Login, what: str, *, hint: str = LOGIN_HINT) -> Connection:
        attempt = self.attempt(login)
        if isinstance(attempt, Refused):
            raise RotationPluginError(
                f"could not log in to {login} with {what}: {attempt.message}", hint=hint
            )
        return attempt

    def refused_as_wrong(self, refused: Refused, login: Login) -> bool:
        """Whether ``refused`` is the server's answer to a wrong password (SQLSTATE 28P01).

        NOTE: libpq gives no SQLSTATE for a failure during start-up, and the
        server words it in its own language, so the refusal is compared with
        that of a random password, which is certainly wrong.
        """

        probe = self.attempt(replace(login, password=generate_password(PasswordPolicy())))
        if not isinstance(probe, Refused):
            probe.close()
            return False
        return refused.used_password and probe.used_password and refused.message == probe.message

    def set_verifier(self, connection: Connection, role: str, verifier: str) -> None:
        """``ALTER ROLE <role> PASSWORD '<verifier>'``, quoted by psycopg.sql."""

        statement = sql.SQL("ALTER ROLE {} PASSWORD {}").format(
            sql.Identifier(role), sql.Literal(verifier)
        )
        try:
            connection.execute(statement)
        except psycopg.Error as error:
            state, message = error.sqlstate or "", shown(str(error), self.passwords)
        else:
            return
        raise RotationPluginError(
            f"the server refused to change the password of role {role!a}: {message}",
            hint=_ALTER_HINTS.get(state, "Check the server's log for the failed ALTER ROLE."),
        )

    def _parameters(self, login: Login) -> dict[str, Any]:
        """Keyword parameters for libpq; never a DSN string that an error could quote."""

        parameters: dict[str, Any] = {
            "host": login.host,
            "port": login.port,
            "dbname": login.database,
            "user": login.username,
            "password": login.password.reveal(),
            "sslmode": self.settings.sslmode,
            "connect_timeout": self.settings.connect_timeout,
            "application_name": "botwarden-rotation",
            "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
            "autocommit": True,
        }
        if self.settings.sslrootcert is not None:
            parameters["sslrootcert"] = self.settings.sslrootcert
        if self.settings.unsafe_allow_weaker_auth:
            log.warning("secret.rotate.unsafe_weaker_auth", secret=self.secret, host=login.host)
        else:
            parameters["require_auth"] = "scram-sha-256"
        return parameters


def login_of(
    fields: SecretFields,
    source: str,
    *,
    default_host: str | None = None,
    default_port: int = DEFAULT_PORT,
) -> Login:
    """The login a secret's fields describe; refuses a secret that lacks one of them."""

    def text(key: str, default: str | None = None) -> str:
        value = fields.get(key)
        if value is not None and value.reveal():
            return value.reveal()
        if default is None:
            raise RotationPluginError(f"the {source} has no field {key!a}", hint=FIELDS_HINT)
        return default

    port = text("port", str(default_port))
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise RotationPluginError(f"the {source}'s field 'port' is not a TCP port number")
    return Login(
        host=text("host", default_host),
        port=int(port),
        database=text("database", DEFAULT_DATABASE),
        username=text("username"),
        password=Sensitive(text("password")),
    )
