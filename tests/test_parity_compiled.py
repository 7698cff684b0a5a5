"""The compiled query shapes (the optional C extension) and the Python ones are identical.

Both paths run in this one process: `shape.pure_python()` switches the extension off.
Checked on every slow query of the real logs in ../shared/data and of generated logs
(whole ingests compared row by row), on the golden shapes and on random commands.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SHARED_DATA, TEST_DATA, query
from loglake.config import Settings
from loglake.formats.mongodb import shape
from loglake.generate import GenSpec, generate
from loglake.ingest.pipeline import ingest
from test_parity import STREAMS
from test_shape import GOLDEN, commands, json_values, op_types

pytestmark = pytest.mark.skipif(
    not shape.compiled(),
    reason="the C extension is not built (pip install builds it where gcc is present)",
)

REAL_LOGS = sorted((SHARED_DATA / "mongodb" / "json").glob("*.log*"))


def both_texts(op: str, command: Any) -> tuple[str, str]:
    compiled = shape.shape_text(op, command)
    with shape.pure_python():
        assert not shape.compiled()
        pure = shape.shape_text(op, command)
    assert shape.compiled()
    return compiled, pure


def slow_query_attrs(log: Path) -> list[dict[str, Any]]:

    raw = gzip.decompress(log.read_bytes()) if log.suffix == ".gz" else log.read_bytes()
    attrs = []
    for line in raw.splitlines():
        try:
            doc = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("attr"), dict) and "command" in doc["attr"]:
            attrs.append(doc["attr"])
    return attrs


def identity_parts(attr: dict[str, Any]) -> tuple[str, Any]:
    command = attr.get("command")
    command = command if isinstance(command, dict) else None
    op_type = attr.get("type")
    op = shape.canonical_op(command, op_type if isinstance(op_type, str) else None)
    if op == "getMore":
        command = attr.get("originatingCommand")
    return op, command


def test_every_command_of_the_real_logs() -> None:
    if not REAL_LOGS:
        pytest.skip("../shared/data/mongodb/json not present: it holds the real MongoDB logs")
    seen = 0
    for log in REAL_LOGS:
        for attr in slow_query_attrs(log):
            compiled, pure = both_texts(*identity_parts(attr))
            assert compiled == pure, (log.name, attr.get("command"))
            seen += 1
    assert seen > 1000  # the logs hold thousands of commands


@pytest.mark.parametrize(("attr", "op", "expected"), GOLDEN)
def test_golden_shapes(attr: dict[str, object], op: str, expected: dict[str, object]) -> None:
    got_op, command = identity_parts(attr)
    assert got_op == op
    compiled, pure = both_texts(op, command)
    assert compiled == pure == shape.shape_json(expected)


@settings(max_examples=500, deadline=None)
@given(commands, op_types | st.none())
def test_random_commands(command: dict[str, object], op_type: str | None) -> None:
    op = shape.canonical_op(command, op_type)
    compiled, pure = both_texts(op, command)
    assert compiled == pure


OPS = ["find", "aggregate", "count", "distinct", "update", "delete", "findAndModify"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([*OPS, "createIndexes", "getMore", "insert", "x"]), json_values)
def test_any_value(op: str, command: object) -> None:
    compiled, pure = both_texts(op, command)
    assert compiled == pure


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([*OPS, "createIndexes", "getMore"]),
    st.dictionaries(
        st.sampled_from(["find", "filter", "query", "$query", "orderby", "$orderby", "q"])
        | st.sampled_from(["updates", "deletes", "indexes", "fields", "$hint", "hint", "u"]),
        json_values,
        max_size=4,
    ),
)
def test_legacy_and_single_statement_forms(op: str, command: dict[str, object]) -> None:
    """The branches of `_parts`: bare legacy queries, one statement of a batch, indexes."""
    compiled, pure = both_texts(op, command)
    assert compiled == pure


def test_odd_strings_fall_back_to_python() -> None:
    """A lone surrogate (json.loads can make one) has no UTF-8 form: Python decides."""
    command = {"find": "c", "filter": {"a\ud800": 1, 'b\x00\x1f"\\é': {"$gt": 2}}}
    compiled, pure = both_texts("find", command)
    assert compiled == pure
    assert "\\ud800" in pure  # json.dumps' escape, from the Python fallback
    command = {"find": "c", "filter": {'b\x00\x1f\x7f"\\é\u2028': {"$gt": 2}}}
    compiled, pure = both_texts("find", command)
    expected = {"filter": {'b\x00\x1f\x7f"\\é\u2028': {"$gt": "?"}}}
    assert compiled == pure == orjson.dumps(expected).decode()


def ingest_rows(root: Path, log: Path) -> dict[str, list[tuple]]:
    settings_ = Settings(root=root, workers=1)  # one worker: the parser runs in this process
    ingest([str(log)], settings_)
    sql = "SELECT * EXCLUDE (date) FROM t ORDER BY file_id, file_offset"
    return {stream: query(root, stream, sql) for stream in STREAMS}


def assert_same_ingest(tmp_path: Path, log: Path) -> dict[str, list[tuple]]:
    compiled = ingest_rows(tmp_path / "compiled", log)
    with shape.pure_python():
        pure = ingest_rows(tmp_path / "pure", log)
    for stream in STREAMS:
        assert len(compiled[stream]) == len(pure[stream]), stream
        for a, b in zip(compiled[stream], pure[stream], strict=True):
            assert a == b, stream
    return compiled


def test_same_rows_on_a_generated_log(tmp_path: Path) -> None:
    log = tmp_path / "gen.log"
    with log.open("wb") as out:
        stats = generate(GenSpec(seed=5, target_bytes=2_000_000, faults=True), out)
    rows = assert_same_ingest(tmp_path, log)
    assert len(rows["slow_queries"]) == stats.slow > 500


@pytest.mark.parametrize("name", ["hatchet-6.0.14-rs2.log.gz", "bloommarbella-7.0.14.log.gz"])
def test_same_rows_on_real_logs(tmp_path: Path, name: str) -> None:
    log = SHARED_DATA / "mongodb" / "json" / name
    if not log.exists():
        pytest.skip(f"{log} not present: ../shared/data holds the real conformance logs")
    rows = assert_same_ingest(tmp_path, log)
    assert rows["slow_queries"]


def test_same_rows_on_the_bundled_log(tmp_path: Path) -> None:
    assert_same_ingest(tmp_path, TEST_DATA / "mongod-4.4-auth.log")
