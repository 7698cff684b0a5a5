"""Dependencies point one way: every import of src/loglake, read with `ast`, obeys the layers.

`cli, web -> advisor -> analytics -> ingest -> store -> formats -> sources`; `schema`,
`layout`, `config`, `errors` (and the package's `__init__`) are shared leaves anyone may
import, which import only each other. Imports inside functions and under TYPE_CHECKING
count like any other: a lazy import is still a dependency. No subpackage below `web` and
`cli` imports Flask or click.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "loglake"

# top first; a part may import its own layer and the layers below it
LAYERS: tuple[tuple[str, ...], ...] = (
    ("__main__",),
    ("cli", "generate"),  # generate/: the sample-log generator, a command of its own
    ("web", "lake"),  # lake.py: the Python API (`loglake.Lake`), a caller like the web
    ("alerts",),  # alert rules: read the lake through analytics, run after its commits
    ("advisor",),
    ("analytics",),
    ("ingest",),
    (
        "store",
    ),  # the manifest, commit protocol, lock, raw lines: read by analytics, written by ingest
    ("formats",),
    ("sources",),
)
LEAVES = frozenset({"schema", "layout", "config", "errors", "__init__"})
UI_LIBRARIES = frozenset({"flask", "werkzeug", "jinja2", "click"})
UI_PARTS = frozenset({"__main__", "cli", "web"})

# Edges against the layers allowed for now, each with why (an exception that no longer
# occurs fails test_known_exceptions_still_occur).
KNOWN_EXCEPTIONS: frozenset[tuple[str, str]] = frozenset(
    {("__init__", "lake")}  # `loglake.Lake`: the package's __getattr__ imports it on first use
)

RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}


def _module(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _part(module: str) -> str:
    """The top-level part of loglake a module belongs to (`loglake` itself: `__init__`)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path, module: str) -> Iterator[tuple[str, int]]:
    """Every module a source file (of this module name) imports, as absolute names, and where."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            yield name, node.lineno


def edges() -> dict[tuple[str, str], list[str]]:
    """(importing part, imported part) -> where: every import between two parts of loglake."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        source = _part(_module(path))
        for name, line in imports(path, _module(path)):
            if name == "loglake" or name.startswith("loglake."):
                target = _part(name)
                if target != source:
                    where = f"{path.relative_to(SRC)}:{line}"
                    found.setdefault((source, target), []).append(where)
    return found


def _allowed(source: str, target: str) -> bool:
    if target in LEAVES:
        return True
    if source in LEAVES:
        return False
    return RANK[source] <= RANK[target]


def test_every_part_has_a_place() -> None:
    parts = {_part(_module(path)) for path in SRC.rglob("*.py")}
    assert parts <= set(RANK) | LEAVES, "add the new part to LAYERS or LEAVES"


def test_imports_follow_the_layers() -> None:
    wrong = {
        edge: where
        for edge, where in edges().items()
        if not _allowed(*edge) and edge not in KNOWN_EXCEPTIONS
    }
    assert wrong == {}


def test_known_exceptions_still_occur() -> None:
    assert set(edges()) >= KNOWN_EXCEPTIONS


def test_no_import_cycle_between_parts() -> None:
    graph: dict[str, set[str]] = {}
    for source, target in set(edges()) - KNOWN_EXCEPTIONS:
        graph.setdefault(source, set()).add(target)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(part for part in graph if reaches(part, part, {part}))
    assert cycles == []


def test_no_ui_library_below_web_and_cli() -> None:
    wrong = [
        f"{path.relative_to(SRC)}:{line} imports {name}"
        for path in sorted(SRC.rglob("*.py"))
        if _part(_module(path)) not in UI_PARTS
        for name, line in imports(path, _module(path))
        if name.split(".")[0] in UI_LIBRARIES
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("edge", "allowed"),
    [
        (("cli", "analytics"), True),
        (("advisor", "analytics"), True),
        (("analytics", "advisor"), False),  # the circle this issue removed
        (("store", "analytics"), False),
        (("formats", "sources"), True),
        (("schema", "formats"), False),
        (("config", "errors"), True),
    ],
)
def test_the_rule_itself(edge: tuple[str, str], allowed: bool) -> None:
    assert _allowed(*edge) is allowed


def test_imports_inside_functions_and_relative_ones_are_read(tmp_path: Path) -> None:
    module = tmp_path / "mod.py"
    module.write_text(
        "import os\n"
        "def f():\n"
        "    from loglake.advisor import ask\n"
        "    from . import sql\n"
        "    from ..store import raw\n"
    )
    found = [name for name, _ in imports(module, "loglake.analytics.mod")]
    assert found == ["os", "loglake.advisor", "loglake.analytics", "loglake.store"]
