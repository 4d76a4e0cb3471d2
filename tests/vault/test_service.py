"""The vault's service layer on SQLite and PostgreSQL: writing, reading, versions, deletion."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from botwarden.config import Settings
from botwarden.errors import ConflictError, InvalidInputError, NotFoundError
from botwarden.vault import Vault, initialise, open_vault, parse_secret_name
from botwarden.vault.models import secrets_table, versions_table

LOGIN = parse_secret_name("prod:erp/login")


@pytest.fixture
def vault(settings: Settings) -> Iterator[Vault]:
    initialise(settings)
    with open_vault(settings) as opened:
        yield opened


def count_versions(vault: Vault) -> int:
    with vault.engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(versions_table)).scalar_one()
        )


def test_round_trip_returns_the_fields_written(vault: Vault) -> None:
    vault.put(LOGIN, {"username": "bot", "password": "pw-1", "host": "erp.internal"}, actor="t")

    value = vault.read(LOGIN)

    assert value.version == 1
    assert value.reveal() == {"username": "bot", "password": "pw-1", "host": "erp.internal"}


def test_each_put_adds_a_version_and_old_versions_stay_readable(vault: Vault) -> None:
    vault.put(LOGIN, {"password": "one"}, actor="t")
    vault.put(LOGIN, {"password": "two"}, actor="t")

    assert vault.read(LOGIN).reveal() == {"password": "two"}
    assert vault.read(LOGIN, 1).reveal() == {"password": "one"}
    assert [item.version for item in vault.history(LOGIN)] == [1, 2]
    assert [item.current for item in vault.history(LOGIN)] == [False, True]


def test_versions_beyond_the_limit_are_removed_oldest_first(vault: Vault) -> None:
    vault.max_versions = 3
    for number in range(5):
        vault.put(LOGIN, {"password": f"pw-{number}"}, actor="t")

    assert [item.version for item in vault.history(LOGIN)] == [3, 4, 5]
    with pytest.raises(NotFoundError, match="no version 1"):
        vault.read(LOGIN, 1)


def test_check_and_set_refuses_a_stale_version(vault: Vault) -> None:
    vault.put(LOGIN, {"password": "one"}, actor="t", expected_version=0)

    with pytest.raises(ConflictError, match="is at version 1, not 0"):
        vault.put(LOGIN, {"password": "two"}, actor="t", expected_version=0)

    vault.put(LOGIN, {"password": "two"}, actor="t", expected_version=1)
    assert vault.read(LOGIN).version == 2


def test_soft_delete_hides_a_version_until_undeleted(vault: Vault) -> None:
    vault.put(LOGIN, {"password": "one"}, actor="t")

    vault.delete(LOGIN, actor="t")
    with pytest.raises(NotFoundError, match="version 1 is deleted"):
        vault.read(LOGIN)

    vault.undelete(LOGIN, actor="t")
    assert vault.read(LOGIN).reveal() == {"password": "one"}


def test_destroy_erases_the_ciphertext_for_good(vault: Vault) -> None:
    vault.put(LOGIN, {"password": "one"}, actor="t")
    vault.put(LOGIN, {"password": "two"}, actor="t")

    vault.destroy(LOGIN, [1], actor="t")

    with pytest.raises(NotFoundError, match="destroyed"):
        vault.read(LOGIN, 1)
    with pytest.raises(ConflictError, match="is destroyed, not deleted"):
        vault.undelete(LOGIN, [1], actor="t")
    with vault.engine.connect() as connection:
        row = connection.execute(
            select(versions_table.c.ciphertext, versions_table.c.wrapped_data_key).where(
                versions_table.c.version == 1
            )
        ).one()
    assert row == (None, None)
    assert vault.read(LOGIN).reveal() == {"password": "two"}


def test_destroy_all_removes_the_secret_and_frees_its_path(vault: Vault) -> None:
    vault.put(LOGIN, {"password": "one"}, actor="t")

    vault.destroy_all(LOGIN, actor="t")

    with pytest.raises(NotFoundError, match="no secret prod:erp/login"):
        vault.read(LOGIN)
    assert count_versions(vault) == 0
    vault.put(LOGIN, {"password": "again"}, actor="t")
    assert vault.read(LOGIN).version == 1


def test_list_due_shows_secrets_past_their_maximum_age(vault: Vault) -> None:
    old = parse_secret_name("prod:old")
    fresh = parse_secret_name("prod:fresh")
    vault.put(old, {"password": "x"}, actor="t")
    vault.put(fresh, {"password": "y"}, actor="t")
    vault.set_policy(old, max_age_seconds=3600, actor="t")
    vault.set_policy(fresh, max_age_seconds=30 * 86400, actor="t")

    later = datetime.now(UTC) + timedelta(hours=2)
    vault._clock = lambda: later  # the clock seam

    assert [str(item.name) for item in vault.list_secrets("prod", due=True)] == ["prod:old"]
    assert [str(item.name) for item in vault.list_secrets("prod")] == ["prod:fresh", "prod:old"]


def test_list_prefix_matches_literally(vault: Vault) -> None:
    for path in ("erp/login", "erp_x/login", "mail/imap"):
        vault.put(parse_secret_name(f"prod:{path}"), {"password": "x"}, actor="t")

    found = vault.list_secrets("prod", prefix="erp_")

    assert [item.name.path for item in found] == ["erp_x/login"]


def test_metadata_records_who_and_when(vault: Vault) -> None:
    vault.put(LOGIN, {"password": "x"}, actor="system:alice")

    metadata = vault.metadata(LOGIN)

    assert metadata.created_by == "system:alice"
    assert metadata.current_version == 1
    assert metadata.last_rotated_at == metadata.created_at


def test_unknown_environment_is_refused_and_nothing_is_stored(vault: Vault) -> None:
    with pytest.raises(NotFoundError, match="unknown environment 'staging'"):
        vault.put(parse_secret_name("staging:erp/login"), {"password": "x"}, actor="t")

    with vault.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(secrets_table)).scalar() == 0


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, "has no fields"),
        ({"password": 5}, "is not text"),
        ({"": "x"}, "non-empty name"),
        ({"pass\x00word": "x"}, "control character"),
        ({"password": "x" * (64 * 1024 + 1)}, "over the limit"),
        ({f"f{i}": "x" for i in range(65)}, "at most 64 fields"),
        ({"password": "\ud800"}, "not valid Unicode"),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_stored(
    vault: Vault, fields: dict[str, object], reason: str
) -> None:
    vault.put(LOGIN, {"password": "kept"}, actor="t")

    with pytest.raises(InvalidInputError, match=reason):
        vault.put(LOGIN, fields, actor="t")

    assert count_versions(vault) == 1
    assert vault.read(LOGIN).reveal() == {"password": "kept"}


def test_a_pending_version_is_not_current_until_promoted(vault: Vault) -> None:
    vault.put(LOGIN, {"password": "old"}, actor="t")

    pending = vault.stage_pending(LOGIN, {"password": "new"}, actor="t")

    assert vault.read(LOGIN).reveal() == {"password": "old"}
    staged = vault.read_pending(LOGIN)
    assert staged is not None
    assert staged.reveal() == {"password": "new"}
    with pytest.raises(ConflictError, match="already has a pending version"):
        vault.stage_pending(LOGIN, {"password": "newer"}, actor="t")

    vault.promote_pending(LOGIN, pending, actor="t")

    assert vault.read(LOGIN).reveal() == {"password": "new"}
    assert vault.read_pending(LOGIN) is None


def test_reopening_the_deployment_reads_what_was_written(settings: Settings) -> None:
    initialise(settings)
    with open_vault(settings) as vault:
        vault.put(LOGIN, {"password": "persisted"}, actor="t")

    with open_vault(settings) as reopened:
        assert reopened.read(LOGIN).reveal() == {"password": "persisted"}
