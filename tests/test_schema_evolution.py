"""Schema evolution: a lake written by an earlier release keeps answering after columns are
added, alone and mixed with files of today's schema, on both engines and after compaction.

`tests/data/lakes/loglake-0.1.0/` was written by loglake 0.1.0 (before `full_scan` and
`is_system` existed) from tests/data/advisor/mongod-heuristics.log, tests/data/mongod-4.4-auth.log
and a legacy 2.4 log, with --copy-source; `loglake-0.1.0.answers.json` holds the answers that
release gave on it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import TEST_DATA
from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.schema import COLUMNS, Stream, column_names, schema_id

OLD_LAKE = TEST_DATA / "lakes" / "loglake-0.1.0"
OLD_ANSWERS = TEST_DATA / "lakes" / "loglake-0.1.0.answers.json"
ADDED = {"full_scan", "is_system"}  # slow_queries columns added since 0.1.0


@pytest.fixture
def old_lake(settings: Settings) -> Path:
    """A writable copy of the lake written by loglake 0.1.0, at the test settings' root."""
    shutil.copytree(OLD_LAKE, settings.root)
    return settings.root


def _analytics(root: Path, **options: Any) -> Analytics:
    return Analytics(Settings(root=root, precomputed_answers=False, cache_entries=0, **options))


def _without_added(value: Any) -> Any:
    """An answer with the columns added since 0.1.0 taken out (rows now carry them too)."""
    if isinstance(value, dict):
        return {k: _without_added(v) for k, v in value.items() if k not in ADDED}
    if isinstance(value, list):
        return [_without_added(v) for v in value]
    return value


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def test_fixture_predates_the_added_columns() -> None:
    files = sorted((OLD_LAKE / "slow_queries").rglob("*.parquet"))
    assert files
    for path in files:
        names = set(pq.read_schema(path).names)
        assert not names & ADDED
        assert names < set(column_names(Stream.SLOW_QUERIES))


def test_old_lake_answers_as_it_did(old_lake: Path) -> None:
    expected = json.loads(OLD_ANSWERS.read_text())
    analytics = _analytics(old_lake)
    for name, case in expected.items():
        got = _jsonable(analytics.ask(case["question"], case["args"]))
        assert _without_added(got) == case["answer"], name


def test_old_rows_get_the_backfilled_columns(old_lake: Path) -> None:
    analytics = _analytics(old_lake)
    with analytics.lake.snapshot() as cur:
        rows = cur.execute("SELECT plan, db, full_scan, is_system FROM slow_queries").fetchall()
        newest = cur.execute(
            "SELECT count(*), count_if(full_scan) FROM slow_queries_newest_first"
        ).fetchone()
    assert rows
    for plan, db, full_scan, is_system in rows:
        assert full_scan is (plan == "COLLSCAN")
        assert is_system is (db in ("admin", "local", "config"))
    assert newest == (len(rows), sum(1 for r in rows if r[0] == "COLLSCAN"))
    assert newest[1] > 0
    assert any(r[3] for r in rows)


def _mixed_lake(old_lake: Path, run_ingest: Any, settings: Settings) -> Path:
    """The old lake plus a new ingest (files of today's schema) in the same partitions."""
    source = TEST_DATA / "advisor" / "mongod-collscan-esr.log"
    report = run_ingest(source)
    assert report["rows"]["slow_queries"] > 0
    manifest = json.loads((settings.root / "manifest.json").read_text())
    schemas = {art.get("schema") for art in manifest["artifacts"].values()}
    assert None in schemas  # 0.1.0's files carry no schema id
    assert schema_id(Stream.SLOW_QUERIES) in schemas
    return settings.root


def _truth(root: Path) -> tuple[int, int, int]:
    """(rows, full scans, system rows) read file by file, independently of loglake's views."""
    rows = scans = system = 0
    for path in (root / "slow_queries").rglob("*.parquet"):
        table = pq.read_table(path)
        for rec in table.select(["plan", "db"]).to_pylist():
            rows += 1
            scans += rec["plan"] == "COLLSCAN"
            system += rec["db"] in ("admin", "local", "config")
    return rows, scans, system


def test_mixed_lake_answers_on_both_engines(
    old_lake: Path, run_ingest: Any, settings: Settings
) -> None:
    root = _mixed_lake(old_lake, run_ingest, settings)
    rows, scans, system = _truth(root)
    duck = _analytics(root).ask("summary", {})
    polars = _analytics(root, disable_duckdb=True).ask("summary", {})
    assert duck["count"] == polars["count"] == rows
    assert duck["collscans"] == polars["collscans"] == scans
    hidden = _analytics(root).ask("summary", {"hide_system": "1"})
    hidden_polars = _analytics(root, disable_duckdb=True).ask("summary", {"hide_system": "1"})
    assert hidden["count"] == hidden_polars["count"] == rows - system
    # a newest-first page reads files of both schemas
    page = _analytics(root).ask("slow_queries", {"limit": "1000"})
    assert page["total"] == rows
    assert {r["full_scan"] for r in page["rows"]} == {True, False}


def test_compaction_keeps_backfilled_values(
    old_lake: Path, run_ingest: Any, settings: Settings
) -> None:
    from loglake.ingest.compact import compact

    root = _mixed_lake(old_lake, run_ingest, settings)
    before = _analytics(root).ask("summary", {})
    done = compact(root, min_files=1)
    assert done["partitions"] > 0
    manifest = json.loads((root / "manifest.json").read_text())
    slow = [a for a in manifest["artifacts"].values() if a["stream"] == "slow_queries"]
    assert {a["schema"] for a in slow} == {schema_id(Stream.SLOW_QUERIES)}
    for path in (root / "slow_queries").rglob("*.parquet"):
        table = pq.read_table(path)
        assert set(table.column_names) >= ADDED
        assert table.column("full_scan").null_count == 0
    after = _analytics(root).ask("summary", {})
    assert after == before


def test_a_column_from_a_newer_release_is_ignored(old_lake: Path) -> None:
    """Forward compatibility: a file with a column this release does not know still reads."""
    path = next((old_lake / "events").rglob("*.parquet"))
    table = pq.read_table(path)
    table = table.append_column("from_the_future", pa.array(["x"] * table.num_rows))
    pq.write_table(table, path)
    analytics = _analytics(old_lake)
    with analytics.lake.snapshot() as cur:
        names = [d[0] for d in cur.execute("SELECT * FROM events LIMIT 0").description]
        count = cur.execute("SELECT count(*) FROM events").fetchone()[0]
    assert names == [*column_names(Stream.EVENTS), "date"]
    manifest = json.loads((old_lake / "manifest.json").read_text())
    assert count == manifest["streams"]["events"]["rows"]


def test_every_declared_column_reaches_the_view(old_lake: Path) -> None:
    analytics = _analytics(old_lake)
    with analytics.lake.snapshot() as cur:
        for stream in Stream:
            described = cur.execute(f"DESCRIBE {stream}").fetchall()
            assert [r[0] for r in described] == [c.name for c in COLUMNS[stream]] + ["date"]


def test_detail_of_an_old_row_carries_the_added_columns(old_lake: Path) -> None:
    """Detail reads a row straight from its file; an old file's row is completed like a view's."""
    analytics = _analytics(old_lake)
    page = analytics.ask("slow_queries", {"plan": "COLLSCAN", "limit": "5"})
    assert page["rows"]
    for row in page["rows"]:
        assert row["full_scan"] is True
        args = {"file_id": row["file_id"], "file_offset": str(row["file_offset"])}
        record = analytics.ask("detail", args)["record"]
        assert record["full_scan"] is True
        assert record["is_system"] is False
        assert list(record)[: len(COLUMNS[Stream.SLOW_QUERIES])] == list(
            column_names(Stream.SLOW_QUERIES)
        )
