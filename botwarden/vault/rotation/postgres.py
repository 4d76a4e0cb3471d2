"""Rotation of a PostgreSQL role's password, sent to the server only as a SCRAM verifier."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from botwarden.crypto import Sensitive
from botwarden.errors import BotwardenError
from botwarden.logs import get_logger
from botwarden.vault.names import SecretName, parse_secret_name
from botwarden.vault.rotation.interface import (
    RotationJob,
    RotationPlugin,
    RotationPluginError,
    SecretFields,
)
from botwarden.vault.rotation.options import (
    get_bool,
    get_choice,
    get_int,
    get_text,
    reject_unknown,
)
from botwarden.vault.rotation.passwords import PasswordPolicy, password_policy, with_new_password
from botwarden.vault.rotation.postgres_login import (
    SSLMODES,
    Connection,
    ConnectionSettings,
    Login,
    Refused,
    Session,
    login_of,
)
from botwarden.vault.rotation.scram import scram_sha256_verifier

log = get_logger(__name__)

PENDING_HINT = "The new password is staged but not in force; rotate again to apply it."
_OPTIONS = (
    "admin_secret",
    "sslmode",
    "sslrootcert",
    "connect_timeout",
    "unsafe_allow_weaker_auth",
    "length",
    "alphabet",
)


@dataclass(frozen=True)
class PostgresOptions:
    admin_secret: SecretName | None
    connection: ConnectionSettings
    password: PasswordPolicy


class PostgresPlugin(RotationPlugin[PostgresOptions]):
    """Changes a role's password with ``ALTER ROLE … PASSWORD '<SCRAM verifier>'``.

    The role changes its own password, logged in with its current one, unless
    ``admin_secret`` names a secret of a role allowed to alter it.
    """

    name = "postgresql"

    def validate_options(self, options: Mapping[str, object]) -> PostgresOptions:
        reject_unknown(options, _OPTIONS, self.name)
        admin = get_text(options, "admin_secret")
        connection = ConnectionSettings(
            sslmode=get_choice(options, "sslmode", SSLMODES, default="verify-full"),
            sslrootcert=get_text(options, "sslrootcert"),
            connect_timeout=get_int(options, "connect_timeout", default=10, minimum=1, maximum=300),
            unsafe_allow_weaker_auth=get_bool(options, "unsafe_allow_weaker_auth", default=False),
        )
        return PostgresOptions(
            admin_secret=parse_secret_name(admin) if admin is not None else None,
            connection=connection,
            password=password_policy(options),
        )

    def generate(
        self, current: SecretFields, options: PostgresOptions
    ) -> dict[str, Sensitive[str]]:
        login_of(current, "secret")
        return with_new_password(current, "password", options.password)

    def apply(self, job: RotationJob[PostgresOptions]) -> None:
        session = Session(job.options.connection, str(job.name))
        target, old = _logins(job)
        verifier = scram_sha256_verifier(target.password)

        if job.options.admin_secret is None:
            connection = self._own_connection(session, job, target, old)
            if connection is None:
                return
        else:
            admin = self._admin_login(job, target, session)
            connection = session.connect(admin, f"the admin secret {job.options.admin_secret}")

        with connection:
            session.set_verifier(connection, target.username, verifier)
        log.info("secret.rotate.password_set", secret=str(job.name), role=target.username)

    def verify(self, job: RotationJob[PostgresOptions]) -> None:
        """(1) the new password logs in; (2) the old one is refused as a wrong one is."""

        session = Session(job.options.connection, str(job.name))
        target, old = _logins(job)

        # (1)
        session.connect(target, "the new password", hint=PENDING_HINT).close()

        # (2)
        attempt = session.attempt(old)
        if not isinstance(attempt, Refused):
            attempt.close()
            raise RotationPluginError(
                f"{target} still accepts the old password",
                hint="The server may not check passwords on this connection (pg_hba.conf "
                "'trust'); the new value stays pending until the old one is refused.",
            )
        if not session.refused_as_wrong(attempt, target):
            raise RotationPluginError(
                f"could not confirm that {target} refuses the old password: {attempt.message}"
            )

    def _own_connection(
        self, session: Session, job: RotationJob[PostgresOptions], target: Login, old: Login
    ) -> Connection | None:
        """A connection as the role with its current password, or None if the new one is in force.

        A rotation that crashed after its apply step left the new password on
        the server: the current one is refused and the pending one logs in.
        """

        attempt = session.attempt(old)
        if not isinstance(attempt, Refused):
            return attempt

        retry = session.attempt(target)
        if isinstance(retry, Refused):
            raise RotationPluginError(
                f"{target} refuses the current password: {attempt.message}",
                hint="Neither the current nor the pending password logs in. Set the role's "
                "password by hand, store it as the secret's current value, and rotate again.",
            )
        retry.close()
        log.info("secret.rotate.already_applied", secret=str(job.name), role=target.username)
        return None

    def _admin_login(
        self, job: RotationJob[PostgresOptions], target: Login, session: Session
    ) -> Login:
        admin_name = job.options.admin_secret
        if admin_name is None or admin_name == job.name:
            raise RotationPluginError(
                f"{job.name} cannot be its own admin secret",
                hint="Leave 'admin_secret' out to have the role change its own password.",
            )
        if admin_name.environment != job.name.environment:
            raise RotationPluginError(
                f"the admin secret {admin_name} is not in the environment of {job.name}",
                hint="Environments stay separate: name an admin secret of the same environment.",
            )

        try:
            fields = job.vault.read(admin_name).fields
        except BotwardenError as error:
            raise RotationPluginError(
                f"the admin secret {admin_name} cannot be read: {error.message}", hint=error.hint
            ) from error
        session.hide(fields.get("password"))
        return login_of(
            fields,
            f"admin secret {admin_name}",
            default_host=target.host,
            default_port=target.port,
        )


def _logins(job: RotationJob[PostgresOptions]) -> tuple[Login, Login]:
    """The role's login with the new password, and the same login with the current one."""

    source = f"secret {job.name}"
    target = login_of(job.new, source)
    old = replace(target, password=login_of(job.current, source).password)
    return target, old
