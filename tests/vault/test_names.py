"""Secret names and paths: what is refused, and why."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies

from botwarden.errors import InvalidInputError
from botwarden.vault import parse_secret_name
from botwarden.vault.names import validate_path


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("prod:../etc/passwd", "contains '..'"),
        ("prod:erp/../mail", "contains '..'"),
        ("prod:erp/./login", r"contains '\.'"),
        ("prod:erp//login", "empty segment"),
        ("prod:/erp/login", "empty segment"),
        ("prod:erp/login/", "empty segment"),
        ("prod:", "path is empty"),
        ("prod:erp/lo\ngin", "control character"),
        ("prod:erp/\x00", "control character"),
        ("prod:erp/\u202eevil", "control character"),
        ("prod:" + "a" * 513, "longer than 512 bytes"),
        ("prod:" + "é" * 257, "longer than 512 bytes"),
        ("prod:erp login", "not allowed"),
        ("prod:.hidden", "not allowed"),
        ("erp/login", "not a secret name"),
        ("Prod:erp/login", "invalid environment name"),
        (":erp/login", "invalid environment name"),
    ],
)
def test_bad_names_are_refused_with_the_rule_they_break(text: str, reason: str) -> None:
    with pytest.raises(InvalidInputError, match=reason):
        parse_secret_name(text)


def test_a_path_of_exactly_512_bytes_is_accepted() -> None:
    path = "/".join(["a" * 127] * 4)
    assert len(path) == 511
    assert parse_secret_name(f"prod:{path}x").path == path + "x"


def test_a_name_splits_into_environment_and_path() -> None:
    name = parse_secret_name("prod:erp/login")

    assert (name.environment, name.path, str(name)) == ("prod", "erp/login", "prod:erp/login")


@given(strategies.text(max_size=600))
def test_validation_never_crashes_on_arbitrary_text(text: str) -> None:
    try:
        validate_path(text)
    except InvalidInputError as error:
        refusal = error.message
    else:
        refusal = "accepted"
    assert refusal
