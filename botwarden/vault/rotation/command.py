"""A rotation plugin that hands the new value to an operator's command on its standard input."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

from botwarden.crypto import Sensitive
from botwarden.errors import InvalidInputError
from botwarden.logs import get_logger
from botwarden.vault.rotation.interface import (
    RotationJob,
    RotationPlugin,
    RotationPluginError,
    SecretFields,
)
from botwarden.vault.rotation.masking import field_values, shown
from botwarden.vault.rotation.options import get_argv, get_seconds, get_text, reject_unknown
from botwarden.vault.rotation.passwords import PasswordPolicy, password_policy, with_new_password

log = get_logger(__name__)

SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
DEFAULT_TIMEOUT = 60.0
MAX_TIMEOUT = 3600.0
_REAP_SECONDS = 5.0
_OPTIONS = ("command", "verify_command", "timeout", "field", "length", "alphabet")


@dataclass(frozen=True)
class CommandOptions:
    command: tuple[str, ...]
    verify_command: tuple[str, ...] | None
    timeout: float
    field: str
    password: PasswordPolicy


class CommandPlugin(RotationPlugin[CommandOptions]):
    """Runs ``command`` to apply and ``verify_command`` to verify, each fed a JSON document.

    The document on stdin is ``{"action", "secret", "version", "current",
    "new"}``; exit status 0 means the step succeeded. No secret is ever put in
    the arguments or the environment, where other local users could read it.
    """

    name = "command"

    def validate_options(self, options: Mapping[str, object]) -> CommandOptions:
        reject_unknown(options, _OPTIONS, self.name)
        command = get_argv(options, "command")
        if command is None:
            raise InvalidInputError(
                "the command rotation plugin needs the option 'command'",
                hint='Give it as a list of arguments: {"command": ["/usr/local/bin/set-pw"]}.',
            )
        return CommandOptions(
            command=command,
            verify_command=get_argv(options, "verify_command"),
            timeout=get_seconds(options, "timeout", default=DEFAULT_TIMEOUT, maximum=MAX_TIMEOUT),
            field=get_text(options, "field") or "password",
            password=password_policy(options),
        )

    def generate(self, current: SecretFields, options: CommandOptions) -> dict[str, Sensitive[str]]:
        return with_new_password(current, options.field, options.password)

    def apply(self, job: RotationJob[CommandOptions]) -> None:
        _run("apply", job.options.command, job)

    def verify(self, job: RotationJob[CommandOptions]) -> None:
        if job.options.verify_command is None:
            log.info("secret.rotate.verify_skipped", secret=str(job.name), plugin=self.name)
            return
        _run("verify", job.options.verify_command, job)


def _run(action: str, argv: tuple[str, ...], job: RotationJob[CommandOptions]) -> None:
    """Run ``argv`` without a shell, in a minimal environment, with the document on stdin."""

    values = field_values(job.current, job.new)
    program = argv[0]
    try:
        # NOTE: argv comes from the stored policy and starts with an absolute path;
        # there is no shell, and the secret travels only through the stdin pipe.
        process = subprocess.Popen(  # noqa: S603  # nosec B603
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={"PATH": SAFE_PATH},
            cwd="/",
            close_fds=True,
            start_new_session=True,
        )
    except OSError as error:
        raise RotationPluginError(
            f"the {action} command {program!a} could not start: {error.strerror}",
            hint="Check that the program exists and is executable by botwarden.",
        ) from None

    timed_out = False
    try:
        _, stderr = process.communicate(_document(action, job), timeout=job.options.timeout)
    except subprocess.TimeoutExpired:
        timed_out, stderr = True, _kill(process)
    if timed_out:
        # NOTE: raised outside the except block, so that no exception holding the
        # child's unmasked output rides along as the context of ours.
        raise RotationPluginError(
            f"the {action} command {program!a} did not finish within "
            f"{job.options.timeout:g} seconds and was killed{_detail(stderr, values)}",
            hint="Raise the 'timeout' option or make the command faster, then rotate again.",
        )

    if process.returncode != 0:
        status = (
            f"was killed by signal {-process.returncode}"
            if process.returncode < 0
            else f"exited with status {process.returncode}"
        )
        raise RotationPluginError(
            f"the {action} command {program!a} {status}{_detail(stderr, values)}"
        )
    log.info("secret.rotate.command", secret=str(job.name), action=action, program=program)


def _document(action: str, job: RotationJob[CommandOptions]) -> bytes:
    document = {
        "action": action,
        "secret": str(job.name),
        "version": job.version,
        "current": {key: value.reveal() for key, value in job.current.items()},
        "new": {key: value.reveal() for key, value in job.new.items()},
    }
    return json.dumps(document).encode("utf-8")


def _kill(process: subprocess.Popen[bytes]) -> bytes:
    """Kill the command and everything it started; return what it wrote to stderr."""

    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    try:
        _, stderr = process.communicate(timeout=_REAP_SECONDS)
    except subprocess.TimeoutExpired:
        return b""
    return stderr


def _detail(stderr: bytes, values: list[Sensitive[str]]) -> str:
    text = shown(stderr.decode("utf-8", "replace"), values)
    return f": {text}" if text else ""
