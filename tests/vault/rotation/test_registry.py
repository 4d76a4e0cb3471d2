"""Tests of the plugin registry and of policy validation before a policy is stored."""

from __future__ import annotations

import pytest

from botwarden.errors import InvalidInputError
from botwarden.vault.rotation import registry, validate_policy
from botwarden.vault.rotation.command import CommandPlugin
from botwarden.vault.rotation.postgres import PostgresPlugin
from botwarden.vault.rotation.registry import PluginRegistry


def test_registry_names_the_builtin_plugins() -> None:
    assert list(registry) == ["command", "postgresql"]
    assert isinstance(registry["command"], CommandPlugin)
    assert isinstance(registry["postgresql"], PostgresPlugin)
    assert registry["command"] is registry["command"]


def test_unknown_plugin_is_refused_with_the_known_names() -> None:
    with pytest.raises(InvalidInputError, match="no rotation plugin 'ldap'") as caught:
        validate_policy("ldap", {})

    assert "command, postgresql" in caught.value.hint


def test_entry_that_is_not_the_named_plugin_is_a_programming_error() -> None:
    broken = PluginRegistry({"postgresql": "botwarden.vault.rotation.command:CommandPlugin"})

    with pytest.raises(TypeError, match="not the rotation plugin"):
        broken["postgresql"]


@pytest.mark.parametrize(
    ("plugin", "options", "reason"),
    [
        ("command", {}, "needs the option 'command'"),
        ("command", {"command": "/bin/true"}, "list of non-empty strings"),
        ("command", {"command": ["true"]}, "absolute path"),
        ("command", {"command": ["/bin/true"], "timeout": 0}, "outside"),
        ("command", {"command": ["/bin/true"], "shell": True}, "no option 'shell'"),
        ("postgresql", {"sslmode": "sometimes"}, "sslmode"),
        ("postgresql", {"admin_secret": "no-colon"}, "not a secret name"),
        ("postgresql", {"connect_timeout": 0}, "outside"),
        ("postgresql", {"unsafe_allow_weaker_auth": "yes"}, "true or false"),
        ("postgresql", {"length": 8}, "bits"),
        ("postgresql", {"admin": "prod:db/admin"}, "no option 'admin'"),
    ],
)
def test_invalid_options_are_refused_before_they_are_stored(
    plugin: str, options: dict[str, object], reason: str
) -> None:
    with pytest.raises(InvalidInputError, match=reason):
        validate_policy(plugin, options)


def test_valid_options_pass() -> None:
    validate_policy("command", {"command": ["/usr/bin/env"], "timeout": 5, "field": "token"})
    validate_policy("postgresql", {"admin_secret": "prod:db/admin", "sslmode": "verify-full"})


def test_postgresql_defaults_verify_the_server_and_require_scram() -> None:
    options = registry["postgresql"].validate_options({})

    assert options.connection.sslmode == "verify-full"
    assert not options.connection.unsafe_allow_weaker_auth
    assert options.admin_secret is None
    assert options.password.bits >= 128


def test_asking_whether_a_plugin_exists_imports_nothing() -> None:
    lazy = PluginRegistry({"ghost": "botwarden.vault.rotation.nonexistent:Ghost"})

    assert "ghost" in lazy
    assert "ldap" not in lazy
