"""The Polars fallback engine answers every question it supports exactly as DuckDB does.

Two `Analytics` facades on one dataset root — the default (DuckDB) and
`disable_duckdb=True` (Polars) — are asked the same questions over a grid of filters,
groupings, sorts, pages and time ranges, and must give equal answers: the same keys in the
same order, the same types, equal values (floats to 1e-12: percentiles may differ in the
last bit). Where SQL leaves a choice open the check is the rule instead of the value: a
mode() tie may pick either tied value, arg_max() either slowest row, and client-metadata
rows with equal counts may come in either order.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from conftest import TEST_DATA, IngestFn, shared
from loglake.analytics import connections, filters, polars_lake, polars_streams
from loglake.analytics.params import PATTERN_SORTS, SLOW_SORTS, parse_params
from loglake.analytics.service import Analytics, DegradedError
from loglake.analytics.slow import GROUP_COLUMNS
from loglake.config import Settings
from loglake.errors import InputError, NotFoundError
from loglake.generate import GenSpec, generate
from loglake.ingest.pipeline import ingest
from loglake.schema import Stream

INDIA = timezone(timedelta(hours=5, minutes=30))
REL = 1e-12  # floats: sums in another order, percentiles interpolated in another order


@dataclass
class Engines:
    """Both engines on one dataset, and values picked from its data for the filters."""

    duck: Analytics
    polars: Analytics
    root: Path
    picks: dict[str, str]

    def both(self, question: str, args: dict[str, Any]) -> tuple[Any, Any]:
        """The DuckDB answer and the Polars answer to one question."""
        return self.duck.ask(question, args), self.polars.ask(question, args)

    def sql(self, text: str, values: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of SQL over the DuckDB engine's views (for picks and tie checks)."""
        with self.duck.lake.snapshot() as cur:
            return list(cur.execute(text, values or []).fetchall())


def _open(root: Path) -> Engines:
    duck = Analytics(Settings(root=root))
    polars = Analytics(Settings(root=root, disable_duckdb=True))
    assert (duck.engine, polars.engine) == ("duckdb", "polars")
    engines = Engines(duck, polars, root, {})
    engines.picks = _picks(engines)
    return engines


def _most_common(engines: Engines, stream: str, column: str) -> str:
    rows = engines.sql(
        f"SELECT {column} FROM {stream} WHERE {column} IS NOT NULL "
        f"GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    )
    return str(rows[0][0]) if rows else "absent"


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _picks(engines: Engines) -> dict[str, str]:
    """Filter values that select something in this dataset."""
    picks: dict[str, str] = {}
    for stream, columns in (
        ("slow_queries", ("namespace", "db", "collection", "op", "plan", "app_name", "user")),
        ("slow_queries", ("client_ip", "shape_hash", "query_hash")),
        ("authentications", ("user", "client_ip", "mechanism")),
        ("connections", ("client_ip",)),
    ):
        for column in columns:
            picks[f"{stream}.{column}"] = _most_common(engines, stream, column)
    for stream in ("slow_queries", "authentications", "connections"):
        low, high = engines.sql(
            f"SELECT quantile_disc(ts, 0.3), quantile_disc(ts, 0.7) FROM {stream}"
        )[0]
        low = low or datetime(2024, 3, 18, tzinfo=UTC)
        high = high or low + timedelta(days=1)
        picks[f"{stream}.from"] = _iso(low)
        picks[f"{stream}.to"] = _iso(high + timedelta(microseconds=1))
        picks[f"{stream}.to_exact"] = _iso(high)  # a row's own time: `to` excludes it
        picks[f"{stream}.from_tz"] = low.astimezone(INDIA).isoformat()
        picks[f"{stream}.from_epoch"] = str(int(low.timestamp()))
        picks[f"{stream}.to_epoch_ms"] = str(int(high.timestamp() * 1000) + 1)
        picks[f"{stream}.day"] = low.date().isoformat()
    return picks


def _generated(tmp: Path) -> Path:
    """The seeded generated log of the brief: 3 MB, seed 11."""
    out = tmp / "generated-seed-11.log"
    with out.open("wb") as f:
        generate(GenSpec(seed=11, target_bytes=3_000_000), f)
    return out


def _line(rng: random.Random, msg_id: int, ctx: str, msg: str, attr: dict[str, Any]) -> str:
    """One mongod 4.4+ JSON line at one of 288 instants of two days (ties in every sort)."""
    at = datetime(2024, 3, 18, tzinfo=UTC) + timedelta(seconds=rng.randrange(0, 172_800, 600))
    stamp = at.astimezone(rng.choice([UTC, INDIA])).isoformat(timespec="milliseconds")
    record = {"t": {"$date": stamp}, "s": "I", "c": "COMMAND", "id": msg_id, "ctx": ctx}
    return json.dumps({**record, "msg": msg, "attr": attr}, ensure_ascii=False)


def _maybe(rng: random.Random, attr: dict[str, Any], **values: list[Any]) -> dict[str, Any]:
    """`attr` with each named value drawn from its choices (None: left out, as mongod does)."""
    for name, choices in values.items():
        value = rng.choice(choices)
        if value is not None:
            attr[name] = value
    return attr


def _edges(tmp: Path) -> Path:
    """A seeded log of NULLs and ties: missing namespaces, durations, plans, users, uuids."""
    rng = random.Random(7)
    lines = []
    for _ in range(600):
        op = rng.choice(["find", "aggregate", "update", "count"])
        ns = rng.choice(["shop.orders", "shop.Items", "admin.system.users", "local.oplog.rs"])
        attr = _maybe(rng, {"type": "command"}, ns=[ns, ns, None])
        attr["command"] = {op: ns.split(".")[1], "filter": {rng.choice("ab"): 1}}
        _maybe(
            rng,
            attr,
            planSummary=[None, "COLLSCAN", "IXSCAN { a: 1 }", "IDHACK"],
            keysExamined=[None, 0, 3],
            docsExamined=[None, 0, 10, 10_000],
            nreturned=[None, 0, 1, 50],
            hasSortStage=[None, True, False],
            usedDisk=[None, True],
            queryHash=[None, "ABCD1234", "0000FFFF"],
            appName=[None, "orders-API", "Ünïcødé app", "it's 100%_done", "e"],
            remote=[None, "10.0.0.1:5000", "[::1]:27017"],
            durationMillis=[None, 0, 5, 5, 100, 100, 250, 1200],
        )
        lines.append(_line(rng, 51803, f"conn{rng.randrange(9)}", "Slow query", attr))
    for _ in range(150):
        ok = rng.random() < 0.6
        attr = _maybe(
            rng,
            {},
            user=[None, "alice", "bob", "o'brien"],
            mechanism=[None, "SCRAM-SHA-256", "SCRAM-SHA-1"],
            remote=[None, "10.0.0.1:5000", "10.0.0.2:5001"],
            error=[None] if ok else [None, "AuthenticationFailed: x", "UserNotFound: y"],
        )
        msg = "Successful authentication" if ok else "Authentication failed"
        lines.append(_line(rng, 5286306 if ok else 5286307, "conn3", msg, attr))
    for n in range(300):
        event = rng.choice([22943, 22944, 51800])
        attr = _maybe(
            rng,
            {},
            remote=[None, "10.0.0.1:5000", "10.0.0.3:7"],
            connectionId=[None, n % 40],
            connectionCount=[None, n % 13],
            uuid=[None, f"uuid-{n % 40}"],
        )
        if event == 51800:
            driver = rng.choice([{"name": "nodejs", "version": "6"}, {"name": "PyMongo"}, {}])
            attr["doc"] = {"driver": driver, "application": {"name": rng.choice("xyz")}}
        ctx = rng.choice([f"conn{n % 40}", "listener"])
        lines.append(_line(rng, event, ctx, "Connection", attr))
    out = tmp / "edges.log"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


@pytest.fixture(scope="module", params=["local", "edges", "shared"])
def engines(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Engines:
    """tests/data and a generated log (local), NULLs and ties (edges), or ../shared/data."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "local":
        paths = [*sorted(TEST_DATA.glob("*.log")), _generated(tmp)]
    elif request.param == "edges":
        paths = [_edges(tmp)]
    else:
        paths = [shared("mongodb", "json"), shared("mongodb", "legacy")]
    settings = Settings(root=tmp / "lake", workers=2, range_bytes=1024 * 1024)
    ingest([str(p) for p in paths], settings)
    return _open(settings.root)


# Comparing answers ---------------------------------------------------------------------
def assert_same(duck: Any, polars: Any, path: str = "") -> None:
    """Equal keys (in order), types and values; floats to a relative 1e-12."""
    if isinstance(duck, dict):
        assert isinstance(polars, dict), path
        assert list(polars) == list(duck), f"{path}: keys"
        for key, value in duck.items():
            assert_same(value, polars[key], f"{path}.{key}")
    elif isinstance(duck, list):
        assert isinstance(polars, list), path
        assert len(polars) == len(duck), f"{path}: {len(polars)} rows, DuckDB {len(duck)}"
        for i, (a, b) in enumerate(zip(duck, polars, strict=True)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(duck, float):
        assert type(polars) is float, f"{path}: {polars!r} is not a float"
        assert polars == pytest.approx(duck, rel=REL, abs=REL), path
    else:
        assert type(polars) is type(duck), f"{path}: {polars!r} vs DuckDB {duck!r}"
        assert polars == duck, path


def _counts_per_value(
    engines: Engines, args: dict[str, Any], key: Any, column: str, values: list[Any]
) -> list[int]:
    """How often each value of `column` occurs in one pattern's rows (DuckDB, same filters)."""
    params = parse_params("patterns", args)
    group = GROUP_COLUMNS[params["group_by"]]
    clause, bound = filters.where(
        Stream.SLOW_QUERIES, params, f"{group} IS NOT DISTINCT FROM ?", (key,)
    )
    counted = ", ".join(f"count(*) FILTER (WHERE {column} = ?)" for _ in values)
    rows = engines.sql(f"SELECT {counted} FROM slow_queries {clause}", [*values, *bound])
    return list(rows[0])


def _duration_at(engines: Engines, sample: dict[str, Any]) -> float:
    rows = engines.sql(
        "SELECT duration_ms FROM slow_queries WHERE file_id = ? AND file_offset = ?",
        [sample["file_id"], sample["file_offset"]],
    )
    return float(rows[0][0])


def assert_same_patterns(engines: Engines, args: dict[str, Any], duck: Any, polars: Any) -> None:
    """Patterns equal, but for mode() ties and equally slow samples, which must be valid."""
    assert len(polars["rows"]) == len(duck["rows"])
    for d_row, polars_row in zip(duck["rows"], polars["rows"], strict=True):
        p_row = dict(polars_row)
        for column in ("namespace", "op", "shape"):
            if p_row[column] != d_row[column]:  # a mode() tie: both values as frequent
                values = [d_row[column], p_row[column]]
                counts = _counts_per_value(engines, args, d_row["key"], column, values)
                assert counts[0] == counts[1] > 0, (column, d_row["key"], values, counts)
                p_row[column] = d_row[column]
        if p_row["sample"] != d_row["sample"]:  # arg_max() tie: another slowest execution
            assert _duration_at(engines, p_row["sample"]) == d_row["max_ms"]
            assert _duration_at(engines, d_row["sample"]) == d_row["max_ms"]
            p_row["sample"] = d_row["sample"]
        assert_same(d_row, p_row, f"rows[{d_row['key']}]")
    assert_same({**duck, "rows": []}, {**polars, "rows": []})


def assert_same_ranking(
    duck: list[dict[str, Any]], polars: list[dict[str, Any]], limit: int
) -> None:
    """Rows ordered by count only: the same counts, the same rows above the cut-off count."""
    assert [r["count"] for r in polars] == [r["count"] for r in duck]
    assert all(list(p) == list(d) for p, d in zip(polars, duck, strict=True))
    if not duck:
        return
    cut = duck[-1]["count"] if len(duck) == limit else -1
    key = json.dumps
    assert sorted(key(r) for r in polars if r["count"] > cut) == sorted(
        key(r) for r in duck if r["count"] > cut
    )


def assert_same_connections(duck: dict[str, Any], polars: dict[str, Any]) -> None:
    """Connections equal; client-metadata rows with equal counts in any order."""
    for name in polars_streams.METADATA:
        assert_same_ranking(duck[name], polars[name], connections.TOP)
    rest = [k for k in duck if k not in polars_streams.METADATA]
    assert_same({k: duck[k] for k in rest}, {k: polars[k] for k in rest})
    assert list(polars) == list(duck)


# The grid --------------------------------------------------------------------------------
SLOW_FILTERS = {
    "none": {},
    "from": {"from": "slow_queries.from"},
    "to": {"to": "slow_queries.to"},
    "to_exact": {"to": "slow_queries.to_exact"},
    "range": {"from": "slow_queries.from", "to": "slow_queries.to"},
    "range_offsets": {"from": "slow_queries.from_tz", "to": "slow_queries.to_epoch_ms"},
    "from_epoch": {"from": "slow_queries.from_epoch"},
    "from_day": {"from": "slow_queries.day"},
    "namespace": {"namespace": "slow_queries.namespace"},
    "db": {"db": "slow_queries.db"},
    "collection": {"collection": "slow_queries.collection"},
    "op": {"op": "slow_queries.op"},
    "plan": {"plan": "slow_queries.plan"},
    "app": {"app": "slow_queries.app_name"},
    "client": {"client": "slow_queries.client_ip"},
    "user": {"user": "slow_queries.user"},
    "shape_hash": {"shape_hash": "slow_queries.shape_hash"},
    "query_hash": {"query_hash": "slow_queries.query_hash"},
    "min_ms": {"min_ms": "100"},
    "max_ms": {"max_ms": "2.5"},
    "ms_band": {"min_ms": "1", "max_ms": "1000"},
    "q_upper_namespace": {"q": "=upper:slow_queries.namespace"},
    "q_plan": {"q": "ixscan"},
    "q_shape": {"q": '"$in"'},
    "q_app": {"q": "API"},
    "q_sql_injection": {"q": "%' OR 1=1; DROP TABLE slow_queries; --"},
    "q_regex_meta": {"q": ".*[(?"},
    "q_like_wildcards": {"q": "%_"},
    "q_backslash_quotes": {"q": "\\\"'`"},
    "q_unicode": {"q": "Ünïcødé ✓ 日本"},
    "q_unicode_case": {"q": "ÜNÏCØDÉ"},
    "q_spaces": {"q": " "},
    "hide_system": {"hide_system": "true"},
    "show_system": {"hide_system": "0"},
    "combined": {
        "from": "slow_queries.from",
        "min_ms": "0.5",
        "hide_system": "yes",
        "q": "e",
        "op": "slow_queries.op",
    },
    "nothing": {"namespace": "no.such.namespace"},
    "future": {"from": "2099-01-01"},
    "unknown_user": {"user": "Robert'); DROP TABLE students;--"},
}

AUTH_FILTERS = {
    "none": {},
    "range": {"from": "authentications.from", "to": "authentications.to_exact"},
    "from_tz": {"from": "authentications.from_tz"},
    "user": {"user": "authentications.user"},
    "client": {"client": "authentications.client_ip"},
    "mechanism": {"mechanism": "authentications.mechanism"},
    "success": {"result": "success"},
    "failure": {"result": "failure"},
    "combined": {"result": "failure", "from": "authentications.day"},
    "nothing": {"user": "nobody at all"},
}

CONN_FILTERS = {
    "none": {},
    "range": {"from": "connections.from", "to": "connections.to_exact"},
    "from_epoch": {"from": "connections.from_epoch"},
    "client": {"client": "connections.client_ip"},
    "nothing": {"client": "203.0.113.250"},
    "future": {"to": "1999-01-01", "from": "1998-12-31"},
}


def _args(engines: Engines, spec: dict[str, str], **more: str) -> dict[str, str]:
    """Raw parameters, with picks (`stream.column`) replaced by values from the dataset."""
    args = {}
    for name, value in spec.items():
        if value.startswith("=upper:"):
            args[name] = engines.picks[value.removeprefix("=upper:")].upper()
        else:
            args[name] = engines.picks.get(value, value)
    return {**args, **more}


def _same_answers(engines: Engines, question: str, args: dict[str, Any]) -> tuple[Any, Any]:
    duck, polars = engines.both(question, args)
    if question == "patterns":
        assert_same_patterns(engines, args, duck, polars)
    elif question == "connections":
        assert_same_connections(duck, polars)
    else:
        assert_same(duck, polars)
    return duck, polars


@pytest.mark.parametrize("name", SLOW_FILTERS)
def test_summary(engines: Engines, name: str) -> None:
    duck, _ = _same_answers(engines, "summary", _args(engines, SLOW_FILTERS[name]))
    if name == "none":
        assert duck["count"] > 100


# every filter by shape, and by one other grouping in turn
PATTERN_GRID = [
    (name, group_by)
    for i, name in enumerate(SLOW_FILTERS)
    for group_by in dict.fromkeys(("shape", list(GROUP_COLUMNS)[1 + i % 4]))
]


@pytest.mark.parametrize(("name", "group_by"), PATTERN_GRID)
def test_patterns_filtered(engines: Engines, name: str, group_by: str) -> None:
    args = _args(engines, SLOW_FILTERS[name], group_by=group_by, limit="1000")
    duck, _ = _same_answers(engines, "patterns", args)
    if name == "none":
        assert duck["groups"] > 1


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", PATTERN_SORTS)
@pytest.mark.parametrize("group_by", ["shape", "plan", "app"])
def test_patterns_sorted(engines: Engines, group_by: str, sort: str, order: str) -> None:
    args = {"group_by": group_by, "sort": sort, "order": order, "limit": "7"}
    _same_answers(engines, "patterns", args)


@pytest.mark.parametrize("name", SLOW_FILTERS)
def test_slow_queries_filtered(engines: Engines, name: str) -> None:
    _same_answers(engines, "slow_queries", _args(engines, SLOW_FILTERS[name], limit="40"))


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", SLOW_SORTS)
def test_slow_queries_sorted_and_paged(engines: Engines, sort: str, order: str) -> None:
    first, _ = _same_answers(engines, "slow_queries", {"sort": sort, "order": order, "limit": "9"})
    total = first["total"]
    for offset in (total - 4, total + 10):  # the last page, and past the end
        args = {"sort": sort, "order": order, "limit": "9", "offset": str(max(offset, 0))}
        _same_answers(engines, "slow_queries", args)


@pytest.mark.parametrize("bucket", ["auto", "1m", "1h", "1d"])
@pytest.mark.parametrize("name", AUTH_FILTERS)
def test_auth_summary(engines: Engines, name: str, bucket: str) -> None:
    _same_answers(engines, "auth_summary", _args(engines, AUTH_FILTERS[name], bucket=bucket))


@pytest.mark.parametrize("page", [("50", "0"), ("3", "0"), ("3", "4"), ("1000", "100000")])
@pytest.mark.parametrize("name", AUTH_FILTERS)
def test_auth_logs(engines: Engines, name: str, page: tuple[str, str]) -> None:
    limit, offset = page
    _same_answers(
        engines, "auth_logs", _args(engines, AUTH_FILTERS[name], limit=limit, offset=offset)
    )


@pytest.mark.parametrize("bucket", ["auto", "5m", "6h", "1d"])
@pytest.mark.parametrize("name", CONN_FILTERS)
def test_connections(engines: Engines, name: str, bucket: str) -> None:
    duck, _ = _same_answers(
        engines, "connections", _args(engines, CONN_FILTERS[name], bucket=bucket)
    )
    if name == "none":
        assert duck["sessions"]["count"] > 0


def _lines(engines: Engines) -> Iterator[tuple[str, int]]:
    """Positions of a few lines of every stream, and of no line."""
    for stream in Stream:
        rows = engines.sql(
            f"SELECT file_id, file_offset FROM {stream} ORDER BY file_id, file_offset LIMIT 3"
        )
        yield from rows
    yield engines.sql("SELECT file_id, max(file_offset) + 1 FROM events GROUP BY 1 LIMIT 1")[0]


def test_detail(engines: Engines) -> None:
    streams = Counter()
    for file_id, offset in _lines(engines):
        args = {"file_id": file_id, "file_offset": str(offset)}
        try:
            duck = engines.duck.ask("detail", args)
        except NotFoundError:
            with pytest.raises(NotFoundError):
                engines.polars.ask("detail", args)
            streams["none"] += 1
            continue
        assert_same(duck, engines.polars.ask("detail", args))
        streams[duck["stream"]] += 1
    assert streams["none"] == 1
    assert len(streams) >= 4  # lines found in (at least) three streams, and no line
    for args in ({}, {"file_id": "abc"}, {"file_offset": "0"}):
        with pytest.raises(InputError):
            engines.polars.ask("detail", args)
    with pytest.raises(NotFoundError):
        engines.polars.ask("detail", {"file_id": "no-such-file", "file_offset": "0"})


def test_degraded_questions(engines: Engines) -> None:
    assert engines.duck.degraded == []
    degraded = ["analysis", "anomalies", "heatmap", "index_suggestions", "logs", "logs_aggregate"]
    degraded += ["search", "templates", "trend"]
    # the assistant's questions (analytics/interactions.py) are DuckDB-only
    degraded += ["interactions", "interactions_by", "interactions_counts", "interactions_detail"]
    degraded += ["interactions_failures", "interactions_summary", "interactions_top_questions"]
    degraded += ["interactions_topics"]
    degraded += ["pg_bottlenecks"]  # the live PostgreSQL advisor's snapshots: DuckDB only
    # the PostgreSQL questions (analytics/postgres.py) are DuckDB-only
    postgres = ["autovacuum", "checkpoints", "errors", "lock_waits", "sessions", "temp_files",
                "time_per_hour", "top_queries"]  # fmt: skip
    assert engines.polars.degraded == sorted([*degraded, *postgres, "workload"])
    # families answer from patterns, which the Polars engine has
    assert engines.polars.ask("families", {})["families"]
    assert engines.polars.status()["degraded"] == engines.polars.degraded
    for question in engines.polars.degraded:
        with pytest.raises(DegradedError, match="needs DuckDB"):
            engines.polars.ask(question, {})


def test_versions_agree(engines: Engines) -> None:
    assert engines.polars.version() == engines.duck.version() is not None


# Edges: empty streams, a new ingest, no duckdb module, a broken filter -----------------
ALL = {
    "summary": {},
    "patterns": {"group_by": "app"},
    "slow_queries": {},
    "auth_summary": {},
    "auth_logs": {},
    "connections": {},
}


def test_empty_streams_and_empty_dataset(settings: Settings, run_ingest: IngestFn) -> None:
    empty = _open(settings.root)  # nothing ingested yet: no manifest at all
    for question, args in ALL.items():
        _same_answers(empty, question, args)
    log = settings.root.parent / "only-events.log"
    log.write_text(
        '{"t":{"$date":"2024-03-18T10:00:00.000+00:00"},"s":"I","c":"CONTROL","id":20698,'
        '"ctx":"main","msg":"***** SERVER RESTARTED *****"}\n'
    )
    run_ingest(log)
    events_only = _open(settings.root)
    for question, args in ALL.items():
        _same_answers(events_only, question, args)
    assert events_only.polars.ask("summary", {})["top_plans"] == []
    detail = events_only.polars.ask(
        "detail", {"file_id": _file_id(events_only), "file_offset": "0"}
    )
    assert detail["stream"] == "events"
    assert detail["raw"].startswith('{"t"')


def _file_id(engines: Engines) -> str:
    return str(engines.sql("SELECT file_id FROM events LIMIT 1")[0][0])


def test_refresh_follows_the_manifest(settings: Settings, run_ingest: IngestFn) -> None:
    run_ingest(TEST_DATA / "mongod-4.4-auth.log")
    engines = _open(settings.root)
    lake = polars_lake.PolarsLake(settings.root)
    before = lake.refresh()
    assert before == engines.duck.version()
    counts = engines.polars.ask("auth_logs", {})["total"]
    run_ingest(TEST_DATA / "mongod-6.0-setup.log")
    assert lake.refresh() != before
    assert lake.refresh() == engines.polars.version() == engines.duck.version()
    for question, args in ALL.items():
        _same_answers(engines, question, args)
    assert engines.polars.ask("slow_queries", {})["total"] > 0
    assert engines.polars.ask("auth_logs", {})["total"] >= counts


def test_polars_engine_imports_no_duckdb(engines: Engines) -> None:
    script = (
        "import json, sys\n"
        "sys.modules['duckdb'] = None  # import duckdb now raises ImportError\n"
        "from loglake.analytics.service import Analytics\n"
        "from loglake.config import Settings\n"
        f"a = Analytics(Settings(root={str(engines.root)!r}))\n"
        "print(json.dumps([a.engine, a.ask('summary', {}), a.ask('connections', {})]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    engine, summary, conns = json.loads(out)
    assert engine == "polars"
    assert_same(engines.duck.ask("summary", {}), summary)
    assert_same_connections(engines.duck.ask("connections", {}), conns)


def test_filter_tables_match_the_duckdb_engine() -> None:
    assert {k: v[0] for k, v in polars_lake.COMPARE.items()} == {
        k: v[0] for k, v in filters._COMPARE.items()
    }
    assert polars_lake.TEXT_COLUMNS == filters._TEXT_COLUMNS
    assert polars_streams.METADATA == connections._METADATA


# a filter broken on purpose, and filters whose answer it changes
BREAKAGES = {
    "to_inclusive": (
        ("COMPARE", {**polars_lake.COMPARE, "to": ("ts", "le")}),
        {"to": "slow_queries.to_exact"},
    ),
    "text_without_app": (
        ("TEXT_COLUMNS", ("shape", "namespace", "plan_summary")),
        {"q": "slow_queries.app_name"},
    ),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_a_broken_filter_is_caught(
    engines: Engines, monkeypatch: pytest.MonkeyPatch, breakage: str
) -> None:
    fresh = Engines(
        Analytics(Settings(root=engines.root, cache_entries=0)),
        Analytics(Settings(root=engines.root, disable_duckdb=True, cache_entries=0)),
        engines.root,
        engines.picks,
    )
    broken, spec = BREAKAGES[breakage]
    args = _args(engines, spec)
    _same_answers(fresh, "summary", args)
    monkeypatch.setattr(polars_lake, *broken)
    with pytest.raises(AssertionError):
        _same_answers(fresh, "summary", args)
