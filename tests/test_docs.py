"""Documentation keeps up with the code: every setting, CLI command and option, stream column
and API route is documented where a user looks for it (datasette's tests/test_docs.py idea)."""

from __future__ import annotations

import re

import click
import pytest

from conftest import REPO
from loglake.cli.main import cli
from loglake.config import _ENV, Settings
from loglake.schema import COLUMNS

README = (REPO / "README.md").read_text()
API_DOC = (REPO / "docs" / "api.md").read_text()
ARCHITECTURE = (REPO / "docs" / "architecture.md").read_text()


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        found.append((full, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, f"{full} "))
    return found


COMMANDS = _commands(cli)
_SETTINGS_TABLE = README.split("## Settings", 1)[1].split("\n## ", 1)[0]
_COMMANDS_TABLE = README.split("## Commands", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("variable", sorted(v for names in _ENV.values() for v in names))
def test_every_environment_variable_is_in_the_readme_settings(variable: str) -> None:
    assert f"`{variable}`" in _SETTINGS_TABLE, f"README's Settings table does not list {variable}"


def test_every_setting_has_an_environment_variable() -> None:
    # `root` and the rest are all reachable from the environment; nothing is code-only
    assert set(Settings.__dataclass_fields__) == set(_ENV)


@pytest.mark.parametrize("name", [name for name, _ in COMMANDS])
def test_every_command_is_in_the_readme(name: str) -> None:
    assert re.search(rf"`loglake {re.escape(name)}(`| )", _COMMANDS_TABLE), (
        f"README's Commands table does not describe `loglake {name}`"
    )


@pytest.mark.parametrize("name,command", COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_and_option_has_help(name: str, command: click.Command) -> None:
    assert command.help or command.short_help, f"loglake {name} has no help text"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"loglake {name} {param.opts[0]} has no help text"


def test_every_stream_column_is_documented() -> None:
    for stream, columns in COLUMNS.items():
        for col in columns:
            assert len(col.doc) > 3, f"{stream}.{col.name} has no description"


def test_every_api_route_is_in_the_api_doc() -> None:
    from loglake.web.app import create_app

    app = create_app(Settings())
    routes = sorted(
        {
            rule.rule
            for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/") and "<" not in rule.rule
        }
    )
    assert routes
    missing = [route for route in routes if f"/api/{route[5:]}" not in API_DOC]
    assert not missing, f"docs/api.md does not mention {missing}"


@pytest.mark.parametrize("recipe", ["format", "stream", "question", "executor"])
def test_architecture_has_the_recipes(recipe: str) -> None:
    assert re.search(rf"^#+ Add an? {recipe}\b", ARCHITECTURE, re.MULTILINE | re.IGNORECASE), (
        f"docs/architecture.md has no 'Add a {recipe}' recipe"
    )
