"""New passwords for a rotation: length and alphabet from the options, randomness from `secrets`."""

from __future__ import annotations

import math
import secrets
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from botwarden.crypto import Sensitive
from botwarden.errors import InvalidInputError
from botwarden.vault.rotation.interface import SecretFields
from botwarden.vault.rotation.options import get_int, get_text

URL_SAFE = string.ascii_letters + string.digits + "-_"
PRINTABLE = frozenset(string.ascii_letters + string.digits + string.punctuation)
MIN_BITS = 128
MAX_LENGTH = 1024

Choice = Callable[[Sequence[str]], str]


@dataclass(frozen=True)
class PasswordPolicy:
    """How long a generated password is and which characters it draws from."""

    length: int = 32
    alphabet: str = URL_SAFE

    @property
    def bits(self) -> float:
        return self.length * math.log2(len(self.alphabet))


def password_policy(options: Mapping[str, object]) -> PasswordPolicy:
    """Read the ``length`` and ``alphabet`` options; refuse a policy weaker than 128 bits."""

    length = get_int(
        options, "length", default=PasswordPolicy.length, minimum=1, maximum=MAX_LENGTH
    )
    alphabet = get_text(options, "alphabet") or PasswordPolicy.alphabet

    if not set(alphabet) <= PRINTABLE:
        raise InvalidInputError(
            "option 'alphabet' may hold only printable ASCII characters other than space",
            hint="Targets normalise other characters differently; keep to ASCII.",
        )
    if len(set(alphabet)) != len(alphabet) or len(alphabet) < 2:
        raise InvalidInputError("option 'alphabet' needs at least two characters, none repeated")

    policy = PasswordPolicy(length=length, alphabet=alphabet)
    if policy.bits < MIN_BITS:
        raise InvalidInputError(
            f"a password of {length} characters from {len(alphabet)} gives "
            f"{policy.bits:.0f} bits, under the minimum of {MIN_BITS}",
            hint="Raise 'length' or widen 'alphabet'.",
        )
    return policy


def generate_password(policy: PasswordPolicy, *, choice: Choice = secrets.choice) -> Sensitive[str]:
    return Sensitive("".join(choice(policy.alphabet) for _ in range(policy.length)))


def with_new_password(
    current: SecretFields, field: str, policy: PasswordPolicy, *, choice: Choice = secrets.choice
) -> dict[str, Sensitive[str]]:
    """The current fields with ``field`` replaced by a fresh password that differs from it."""

    fields = dict(current)
    old = current.get(field)
    new = generate_password(policy, choice=choice)
    while old is not None and new == old:
        new = generate_password(policy, choice=choice)
    fields[field] = new
    return fields
