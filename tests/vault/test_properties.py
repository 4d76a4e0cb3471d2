"""Property tests: any field names and values round-trip exactly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings, strategies

from botwarden.config import Settings
from botwarden.vault import Vault, initialise, open_vault, parse_secret_name
from botwarden.vault.fields import MAX_VALUE_BYTES

# Large values are described by a short token and built inside the test, so
# that a failing example stays readable.
BIG = {"<64 KiB ascii>": "x" * MAX_VALUE_BYTES, "<64 KiB euro>": "€" * (MAX_VALUE_BYTES // 3)}

field_names = strategies.text(
    alphabet=strategies.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40
)
field_values = strategies.one_of(
    strategies.text(alphabet=strategies.characters(blacklist_categories=("Cs",)), max_size=200),
    strategies.just(""),
    strategies.sampled_from(sorted(BIG)),
)
# At most three fields, so that three 64 KiB values stay within the 256 KiB limit per secret.
secret_fields = strategies.dictionaries(field_names, field_values, min_size=1, max_size=3)
paths = strategies.from_regex(
    r"[a-z0-9_-][a-z0-9._@+-]{0,15}(/[a-z0-9_@+-][a-z0-9._@+-]{0,15}){0,3}", fullmatch=True
)


@pytest.fixture
def vault(settings: Settings) -> Iterator[Vault]:
    initialise(settings)
    with open_vault(settings) as opened:
        yield opened


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(described=secret_fields, path=paths)
def test_any_fields_round_trip(vault: Vault, described: dict[str, str], path: str) -> None:
    fields = {name: BIG.get(value, value) for name, value in described.items()}
    name = parse_secret_name(f"dev:{path}")

    written = vault.put(name, fields, actor="t")

    assert vault.read(name, written.version).reveal() == fields
