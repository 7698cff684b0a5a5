"""Retrieval (`/api/logs`) and its aggregations (`/api/logs/aggregate`) over a real lake.

The lake is a real ingest of a seeded two-server MongoDB corpus (tests/logs_corpus.py);
every answer is checked against the same records read back from the raw files with the
json module, never against loglake's own parsing.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from conftest import query
from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.ingest.pipeline import ingest
from logs_corpus import (
    APP_LEVELS,
    START,
    Record,
    append_lines,
    newest_first,
    truth,
    write_app_log,
    write_corpus,
)

KOLKATA = ZoneInfo("Asia/Kolkata")
LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")


@pytest.fixture(scope="module")
def lake_logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two servers' seeded logs."""
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def records(lake_logs: list[Path]) -> list[Record]:
    """The truth: every line as the raw JSON says it."""
    return truth(lake_logs)


@pytest.fixture(scope="module")
def file_ids(lake: Settings, lake_logs: list[Path], analytics: Analytics) -> dict[str, str]:
    """Source path -> file_id, from the dataset's status."""
    from loglake.store.status import dataset_status

    return {f["path"]: f["file_id"] for f in dataset_status(lake.root)["files"]}


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _every_page(analytics: Analytics, args: dict[str, str], limit: int) -> list[dict[str, Any]]:
    rows, cursor, pages = [], None, 0
    while True:
        page = analytics.ask("logs", {**args, "limit": str(limit), "cursor": cursor or ""})
        rows += page["rows"]
        pages += 1
        cursor = page["next_cursor"]
        assert pages < 10_000
        if cursor is None:
            assert len(page["rows"]) <= limit
            return rows


FILTERS: list[tuple[dict[str, str], Callable[[Record], bool]]] = [
    ({}, lambda r: True),
    ({"user": "alice"}, lambda r: r.user == "alice"),
    ({"level": "ERROR"}, lambda r: r.level == "ERROR"),
    ({"level": "warn"}, lambda r: r.level == "WARN"),  # a level name in any case
    ({"level": "D2"}, lambda r: r.severity == "D2"),  # or the level as logged
    ({"min_level": "WARN"}, lambda r: LEVELS.index(r.level) >= LEVELS.index("WARN")),
    ({"keyword": "TIMEOUT"}, lambda r: "timeout" in r.message.lower()),
    (
        {"keyword": r"^(Timeout|Connection) \w+", "regex": "1"},
        lambda r: re.search(r"^(Timeout|Connection) \w+", r.message) is not None,
    ),
    ({"source": "STORAGE"}, lambda r: r.component == "STORAGE"),
    ({"host": "beta:27018"}, lambda r: r.host == "beta:27018"),
    (
        {"from": "2024-03-18T06:00:00Z", "to": "2024-03-19T00:00:00"},
        lambda r: datetime(2024, 3, 18, 6, tzinfo=UTC) <= r.ts < datetime(2024, 3, 19, tzinfo=UTC),
    ),
    (  # naive times are read in tz
        {"from": "2024-03-18T06:00:00", "tz": "Asia/Kolkata"},
        lambda r: r.ts >= datetime(2024, 3, 18, 6, tzinfo=KOLKATA),
    ),
    ({"date": "2024-03-18"}, lambda r: r.ts.date().isoformat() == "2024-03-18"),
    (
        {"date": "2024-03-18", "tz": "Asia/Kolkata"},
        lambda r: r.ts.astimezone(KOLKATA).date().isoformat() == "2024-03-18",
    ),
    (
        {"date": "2024-03-19", "min_level": "ERROR", "keyword": "timeout", "host": "alpha:27017"},
        lambda r: (
            r.ts.date().isoformat() == "2024-03-19"
            and r.level in ("ERROR", "FATAL")
            and "timeout" in r.message.lower()
            and r.host == "alpha:27017"
        ),
    ),
    # fields a MongoDB log does not have select nothing (application logs have them)
    ({"request_id": "abc"}, lambda r: False),
    ({"template": "t1"}, lambda r: False),
    ({"tag": "beta"}, lambda r: False),
    ({"field.attr.n": "5"}, lambda r: False),
]


@pytest.mark.parametrize(("args", "keep"), FILTERS, ids=[str(a) for a, _ in FILTERS])
def test_every_filter_counts_what_the_raw_files_hold(
    analytics: Analytics,
    records: list[Record],
    file_ids: dict[str, str],
    args: dict[str, str],
    keep: Callable[[Record], bool],
) -> None:
    expected = [r for r in records if keep(r)]
    page = analytics.ask("logs", {**args, "limit": "10000"})
    assert page["total"] == len(expected)
    assert [(r["file_id"], r["file_offset"]) for r in page["rows"]] == newest_first(
        expected, file_ids
    )
    by_place = {(file_ids[r.path], r.offset): r for r in expected}
    for row in page["rows"][:50]:
        record = by_place[(row["file_id"], row["file_offset"])]
        assert row["ts"] == _iso(record.ts)
        assert (row["level"], row["source"], row["user"]) == (
            record.level,
            record.component,
            record.user,
        )
        assert (row["message"], row["host"]) == (record.message, record.host)
        assert row["line_length"] == record.length
    if expected:
        assert analytics.ask("logs_aggregate", args)["total"] == len(expected)


@pytest.mark.parametrize(
    ("args", "limit"), [({"user": "carol"}, 1), ({}, 37), ({}, 500), ({"min_level": "WARN"}, 9)]
)
def test_pages_cover_every_row_exactly_once(
    analytics: Analytics,
    records: list[Record],
    file_ids: dict[str, str],
    args: dict[str, str],
    limit: int,
) -> None:
    keep = {
        "user": lambda r: r.user == "carol",
        "min_level": lambda r: r.level in ("WARN", "ERROR", "FATAL"),
    }
    expected = [r for r in records if all(keep[k](r) for k in args)]
    rows = _every_page(analytics, args, limit)
    places = [(r["file_id"], r["file_offset"]) for r in rows]
    assert len(places) == len(set(places)) == len(expected)
    assert places == newest_first(expected, file_ids)


def test_a_cursor_survives_an_append(
    tmp_path: Path, lake_logs: list[Path], records: list[Record]
) -> None:
    """Rows appended (older and newer than the cursor) never repeat or skip a row of the
    pages still to come: the cursor is a place in the order, not an offset."""
    folder = tmp_path / "logs"
    paths = write_corpus(folder, lines_per_host=300, seed=3)
    settings = Settings(root=tmp_path / "lake", workers=1)
    ingest([str(p) for p in paths], settings)
    service = Analytics(settings)
    first = service.ask("logs", {"limit": "100"})
    before = {(r["file_id"], r["file_offset"]) for r in first["rows"]}
    last = first["rows"][-1]
    append_lines(paths[0], 200, seed=9, start=START + timedelta(days=1))  # lands before and after
    ingest([str(p) for p in paths], settings)
    service = Analytics(settings)
    rest = _every_page_from(service, first["next_cursor"])
    places = [(r["file_id"], r["file_offset"]) for r in rest]
    assert len(places) == len(set(places)) and not before & set(places)
    assert all((r["ts"], r["file_id"], r["file_offset"]) < _key(last) for r in rest)
    # with the pages before the cursor, every row of the grown dataset at or after it, once
    everything = newest_first(truth(paths), _ids(settings))
    at = everything.index((last["file_id"], last["file_offset"]))
    assert places == everything[at + 1 :]


def _key(row: dict[str, Any]) -> tuple[str, str, int]:
    return row["ts"], row["file_id"], row["file_offset"]


def _ids(settings: Settings) -> dict[str, str]:
    from loglake.store.status import dataset_status

    return {f["path"]: f["file_id"] for f in dataset_status(settings.root)["files"]}


def _every_page_from(service: Analytics, cursor: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while cursor:
        page = service.ask("logs", {"limit": "150", "cursor": cursor})
        rows += page["rows"]
        cursor = page["next_cursor"]
    return rows


def test_aggregate_counts_group_by_and_facets(
    analytics: Analytics, records: list[Record], lake: Settings
) -> None:
    answer = analytics.ask(
        "logs_aggregate",
        {"group_by": "level,source", "facets": "level,source,user,host,template", "limit": "100"},
    )
    assert answer["total"] == len(records)
    pairs = Counter((r.level, r.component) for r in records)
    got = {(g["level"], g["source"]): g["count"] for g in answer["groups"]["rows"]}
    assert got == pairs and answer["groups"]["groups"] == len(pairs)
    counts = [g["count"] for g in answer["groups"]["rows"]]
    assert counts == sorted(counts, reverse=True)
    facets = answer["facets"]
    assert {f["value"]: f["count"] for f in facets["level"]} == Counter(r.level for r in records)
    assert {f["value"]: f["count"] for f in facets["user"]} == Counter(r.user for r in records)
    assert {f["value"]: f["count"] for f in facets["host"]} == Counter(r.host for r in records)
    # templates are mined at ingest: the facet counts are those of the stored template ids
    stored = Counter(t for (t,) in query(lake.root, "events", "SELECT template_id FROM t"))
    assert None not in stored  # every event has a template
    assert len(facets["template"]) == min(100, len(stored))
    assert all(f["count"] == stored[f["value"]] for f in facets["template"])
    assert [f["count"] for f in facets["template"]] == sorted(stored.values(), reverse=True)[:100]
    top = analytics.ask("logs_aggregate", {"facets": "source", "limit": "2"})["facets"]["source"]
    assert [(f["value"], f["count"]) for f in top] == Counter(
        r.component for r in records
    ).most_common(2)


def test_histogram_has_every_bucket_and_zeroes(analytics: Analytics, records: list[Record]) -> None:
    start, end = "2024-03-18T00:00:00Z", "2024-03-18T02:00:00Z"
    answer = analytics.ask("logs_aggregate", {"histogram": "1", "from": start, "to": end})
    hist = answer["histogram"]
    assert hist["bucket_seconds"] == 60  # 120 one-minute bars over two hours
    assert len(hist["buckets"]) == 120
    low = datetime(2024, 3, 18, tzinfo=UTC)
    expected = Counter(
        int((r.ts - low).total_seconds() // 60)
        for r in records
        if low <= r.ts < low + timedelta(hours=2)
    )
    assert [b["count"] for b in hist["buckets"]] == [expected.get(i, 0) for i in range(120)]
    assert 0 in [b["count"] for b in hist["buckets"]]  # empty minutes are there, as zero
    assert sum(b["count"] for b in hist["buckets"]) == answer["total"]
    whole = analytics.ask("logs_aggregate", {"histogram": "1"})["histogram"]
    assert len(whole["buckets"]) <= 120
    assert sum(b["count"] for b in whole["buckets"]) == len(records)
    fixed = analytics.ask("logs_aggregate", {"histogram": "1", "bucket": "1h"})["histogram"]
    hours = {int(r.ts.timestamp() // 3600) for r in records}
    assert fixed["bucket_seconds"] == 3600
    assert len(fixed["buckets"]) == max(hours) - min(hours) + 1


def test_stats_of_a_numeric_field(analytics: Analytics, records: list[Record]) -> None:
    values = sorted(r.duration_ms for r in records if r.duration_ms is not None)
    stats = analytics.ask("logs_aggregate", {"stats": "duration_ms"})["stats"]
    assert stats["count"] == len(values)
    assert stats["max"] == max(values) and stats["min"] == min(values)
    assert math.isclose(stats["avg"], statistics.fmean(values), rel_tol=1e-12)
    assert math.isclose(stats["p50"], statistics.median(values), rel_tol=1e-12)
    assert math.isclose(
        stats["p95"], statistics.quantiles(values, n=100, method="inclusive")[94], rel_tol=1e-9
    )


def test_the_api_serves_both_with_links_to_the_raw_entry(
    client: FlaskClient, records: list[Record], file_ids: dict[str, str]
) -> None:
    page = client.get("/api/logs?user=bob&limit=5").get_json()
    assert page["total"] == sum(r.user == "bob" for r in records)
    assert len(page["rows"]) == 5 and page["next_cursor"]
    by_place = {(file_ids[r.path], r.offset): r for r in records}
    for row in page["rows"]:
        detail = client.get(row["raw_url"]).get_json()
        assert detail["raw"].encode() == by_place[(row["file_id"], row["file_offset"])].line
    nxt = client.get(f"/api/logs?user=bob&limit=5&cursor={page['next_cursor']}").get_json()
    assert nxt["rows"][0]["ts"] <= page["rows"][-1]["ts"]
    agg = client.get("/api/logs/aggregate?group_by=user&limit=3").get_json()
    assert agg["groups"]["fields"] == ["user"] and len(agg["groups"]["rows"]) == 3


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("cursor=not-a-cursor", "cursor"),
        ("keyword=(unclosed&regex=1", "RE2"),
        ("limit=10001", "at most 10000"),
        ("tz=Mars/Olympus", "time zone"),
        ("date=2024-13-01", "not a day"),
        ("min_level=LOUD", "min_level"),
        ("field.a%20b=1", "field name"),
        ("date=2024-03-18&from=2024-03-20T00:00:00Z", "do not overlap"),
    ],
)
def test_bad_input_is_a_clear_400(client: FlaskClient, query: str, message: str) -> None:
    response = client.get(f"/api/logs?{query}")
    assert response.status_code == 400
    assert message in response.get_json()["error"]


@pytest.mark.parametrize(
    "query", ["group_by=planet", "stats=message", "facets=level,level", "bucket=1s&histogram=1"]
)
def test_bad_aggregations_are_a_clear_400(client: FlaskClient, query: str) -> None:
    response = client.get(f"/api/logs/aggregate?{query}")
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]


def test_a_page_reads_back_far_enough_for_its_rows() -> None:
    """The newest days holding a page: the cursor's own day never counts (it may be used up)."""
    from loglake.analytics.logs import _first_day

    d1, d2, d3 = (datetime(2024, 3, day, tzinfo=UTC).date() for day in (1, 2, 3))
    days = {d1: 5, d2: 3, d3: 100}
    assert _first_day(days, 10, None) == d3
    assert _first_day(days, 10, d3) is None  # 8 rows before d3: read every day
    assert _first_day(days, 3, d3) == d2
    assert _first_day(days, 4, d3) == d1
    assert _first_day({}, 10, None) is None


APP_FILTERS: list[tuple[dict[str, str], Callable[[dict[str, Any]], bool]]] = [
    ({"tag": "canary"}, lambda r: "canary" in r["tags"]),
    ({"field.region": "eu-west"}, lambda r: r["region"] == "eu-west"),
    ({"field.ctx.tenant": "acme"}, lambda r: r["ctx"]["tenant"] == "acme"),  # nested
    ({"field.status": "500"}, lambda r: r.get("status") == 500),  # mapped to http_status
    ({"request_id": "req-7"}, lambda r: r["request_id"] == "req-7"),
    ({"source": "billing"}, lambda r: r["service"] == "billing"),
    ({"host": "web-2"}, lambda r: r["hostname"] == "web-2"),
    ({"user": "u3"}, lambda r: r["user_id"] == "u3"),
    ({"level": "WARN"}, lambda r: APP_LEVELS[r["level"]] == "WARN"),
    ({"level": "warning"}, lambda r: r["level"] == "warning"),  # the level as logged
    ({"keyword": "CACHE"}, lambda r: "cache" in r["msg"]),
    (
        {"keyword": "^(timeout|retry)", "regex": "1"},
        lambda r: re.match("timeout|retry", r["msg"]) is not None,
    ),
    (
        {"min_level": "ERROR", "tag": "eu", "field.ctx.tenant": "globex"},
        lambda r: (
            APP_LEVELS[r["level"]] in ("ERROR", "FATAL")
            and "eu" in r["tags"]
            and r["ctx"]["tenant"] == "globex"
        ),
    ),
]


@pytest.fixture(scope="module")
def app_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Analytics, list[dict[str, Any]]]:
    """A real ingest of a seeded application JSON-lines log (the jsonl format), its truth."""
    folder = tmp_path_factory.mktemp("applog")
    records = write_app_log(folder / "service.jsonl")
    settings = Settings(root=folder / "lake", workers=2)
    report = ingest([str(folder / "service.jsonl")], settings)
    assert report["files"][0]["format"] == "jsonl" and report["rows"]["events"] == len(records)
    return Analytics(settings), records


@pytest.mark.parametrize(("args", "keep"), APP_FILTERS, ids=[str(a) for a, _ in APP_FILTERS])
def test_application_log_filters(
    app_lake: tuple[Analytics, list[dict[str, Any]]],
    args: dict[str, str],
    keep: Callable[[dict[str, Any]], bool],
) -> None:
    analytics, records = app_lake
    expected = [r for r in records if keep(r)]
    page = analytics.ask("logs", {**args, "limit": "10000"})
    assert page["total"] == len(expected) > 0
    assert sorted(row["request_id"] for row in page["rows"]) == sorted(
        r["request_id"] for r in expected
    )
    times = [row["ts"] for row in page["rows"]]
    assert times == sorted(times, reverse=True)


def test_application_log_aggregations(app_lake: tuple[Analytics, list[dict[str, Any]]]) -> None:
    analytics, records = app_lake
    answer = analytics.ask(
        "logs_aggregate",
        {"group_by": "field.region,source", "facets": "field.ctx.tenant", "stats": "field.latency"},
    )
    pairs = Counter((r["region"], r["service"]) for r in records)
    got = {(g["field.region"], g["source"]): g["count"] for g in answer["groups"]["rows"]}
    assert got == pairs
    tenants = Counter(r["ctx"]["tenant"] for r in records)
    assert {f["value"]: f["count"] for f in answer["facets"]["field.ctx.tenant"]} == tenants
    latencies = [r["latency"] for r in records]
    stats = answer["stats"]
    assert stats["count"] == len(latencies) and stats["max"] == max(latencies)
    assert math.isclose(stats["p50"], statistics.median(latencies), rel_tol=1e-12)


@pytest.mark.parametrize(("args", "keep"), APP_FILTERS, ids=[str(a) for a, _ in APP_FILTERS])
def test_the_polars_filters_agree(
    app_lake: tuple[Analytics, list[dict[str, Any]]],
    args: dict[str, str],
    keep: Callable[[dict[str, Any]], bool],
) -> None:
    """The one filter table read by the Polars engine selects the same records."""
    import polars as pl

    from loglake.analytics.params import parse_params
    from loglake.analytics.polars_lake import PolarsLake
    from loglake.schema import Stream

    analytics, records = app_lake
    params = parse_params("logs", args)
    frame = PolarsLake(analytics.root).snapshot().frame(Stream.EVENTS, params)
    assert frame.select(pl.len()).collect().item() == sum(map(keep, records))
