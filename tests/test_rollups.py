"""Answers from the slow-query rollups equal answers from the rows, and the rollups follow
the data: written after each commit, extended by an append, rebuilt by rebuild-summaries,
never mixed with rows of another dataset version.

Two `Analytics` over one root are asked the same questions: the default one, which answers
from the rollups when `rollups.covers` allows, and one with `rollups=False`, which scans the
rows. Answers must be identical — the same keys in the same order, types and values, floats
to the last bit (percentiles included) — except where SQL leaves a choice open: a mode()
tie may pick either value, arg_max() either slowest execution, and both are checked.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import TEST_DATA, Runner, shared
from loglake.analytics import filters, rollups
from loglake.analytics.listeners import after_commit
from loglake.analytics.params import GROUP_KEYS, PATTERN_SORTS, parse_params
from loglake.analytics.rollup_writer import update_rollups
from loglake.analytics.service import Analytics
from loglake.analytics.slow import GROUP_COLUMNS
from loglake.config import Settings
from loglake.generate import GenSpec, GenStats, generate
from loglake.ingest.pipeline import ingest
from loglake.layout import ROLLUPS
from loglake.schema import Stream
from loglake.store.manifest import Manifest
from test_polars_parity import _edges

OLD_LAKE = TEST_DATA / "lakes" / "loglake-0.1.0"
ROLLUP_KEYS = [k for k in GROUP_KEYS if GROUP_COLUMNS[k] in rollups.KEYS]


def _generated(path: Path, seed: int, start: str) -> tuple[Path, GenStats]:
    """A seeded generated mongod log from `start` (2 MB: about 13 hours), and what it holds."""
    with path.open("wb") as f:
        stats = generate(GenSpec(seed=seed, target_bytes=2_000_000, start=start, days=1), f)
    return path, stats


def _three_days(tmp: Path) -> list[Path]:
    """Generated logs of 2024-03-18, 19 and 20: ranges with whole days and hours around."""
    return [
        _generated(tmp / f"{day}.log", day, f"2024-03-{day}T00:00:00")[0] for day in (18, 19, 20)
    ]


def _ingest(settings: Settings, *paths: Path, **options: Any) -> dict[str, Any]:
    """A real ingest followed by the after-commit work `loglake ingest` runs."""
    listeners = options.pop("listeners", after_commit(settings))
    return ingest([str(p) for p in paths], settings, listeners=listeners, **options)


def _settings(root: Path, **options: Any) -> Settings:
    return Settings(root=root, workers=2, range_bytes=1024 * 1024, **options)


@dataclass
class Pair:
    """The same dataset asked through the rollups and through the rows."""

    rolled: Analytics
    raw: Analytics
    picks: dict[str, str]
    name: str = ""

    def sql(self, text: str, values: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of SQL over the raw views."""
        with self.raw.lake.snapshot() as cur:
            return list(cur.execute(text, values or []).fetchall())

    def covered(self, question: str, args: dict[str, Any], **needs: Any) -> bool:
        """True when the rolled-up engine answers these arguments from rollups."""
        params = parse_params(question, args)
        with self.rolled.lake.snapshot() as cur:
            return rollups.use(cur, params, **needs)


def _open(root: Path) -> Pair:
    options = {"cache_entries": 0, "precomputed_answers": False}
    pair = Pair(
        Analytics(Settings(root=root, **options)),
        Analytics(Settings(root=root, rollups=False, **options)),
        {},
    )
    with pair.raw.lake.snapshot() as cur:
        assert not rollups.ready(cur)
    for param, column in (
        ("namespace", "namespace"),
        ("op", "op"),
        ("plan", "plan"),
        ("app", "app_name"),
        ("db", "db"),
        ("collection", "collection"),
        ("engine", "engine"),
        ("client", "client_ip"),
        ("user", "user"),
        ("query_hash", "query_hash"),
        ("shape_hash", "shape_hash"),
    ):
        found = pair.sql(
            f"SELECT {column} FROM slow_queries WHERE {column} IS NOT NULL "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        )
        pair.picks[param] = str(found[0][0]) if found else "absent"
    [(first, last)] = pair.sql("SELECT min(ts), max(ts) FROM slow_queries")
    hour = first.replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    pair.picks["hour"] = _iso(hour)
    pair.picks["hour_later"] = _iso(hour + timedelta(hours=9))
    last_day = last.replace(hour=0, minute=0, second=0, microsecond=0)
    pair.picks["day_end"] = _iso(last_day)
    pair.picks["last_day_hour"] = _iso(last_day + timedelta(hours=5))
    pair.picks["mid_hour"] = _iso(hour + timedelta(minutes=30))
    return pair


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module", params=["generated", "edges", "shared"])
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Pair:
    """Generated logs of three days (seeded), a log of NULLs and ties, or the real logs of
    ../shared/data, ingested as the CLI does."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "generated":
        paths = _three_days(tmp)
    elif request.param == "edges":
        paths = [_edges(tmp)]
    else:  # the real conformance logs (skipped when ../shared/data is absent)
        paths = [shared("mongodb", "json"), shared("mongodb", "legacy")]
    settings = _settings(tmp / "lake")
    _ingest(settings, *paths)
    opened = _open(settings.root)
    opened.name = request.param
    return opened


# Comparing answers ---------------------------------------------------------------------
def assert_same(rolled: Any, raw: Any, path: str = "") -> None:
    """Equal keys in order, equal types, equal values (floats to the last bit)."""
    assert type(rolled) is type(raw), f"{path}: {rolled!r} vs rows {raw!r}"
    if isinstance(raw, dict):
        assert list(rolled) == list(raw), f"{path}: keys"
        for key, value in raw.items():
            assert_same(rolled[key], value, f"{path}.{key}")
    elif isinstance(raw, list):
        assert len(rolled) == len(raw), f"{path}: {len(rolled)} rows, rows {len(raw)}"
        for i, (a, b) in enumerate(zip(rolled, raw, strict=True)):
            assert_same(a, b, f"{path}[{i}]")
    else:
        assert rolled == raw, path


def _duration_at(pair: Pair, sample: dict[str, Any]) -> float:
    rows = pair.sql(
        "SELECT duration_ms FROM slow_queries WHERE file_id = ? AND file_offset = ?",
        [sample["file_id"], sample["file_offset"]],
    )
    return float(rows[0][0])


def _count_of(pair: Pair, args: dict[str, Any], key: Any, column: str, value: Any) -> int:
    """How often `column` has `value` among one pattern's rows (same filters, raw rows)."""
    params = parse_params("patterns", args)
    group = GROUP_COLUMNS[params["group_by"]]
    clause, bound = filters.where(
        Stream.SLOW_QUERIES,
        params,
        f"{group} IS NOT DISTINCT FROM ? AND {column} = ?",
        (key, value),
    )
    return int(pair.sql(f"SELECT count(*) FROM slow_queries {clause}", bound)[0][0])


def assert_same_patterns(pair: Pair, args: dict[str, Any], rolled: Any, raw: Any) -> None:
    """Patterns identical, but for mode() ties and equally slow samples, which must be valid."""
    assert len(rolled["rows"]) == len(raw["rows"])
    for r_row, raw_row in zip(rolled["rows"], raw["rows"], strict=True):
        mine = dict(r_row)
        for column in ("namespace", "op", "shape"):
            if mine[column] != raw_row[column]:  # a mode() tie: both values as frequent
                counts = [
                    _count_of(pair, args, raw_row["key"], column, v)
                    for v in (mine[column], raw_row[column])
                ]
                assert counts[0] == counts[1] > 0, (column, raw_row["key"], counts)
                mine[column] = raw_row[column]
        if mine["sample"] != raw_row["sample"]:  # arg_max() tie: another slowest execution
            assert _duration_at(pair, mine["sample"]) == raw_row["max_ms"]
            mine["sample"] = raw_row["sample"]
        assert_same(mine, raw_row, f"rows[{raw_row['key']}]")
    assert_same({**rolled, "rows": []}, {**raw, "rows": []})


def _ask_both(pair: Pair, question: str, args: dict[str, Any]) -> None:
    rolled, raw = pair.rolled.ask(question, args), pair.raw.ask(question, args)
    if question == "patterns":
        assert_same_patterns(pair, args, rolled, raw)
    elif question == "trend":
        # the series' labels and keys come from patterns, compared above; the sample is rows
        assert_same(rolled, raw)
    else:
        assert_same(rolled, raw)


# The matrix ----------------------------------------------------------------------------
FILTERS: dict[str, dict[str, str]] = {
    "none": {},
    "namespace": {"namespace": "namespace"},
    "op": {"op": "op"},
    "plan": {"plan": "plan"},
    "app": {"app": "app"},
    "db": {"db": "db"},
    "collection": {"collection": "collection"},
    "shape_hash": {"shape_hash": "shape_hash"},
    "hide_system": {"hide_system": "=1"},
    "from-to on hours": {"from": "hour", "to": "hour_later"},
    "from on the hour": {"from": "hour"},
    "to on a day": {"to": "day_end"},
    # whole days from daily_durations, the hours around them from durations
    "from-to across days": {"from": "hour", "to": "last_day_hour"},
    "namespace, op and hours": {"namespace": "namespace", "op": "op", "from": "hour"},
}
if "engine" in filters._COMPARE:  # the engine filter (issue 17's other part) is a rollup key
    FILTERS["engine"] = {"engine": "engine"}
NOT_COVERED: dict[str, dict[str, str]] = {
    "client": {"client": "client"},
    "user": {"user": "user"},
    "q": {"q": "=find"},
    "query_hash": {"query_hash": "query_hash"},
    "from mid-hour": {"from": "mid_hour"},
    "min_ms": {"min_ms": "=100"},
    "max_ms with a namespace": {"max_ms": "=250", "namespace": "namespace"},
}


def _args(pair: Pair, spec: dict[str, str]) -> dict[str, str]:
    """Filter arguments: a pick from the data by name, or a literal after `=`."""
    return {k: v[1:] if v.startswith("=") else pair.picks[v] for k, v in spec.items()}


@pytest.mark.parametrize("name", FILTERS)
def test_summary_from_rollups_equals_the_rows(pair: Pair, name: str) -> None:
    args = _args(pair, FILTERS[name])
    assert pair.covered("summary", args)
    _ask_both(pair, "summary", args)


@pytest.mark.parametrize("question", ["workload", "heatmap"])
@pytest.mark.parametrize("name", FILTERS)
def test_workload_and_heatmap_from_rollups(pair: Pair, name: str, question: str) -> None:
    args = _args(pair, FILTERS[name])
    assert pair.covered(question, args)
    _ask_both(pair, question, args)


@pytest.mark.parametrize("group_by", ROLLUP_KEYS)
@pytest.mark.parametrize("name", FILTERS)
def test_patterns_from_rollups_equal_the_rows(pair: Pair, name: str, group_by: str) -> None:
    args = {**_args(pair, FILTERS[name]), "group_by": group_by}
    assert pair.covered("patterns", args, key=GROUP_COLUMNS[group_by])
    _ask_both(pair, "patterns", args)


@pytest.mark.parametrize("sort", PATTERN_SORTS)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_every_pattern_sort_from_rollups(pair: Pair, sort: str, order: str) -> None:
    _ask_both(pair, "patterns", {"sort": sort, "order": order, "limit": "7"})


@pytest.mark.parametrize("bucket", ["auto", "1h", "6h", "1d"])
@pytest.mark.parametrize(
    "name", ["none", "namespace", "from-to on hours", "from-to across days", "hide_system"]
)
@pytest.mark.parametrize("group_by", ["shape", "namespace", "app"])
def test_trend_series_from_rollups(pair: Pair, name: str, bucket: str, group_by: str) -> None:
    args = {**_args(pair, FILTERS[name]), "bucket": bucket, "group_by": group_by}
    assert pair.covered("trend", args, key=GROUP_COLUMNS[group_by])
    _ask_both(pair, "trend", args)


@pytest.mark.parametrize(
    "extra",
    [{}, {"min_ms": "=100"}, {"max_ms": "=5", "op": "op"}, {"sort": "=duration_ms"}],
    ids=["plain", "min_ms", "max_ms+op", "by duration"],
)
@pytest.mark.parametrize("name", ["none", "namespace", "from-to across days", "plan"])
def test_slow_query_page_count_from_rollups(pair: Pair, name: str, extra: dict[str, str]) -> None:
    args = _args(pair, {**FILTERS[name], **extra})
    assert pair.covered("slow_queries", args, by_duration=True)
    _ask_both(pair, "slow_queries", args)


@pytest.mark.parametrize("name", NOT_COVERED)
def test_filters_rollups_cannot_answer_scan_the_rows(pair: Pair, name: str) -> None:
    args = _args(pair, NOT_COVERED[name])
    assert not pair.covered("summary", args)
    assert not pair.covered("patterns", {**args, "group_by": "shape"}, key="shape_hash")
    for question in ("summary", "patterns", "workload", "heatmap"):
        _ask_both(pair, question, args)


def test_groupings_and_buckets_rollups_cannot_answer(pair: Pair) -> None:
    assert not pair.covered("patterns", {"group_by": "query_hash"}, key="query_hash")
    assert not pair.covered("trend", {}, key="shape_hash", bucket_us=15 * 60 * 1_000_000)
    _ask_both(pair, "patterns", {"group_by": "query_hash"})
    _ask_both(pair, "trend", {"bucket": "15m"})


def test_rollups_hold_the_engine_key(pair: Pair) -> None:
    with pair.rolled.lake.snapshot() as cur:
        found = cur.execute(
            "SELECT engine, sum(count) FROM slow_queries_hourly GROUP BY 1"
        ).fetchall()
    raw = pair.sql("SELECT engine, count(*) FROM slow_queries GROUP BY 1")
    assert sorted(found) == sorted(raw)
    assert {engine for engine, _ in found} == {"mongodb"}


# The rollups follow the data -----------------------------------------------------------
def _summary_count(analytics: Analytics) -> int:
    return int(analytics.ask("summary", {})["count"])


def _parts(root: Path) -> list[dict[str, Any]]:
    return rollups.read_index(root)["parts"]


def test_counts_equal_the_generators_truth(settings: Settings, tmp_path: Path) -> None:
    path, stats = _generated(tmp_path / "a.log", 5, "2024-03-18T00:00:00")
    _ingest(settings, path)
    pair = _open(settings.root)
    assert pair.covered("summary", {})
    assert _summary_count(pair.rolled) == stats.slow > 0
    by_op = pair.rolled.ask("patterns", {"group_by": "namespace", "limit": "10000"})
    assert sum(row["count"] for row in by_op["rows"]) == stats.slow


def test_an_append_adds_a_part_covering_the_new_rows(settings: Settings, tmp_path: Path) -> None:
    first, a = _generated(tmp_path / "a.log", 5, "2024-03-18T00:00:00")
    second, b = _generated(tmp_path / "b.log", 6, "2024-03-25T00:00:00")
    _ingest(settings, first)
    [part] = _parts(settings.root)
    _ingest(settings, second)
    parts = _parts(settings.root)
    assert parts[0] == part  # the first part is kept, not recomputed
    assert len(parts) == 2
    files = {loc.key for loc in Manifest.load(settings.root).locations(Stream.SLOW_QUERIES)}
    assert {key for p in parts for key in p["covers"]} == files
    pair = _open(settings.root)
    assert pair.covered("summary", {})
    assert _summary_count(pair.rolled) == a.slow + b.slow
    _ask_both(pair, "summary", {})
    _ask_both(pair, "patterns", {"group_by": "namespace"})
    _ask_both(pair, "trend", {"from": "2024-03-25T00:00:00Z"})


def test_rows_of_a_version_without_its_rollups_are_scanned(
    settings: Settings, tmp_path: Path
) -> None:
    first, a = _generated(tmp_path / "a.log", 5, "2024-03-18T00:00:00")
    second, b = _generated(tmp_path / "b.log", 6, "2024-03-25T00:00:00")
    _ingest(settings, first)
    pair = _open(settings.root)
    assert _summary_count(pair.rolled) == a.slow
    _ingest(settings, second, listeners=())  # committed; its rollups not written yet
    assert not pair.covered("summary", {})  # version 2's rows, not version 1's rollups
    assert _summary_count(pair.rolled) == a.slow + b.slow
    update_rollups(Manifest.load(settings.root))  # the listener's work, done now
    assert pair.covered("summary", {})
    assert _summary_count(pair.rolled) == a.slow + b.slow
    _ask_both(pair, "patterns", {})


def test_a_compaction_recomputes_what_it_merged(settings: Settings, tmp_path: Path) -> None:
    from loglake.ingest.compact import compact

    for n in range(3):  # three ingests: three files in each date partition
        path, _ = _generated(tmp_path / f"{n}.log", 20 + n, "2024-03-18T00:00:00")
        _ingest(settings, path)
    assert len(_parts(settings.root)) == 3
    compact(settings.root, min_files=2, listeners=after_commit(settings))
    files = {loc.key for loc in Manifest.load(settings.root).locations(Stream.SLOW_QUERIES)}
    parts = _parts(settings.root)
    assert {key for p in parts for key in p["covers"]} == files
    pair = _open(settings.root)
    assert pair.covered("summary", {})
    _ask_both(pair, "summary", {})
    _ask_both(pair, "patterns", {"group_by": "app"})


def test_rebuild_summaries_rebuilds_the_rollups(
    settings: Settings, tmp_path: Path, runner: Runner
) -> None:
    path, stats = _generated(tmp_path / "a.log", 5, "2024-03-18T00:00:00")
    _ingest(settings, path)
    shutil.rmtree(settings.root / ROLLUPS)
    pair = _open(settings.root)
    assert not pair.covered("summary", {})
    result = runner.run("rebuild-summaries", "--data", str(settings.root))
    assert result.exit_code == 0, result.output
    assert "1 rollup parts" in result.output
    assert pair.covered("summary", {})
    assert _summary_count(pair.rolled) == stats.slow
    _ask_both(pair, "patterns", {"group_by": "plan"})


def test_rollups_off_writes_none(tmp_path: Path) -> None:
    path, _ = _generated(tmp_path / "a.log", 5, "2024-03-18T00:00:00")
    settings = _settings(tmp_path / "lake", rollups=False)
    _ingest(settings, path)
    assert not (settings.root / ROLLUPS).exists()


def test_an_old_lake_answers_then_gains_rollups(settings: Settings, runner: Runner) -> None:
    shutil.copytree(OLD_LAKE, settings.root)
    pair = _open(settings.root)
    assert not pair.covered("summary", {})
    before = {q: pair.rolled.ask(q, {}) for q in ("summary", "patterns", "trend")}
    result = runner.run("rebuild-summaries", "--data", str(settings.root))
    assert result.exit_code == 0, result.output
    assert pair.covered("summary", {})
    assert pair.covered("patterns", {"group_by": "app"}, key="app_name")
    for question, answer in before.items():
        after = json.loads(json.dumps(pair.rolled.ask(question, {})))
        if question == "patterns":
            assert_same_patterns(pair, {}, after, json.loads(json.dumps(answer)))
        else:
            assert_same(after, json.loads(json.dumps(answer)))
    for group_by in ROLLUP_KEYS:
        _ask_both(pair, "patterns", {"group_by": group_by})


@pytest.mark.parametrize(
    ("low", "high", "pieces"),
    [
        (None, None, ["daily_durations"]),
        ("2024-03-18T00:00", "2024-03-20T00:00", ["daily_durations"]),
        ("2024-03-18T05:00", None, ["daily_durations", "durations"]),
        ("2024-03-18T05:00", "2024-03-20T07:00", ["daily_durations", "durations", "durations"]),
        ("2024-03-18T05:00", "2024-03-19T07:00", ["durations"]),  # no whole day between
    ],
)
def test_percentiles_read_whole_days_from_daily_durations(
    low: str | None, high: str | None, pieces: list[str]
) -> None:
    params = parse_params("summary", {"from": low, "to": high})
    text, _ = rollups.durations_source(params)
    used = [name for name in text.split() if name.startswith("slow_queries_")]
    assert used == [rollups.VIEWS[p] for p in pieces]


def test_retention_recomputes_what_it_dropped(
    settings: Settings, tmp_path: Path, runner: Runner
) -> None:
    _ingest(settings, *_three_days(tmp_path))
    result = runner.run("clean", "--before", "2024-03-19", "--data", str(settings.root))
    assert result.exit_code == 0, result.output
    files = {loc.key for loc in Manifest.load(settings.root).locations(Stream.SLOW_QUERIES)}
    assert files and all("date=2024-03-18" not in key for key in files)
    assert {key for p in _parts(settings.root) for key in p["covers"]} == files
    pair = _open(settings.root)
    assert pair.covered("summary", {})
    assert pair.rolled.ask("summary", {})["first_ts"] >= "2024-03-19"
    _ask_both(pair, "summary", {})
    _ask_both(pair, "patterns", {"group_by": "namespace"})


def test_the_range_across_days_reads_every_piece(pair: Pair) -> None:
    if pair.name != "generated":
        pytest.skip("only the generated days have rows on both sides of every cut")
    params = parse_params("summary", _args(pair, FILTERS["from-to across days"]))
    text, values = rollups.durations_source(params)
    pieces = text.split(" UNION ALL BY NAME ")
    assert len(pieces) == 3
    counts, used = [], 0
    with pair.rolled.lake.snapshot() as cur:
        for piece in pieces:
            bound = values[used : used + piece.count("?")]
            used += len(bound)
            counts.append(cur.execute(f"SELECT count(*) FROM {piece}", bound).fetchall()[0][0])
    assert used == len(values)
    assert all(n > 0 for n in counts), counts


def test_parts_stay_few_as_appends_add_them(settings: Settings, tmp_path: Path) -> None:
    counts = []
    for n in range(4):  # four appends (as --follow rounds are) without their listeners
        path, stats = _generated(tmp_path / f"{n}.log", 30 + n, f"2024-04-0{n + 1}T00:00:00")
        _ingest(settings, path, listeners=())
        counts.append(stats.slow)
        update_rollups(Manifest.load(settings.root), max_parts=2)
        assert len(_parts(settings.root)) == min(n + 1, 2)
    parts = _parts(settings.root)
    assert sum(p["source_rows"] for p in parts) == sum(counts)
    files = {loc.key for loc in Manifest.load(settings.root).locations(Stream.SLOW_QUERIES)}
    assert sorted(key for p in parts for key in p["covers"]) == sorted(files)
    pair = _open(settings.root)
    assert pair.covered("summary", {})
    assert _summary_count(pair.rolled) == sum(counts)
    _ask_both(pair, "patterns", {"group_by": "plan"})
    part_files = {rel for p in parts for rel in p["files"].values()}
    on_disk = {
        str(f.relative_to(settings.root)) for f in (settings.root / ROLLUPS).rglob("*.parquet")
    }
    assert part_files <= on_disk  # the current parts, plus at most the previous index's
