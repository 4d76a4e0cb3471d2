"""The rotation engine: stage, apply, verify and promote a secret's next value, resumably."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from botwarden import audit
from botwarden.errors import BotwardenError, ConflictError, InvalidInputError, RotationError
from botwarden.logs import get_logger
from botwarden.vault.names import SecretName
from botwarden.vault.rotation.interface import RESUME_HINT, RotationJob, RotationPlugin
from botwarden.vault.rotation.policy import read_policy
from botwarden.vault.rotation.registry import Plugins, find_plugin, registry
from botwarden.vault.service import Vault
from botwarden.vault.types import SecretValue

log = get_logger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RotationResult:
    """What a finished rotation changed."""

    name: SecretName
    plugin: str
    previous_version: int
    version: int
    resumed: bool


def rotate_secret(
    vault: Vault, name: SecretName, *, actor: str, plugins: Plugins = registry
) -> RotationResult:
    """Rotate ``name`` with the plugin of its policy, finishing any rotation a crash left behind.

    Each step is durable before the next begins, so a crash anywhere leaves a
    state that the next call completes:

    (1) stage: the new value is stored encrypted as a pending version, not
        current, before anything touches the target; a pending version left
        by an earlier attempt is taken up instead of a new one;
    (2) apply: the plugin gives the target system the new value (idempotent);
    (3) verify: the plugin proves the new value works and the old one does not;
    (4) promote: the pending version becomes the current one.

    A failed step raises ``RotationError`` and leaves the pending version for
    the next attempt; every step is audited as ``secret.rotate.<step>``.
    """

    plugin, options = _policy(vault, name, plugins)
    current = vault.read(name)
    steps = _Steps(name, actor, plugin.name, current.version)

    # (1)
    pending, resumed = steps.run(
        "stage",
        lambda: _stage(vault, name, plugin, options, current, actor),
        lambda staged: {"version": staged[0].version, "resumed": staged[1]},
    )
    job = RotationJob(
        name=name,
        version=pending.version,
        current=current.fields,
        new=pending.fields,
        options=options,
        vault=vault,
        actor=actor,
        resumed=resumed,
    )

    # (2)
    steps.run("apply", lambda: plugin.apply(job))

    # (3)
    steps.run("verify", lambda: plugin.verify(job))

    # (4)
    steps.run("promote", lambda: _promote(vault, name, pending.version, actor))

    log.info(
        "secret.rotated",
        secret=str(name),
        plugin=plugin.name,
        previous_version=current.version,
        version=pending.version,
        resumed=resumed,
    )
    return RotationResult(
        name=name,
        plugin=plugin.name,
        previous_version=current.version,
        version=pending.version,
        resumed=resumed,
    )


class _Steps:
    """Runs the steps of one rotation, auditing each and translating its failures."""

    def __init__(self, name: SecretName, actor: str, plugin: str, current: int) -> None:
        self.name = name
        self.actor = actor
        self.details: dict[str, object] = {"plugin": plugin, "current_version": current}

    def run(
        self,
        step: str,
        action: Callable[[], T],
        describe: Callable[[T], Mapping[str, object]] = lambda _: {},
    ) -> T:
        try:
            result = action()
        except Exception as error:
            failure = _as_rotation_error(self.name, step, error)
            self._record(step, "failed", {"error": failure.code})
            log.warning(
                "secret.rotate.failed", secret=str(self.name), step=step, error=failure.code
            )
            if failure is error:
                raise
            # NOTE: only our own errors are chained; a foreign exception may carry a
            # secret in its attributes (a driver keeps its connection parameters).
            raise failure from (error if isinstance(error, BotwardenError) else None)

        self.details.update(describe(result))
        self._record(step, "allowed", {})
        return result

    def _record(self, step: str, outcome: audit.Outcome, extra: Mapping[str, object]) -> None:
        audit.record(
            f"secret.rotate.{step}",
            actor=self.actor,
            target=str(self.name),
            outcome=outcome,
            details={**self.details, **extra},
        )


def _policy(vault: Vault, name: SecretName, plugins: Plugins) -> tuple[RotationPlugin[Any], Any]:
    policy = read_policy(vault, name)
    if policy.plugin is None:
        raise RotationError(
            f"{name} has no rotation plugin",
            hint="Set the secret's rotation policy to a plugin such as 'postgresql' or 'command'.",
        )

    try:
        plugin = find_plugin(policy.plugin, plugins)
        options = plugin.validate_options(policy.options)
    except InvalidInputError as error:
        raise RotationError(
            f"the rotation policy of {name} is invalid: {error.message}", hint=error.hint
        ) from error
    return plugin, options


def _stage(
    vault: Vault,
    name: SecretName,
    plugin: RotationPlugin[Any],
    options: Any,
    current: SecretValue,
    actor: str,
) -> tuple[SecretValue, bool]:
    """The pending version: the one an earlier attempt left, else a new one stored now."""

    pending = vault.read_pending(name)
    if pending is not None:
        log.info("secret.rotate.resume", secret=str(name), version=pending.version)
        return pending, True

    fields = plugin.generate(current.fields, options)
    joined = False
    try:
        vault.stage_pending(name, fields, actor=actor)
    except ConflictError:
        log.info("secret.rotate.joined", secret=str(name))
        joined = True

    staged = vault.read_pending(name)
    if staged is None:
        raise RotationError(
            f"the pending version of {name} disappeared while it was being staged",
            hint="Another rotation finished or discarded it; rotate again.",
        )
    return staged, joined


def _promote(vault: Vault, name: SecretName, version: int, actor: str) -> None:
    """Make ``version`` current; a concurrent rotation that already did so is success."""

    try:
        vault.promote_pending(name, version, actor=actor)
    except ConflictError:
        if vault.metadata(name).current_version != version:
            raise
        log.info("secret.rotate.already_promoted", secret=str(name), version=version)


def _as_rotation_error(name: SecretName, step: str, error: Exception) -> RotationError:
    if isinstance(error, RotationError):
        return error
    if isinstance(error, BotwardenError):
        return RotationError(
            f"rotating {name} failed at {step}: {error.message}",
            hint=error.hint or RESUME_HINT,
        )
    return RotationError(
        f"rotating {name} failed at {step} with an unexpected {type(error).__name__}",
        hint=RESUME_HINT,
    )
