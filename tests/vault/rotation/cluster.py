"""A private PostgreSQL cluster for the rotation tests: SCRAM logins, every statement logged.

The shared local server trusts every login, so a wrong password could not fail
there; this cluster checks passwords, and its log shows what reached the server.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from botwarden.crypto import Sensitive
from botwarden.vault.rotation.scram import scram_sha256_verifier

POSTGRES_ROOT = Path("/usr/lib/postgresql")
HOST = "127.0.0.1"


class ClusterUnavailable(Exception):
    """The machine cannot run a private cluster; the tests that need one are skipped."""


def find_binaries() -> Path:
    """The ``bin`` folder of the newest PostgreSQL installed under /usr/lib/postgresql."""

    versions = sorted(
        (path for path in POSTGRES_ROOT.glob("*") if (path / "bin" / "initdb").exists()),
        key=lambda path: [int(part) for part in path.name.split(".") if part.isdigit()],
    )
    if not versions:
        raise ClusterUnavailable(f"no initdb under {POSTGRES_ROOT}/*/bin")
    return versions[-1] / "bin"


@dataclass
class PrivateCluster:
    root: Path
    binaries: Path
    port: int
    superuser_password: str
    run_as_postgres: bool

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def log_text(self) -> str:
        return self.log.read_text("utf-8", "replace")

    def connect(
        self, user: str = "postgres", password: str | None = None
    ) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host=HOST,
            port=self.port,
            user=user,
            password=password if password is not None else self.superuser_password,
            dbname="postgres",
            sslmode="disable",
            autocommit=True,
        )

    def can_log_in(self, user: str, password: str) -> bool:
        try:
            self.connect(user, password).close()
        except psycopg.OperationalError:
            return False
        return True

    def create_role(self, name: str, password: str, *, createrole: bool = False) -> None:
        """A login role whose password reaches the server only as a SCRAM verifier."""

        verifier = scram_sha256_verifier(Sensitive(password))
        options = sql.SQL("LOGIN CREATEROLE" if createrole else "LOGIN")
        with self.connect() as connection:
            connection.execute(
                sql.SQL("CREATE ROLE {} {} PASSWORD {}").format(
                    sql.Identifier(name), options, sql.Literal(verifier)
                )
            )

    def stored_verifier(self, role: str) -> str:
        with self.connect() as connection:
            row = connection.execute(
                "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,)
            ).fetchone()
        assert row is not None
        return str(row[0])

    def trust_role(self, role: str) -> None:
        """Let ``role`` log in from 127.0.0.1 without any password (pg_hba 'trust')."""

        hba = self.data / "pg_hba.conf"
        line = f"host all {role} {HOST}/32 trust\n"
        hba.write_text(line + hba.read_text())
        self._pg_ctl("reload")

    def start(self) -> None:
        self._pg_ctl("-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self) -> None:
        try:
            self._pg_ctl("-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _pg_ctl(self, *arguments: str) -> None:
        self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), *arguments)

    def _run(self, *argv: str) -> None:
        identity: dict[str, Any] = (
            {"user": "postgres", "group": "postgres", "extra_groups": []}
            if self.run_as_postgres
            else {}
        )
        done = subprocess.run(
            argv,
            check=False,
            capture_output=True,
            cwd=self.root,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
            **identity,
        )
        if done.returncode != 0:
            output = (done.stdout + done.stderr).decode("utf-8", "replace").strip()
            raise RuntimeError(f"{Path(argv[0]).name} failed ({done.returncode}): {output}")


def start_cluster() -> PrivateCluster:
    """initdb with SCRAM authentication, then start on a free loopback port."""

    binaries = find_binaries()
    run_as_postgres = os.geteuid() == 0
    if run_as_postgres:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            raise ClusterUnavailable(
                "initdb refuses root and there is no user 'postgres'"
            ) from None

    root = Path(tempfile.mkdtemp(prefix="botwarden-pg-"))
    cluster = PrivateCluster(
        root, binaries, _free_port(), secrets.token_urlsafe(24), run_as_postgres
    )
    if run_as_postgres:
        os.chown(root, account.pw_uid, account.pw_gid)

    try:
        _initdb(cluster)
        cluster.start()
    except RuntimeError:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return cluster


def _initdb(cluster: PrivateCluster) -> None:
    """A new cluster whose superuser password comes from a file only postgres can read."""

    password_file = cluster.root / "superuser-password"
    password_file.write_text(cluster.superuser_password + "\n")
    password_file.chmod(0o600)
    if cluster.run_as_postgres:
        shutil.chown(password_file, "postgres", "postgres")

    try:
        cluster._run(
            str(cluster.binaries / "initdb"),
            "-D",
            str(cluster.data),
            "--auth=scram-sha-256",
            "--username=postgres",
            f"--pwfile={password_file}",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
    finally:
        password_file.unlink()

    with (cluster.data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"listen_addresses = '{HOST}'\n"
            f"port = {cluster.port}\n"
            f"unix_socket_directories = '{cluster.root}'\n"
            "log_statement = 'all'\n"
            "logging_collector = off\n"
            "fsync = off\n"
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])
