"""The rotation plugins botwarden knows, found by name and imported on first use."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

from botwarden.errors import InvalidInputError
from botwarden.vault.rotation.interface import RotationPlugin

Plugins = Mapping[str, RotationPlugin[Any]]


class PluginRegistry(Mapping[str, RotationPlugin[Any]]):
    """Plugins by name, each given as ``"module:Class"`` and imported when first asked for.

    Importing lazily keeps a plugin's dependencies (a database driver, say) out
    of every process that never rotates with it.
    """

    def __init__(self, locations: Mapping[str, str]) -> None:
        self._locations = dict(locations)
        self._loaded: dict[str, RotationPlugin[Any]] = {}

    def __getitem__(self, name: str) -> RotationPlugin[Any]:
        if name not in self._loaded:
            module_name, _, attribute = self._locations[name].partition(":")
            plugin_class = getattr(importlib.import_module(module_name), attribute)
            plugin = plugin_class()
            if not isinstance(plugin, RotationPlugin) or plugin.name != name:
                raise TypeError(f"{self._locations[name]} is not the rotation plugin {name!r}")
            self._loaded[name] = plugin
        return self._loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in self._locations

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._locations))

    def __len__(self) -> int:
        return len(self._locations)


registry = PluginRegistry(
    {
        "command": "botwarden.vault.rotation.command:CommandPlugin",
        "postgresql": "botwarden.vault.rotation.postgres:PostgresPlugin",
    }
)


def find_plugin(name: str, plugins: Plugins = registry) -> RotationPlugin[Any]:
    if name not in plugins:
        raise InvalidInputError(
            f"there is no rotation plugin {name!a}",
            hint=f"The rotation plugins are: {', '.join(sorted(plugins))}.",
        )
    return plugins[name]


def validate_policy(
    plugin: str, options: Mapping[str, object], plugins: Plugins = registry
) -> None:
    """Check a plugin name and its options before they are stored as a secret's policy."""

    find_plugin(plugin, plugins).validate_options(options)
