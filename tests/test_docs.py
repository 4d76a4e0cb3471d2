"""The documentation stays true: every command, setting and variable is documented."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from botwarden.cli.main import cli

DOCS = Path(__file__).parent.parent / "docs"
ROOT = Path(__file__).parent.parent


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    context = click.Context(group)
    paths: list[tuple[str, ...]] = []
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, (*prefix, name)))
        else:
            paths.append((*prefix, name))
    return paths


COMMANDS = command_paths(cli)


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(path) for path in COMMANDS])
def test_every_command_is_documented_and_has_help(path: tuple[str, ...]) -> None:
    reference = (DOCS / "cli.md").read_text()

    result = CliRunner().invoke(cli, [*path, "--help"])

    assert f"### `botwarden {' '.join(path)}`" in reference
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output


def test_every_setting_is_documented() -> None:
    from botwarden.config.settings import _SECTION_KEYS, _TOP_LEVEL_KEYS

    reference = (DOCS / "configuration.md").read_text()
    keys = set(_TOP_LEVEL_KEYS) - set(_SECTION_KEYS)
    keys |= {key for section in _SECTION_KEYS.values() for key in section}

    assert sorted(key for key in keys if re.search(rf"\b{key}\b", reference) is None) == []


def test_every_environment_variable_is_documented() -> None:
    reference = (DOCS / "configuration.md").read_text()
    source = "".join(path.read_text() for path in (ROOT / "botwarden").rglob("*.py"))

    variables = set(re.findall(r"BOTWARDEN_[A-Z_]+", source))

    assert sorted(name for name in variables if name not in reference) == []


def test_readme_quick_start_names_both_commands() -> None:
    readme = (ROOT / "README.md").read_text()

    assert "make demo" in readme and "make test" in readme
    for linked in re.findall(r"\(docs/([a-z-]+\.md)\)", readme):
        assert (DOCS / linked).exists(), linked
