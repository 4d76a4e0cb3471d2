"""Tests of password generation for rotation: strength limits and the replaced field."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from botwarden.crypto import Sensitive
from botwarden.errors import InvalidInputError
from botwarden.vault.rotation.passwords import (
    URL_SAFE,
    PasswordPolicy,
    generate_password,
    password_policy,
    with_new_password,
)


def test_default_policy_gives_32_url_safe_characters() -> None:
    policy = password_policy({})

    password = generate_password(policy).reveal()

    assert policy == PasswordPolicy(32, URL_SAFE)
    assert len(password) == 32
    assert set(password) <= set(URL_SAFE)
    assert generate_password(policy) != generate_password(policy)


def test_custom_length_and_alphabet_are_used() -> None:
    policy = password_policy({"length": 40, "alphabet": "0123456789abcdef"})

    password = generate_password(policy).reveal()

    assert len(password) == 40
    assert set(password) <= set("0123456789abcdef")


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"length": 16}, "bits"),
        ({"length": 64, "alphabet": "01"}, "bits"),
        ({"alphabet": "abc def"}, "printable ASCII"),
        ({"alphabet": "ünïcødé"}, "printable ASCII"),
        ({"alphabet": "aab"}, "repeated"),
        ({"length": "32"}, "whole number"),
        ({"length": True}, "whole number"),
        ({"length": 4096}, "outside"),
    ],
)
def test_weak_or_malformed_policy_is_refused(options: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidInputError, match=reason):
        password_policy(options)


def test_new_password_replaces_only_its_field_and_never_repeats_the_old_one() -> None:
    current = {"username": Sensitive("app"), "password": Sensitive("a" * 32)}
    draws: Iterator[str] = iter("a" * 32 + "b" * 32)

    def choice(_: Sequence[str]) -> str:
        return next(draws)

    fields = with_new_password(current, "password", PasswordPolicy(), choice=choice)

    assert fields["username"].reveal() == "app"
    assert fields["password"].reveal() == "b" * 32


def test_generated_password_is_masked_when_printed() -> None:
    password = generate_password(PasswordPolicy())

    assert password.reveal() not in repr(password)
    assert password.reveal() not in f"{password}"
