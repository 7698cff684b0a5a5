"""The pre-4.4 text-log parser against the mtools test logs, crafted edge cases and fuzzing."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loglake.formats.base import BadLine, BadReason, FileContext, Parsed
from loglake.formats.mongodb import legacy
from loglake.formats.mongodb.shape import canonical_op, shape_hash, shape_json, shape_of
from loglake.schema import Stream, column_names

REPO_ROOT = Path(__file__).resolve().parents[1]
LEGACY_DIR = REPO_ROOT.parent / "shared" / "data" / "mongodb" / "legacy"

# Per file: (events, slow ops, of which mtools-countable, connections accepted, ended,
# client metadata, auth successes, auth failures, bad lines).
#
# How the numbers were checked (mtools 1.7.2 in its own venv, run under `script -qc` for a TTY):
# - "mtools-countable" is the sum of the count column of `mloginfo --queries FILE`; it counts
#   only op query/getmore/update/remove and commands count/findandmodify/geonear/find/
#   aggregate. Our rows of that kind were also compared line by line with the lines mtools'
#   LogEvent picks with the same filter: the same lines in every file.
# - "slow ops" is ours: every `<op> <ns> ... <N>ms` line of query, getmore, update, remove,
#   insert, command or killcursors. mtools skips inserts and other commands (isMaster,
#   listIndexes, ...) in --queries; we keep them, so this column is larger on purpose. It
#   equals an independent `grep -P '(\] |[A-Z]+ +)(query|getmore|...) .* \d+ms$'` per file.
#   Other lines ending in "ms" (transactions, "applied op: ... took 112ms", DNS, checkpoint)
#   are events only.
# - accepted/ended equal `mloginfo --connections` "total opened/closed" for every file.
# - bad lines: continuation lines without a timestamp (mongod_225.log: "=== a line without
#   a datetime ==="; mongod_26_corrupt.log: "****..." and a line cut inside its timestamp).
# - auth: 2.6 logs count each `authenticate db:` as a success (mongod_26*.log: 100, one of
#   which is the attempt that then failed); 3.x+ count "Successfully authenticated" lines.
EXPECTED = {
    "client/mongod_3.0.5_noclientmetadata.log": (219, 0, 0, 48, 42, 0, 26, 0, 0),
    "client/mongod_3.6.23.log": (1479, 0, 0, 432, 429, 362, 132, 0, 0),
    "client/mongod_4.2.11.log": (503, 0, 0, 123, 159, 136, 72, 0, 0),
    "client/mongod_4.2.18_x509.log": (334, 0, 0, 42, 42, 42, 42, 0, 0),
    "collscans.log": (1081, 687, 677, 8, 8, 0, 0, 0, 0),
    "connstats/mongod_3_4-9_connection_stats_end_connid_notdigit.log": (26, 0, 0, 3, 3, 0, 0, 0, 0),
    "connstats/mongod_3_4-9_connection_stats_end_connid_repeated.log": (26, 0, 0, 3, 3, 0, 0, 0, 0),
    "connstats/mongod_3_4-9_connection_stats_only_connection_accepted.log": (
        23, 0, 0, 3, 0, 0, 0, 0, 0,
    ),
    "connstats/mongod_3_4-9_connection_stats_only_connection_end.log": (23, 0, 0, 0, 3, 0, 0, 0, 0),
    "connstats/mongod_3_4-9_connection_stats_start_connid_notdigit.log": (
        26, 0, 0, 3, 3, 0, 0, 0, 0,
    ),
    "connstats/mongod_3_4-9_connection_stats_start_connid_repeated.log": (
        26, 0, 0, 3, 3, 0, 0, 0, 0,
    ),
    "connstats/mongod_3_4-9_connection_stats_start_end_connid_repeated.log": (
        26, 0, 0, 3, 3, 0, 0, 0, 0,
    ),
    "issue-636.log": (1, 1, 1, 0, 0, 0, 0, 0, 0),
    "mask_centers.log": (2, 1, 0, 0, 1, 0, 0, 0, 0),
    "misc/course.log": (38, 5, 1, 7, 7, 0, 0, 0, 0),
    "misc/databases.log": (43, 5, 1, 2, 2, 2, 0, 0, 0),
    "misc/nodejs.log": (137, 8, 4, 51, 51, 0, 0, 0, 0),
    "mongod-2411.log": (179, 2, 0, 56, 54, 0, 0, 0, 0),
    "mongod_225.log": (496, 29, 9, 181, 177, 0, 0, 0, 1),
    "mongod_26.log": (653, 7, 0, 137, 128, 0, 100, 1, 0),
    "mongod_26_corrupt.log": (675, 33, 20, 137, 128, 0, 100, 1, 2),
    "mongod_278.log": (25, 1, 0, 2, 5, 0, 0, 0, 0),
    "mongod_278_partial.log": (19, 1, 0, 2, 5, 0, 0, 0, 0),
    "mongod_306_ctime.log": (1, 1, 1, 0, 0, 0, 0, 0, 0),
    "mongod_328.log": (29, 0, 0, 1, 1, 0, 0, 0, 0),
    "mongod_3_4-9_connection_stats.log": (26, 0, 0, 3, 3, 0, 0, 0, 0),
    "mongod_4.0.10_allowdiskuse.log": (118, 72, 8, 2, 2, 2, 0, 0, 0),
    "mongod_4.0.10_reapedcursor.log": (120, 72, 8, 2, 2, 2, 0, 0, 0),
    "mongod_4.0.10_slowcheckpoints.log": (122, 72, 8, 2, 2, 2, 0, 0, 0),
    "mongod_4.0.10_slowdns.log": (1418, 936, 104, 26, 26, 26, 0, 0, 0),
    "mongod_4.0.10_slowoplogs.log": (1414, 936, 104, 26, 26, 26, 0, 0, 0),
    "mongod_4.0.10_slowtransactions.log": (1414, 937, 104, 26, 26, 26, 0, 0, 0),
    "mongod_4.0.10_storagestats.log": (121, 76, 8, 2, 2, 2, 0, 0, 0),
    "mongos.log": (72, 0, 0, 4, 4, 0, 0, 0, 0),
    "mplotqueries-issue-613.log": (1, 1, 1, 0, 0, 0, 0, 0, 0),
    "rsinfo_36.log": (1, 0, 0, 0, 0, 0, 0, 0, 0),
    "sharding_360_CSRS.log": (475, 22, 3, 74, 31, 74, 0, 0, 0),
    "sharding_360_mongos.log": (149, 0, 0, 12, 12, 12, 0, 0, 0),
    "sharding_360_shard.log": (393, 13, 1, 52, 21, 50, 0, 0, 0),
    "wiredtiger.log": (26, 0, 0, 4, 3, 0, 0, 0, 0),
    "year_rollover.log": (1836, 0, 0, 1511, 325, 0, 0, 0, 0),
}  # fmt: skip
# ctime files: the year their first line is in (checked against the printed weekday).
CTIME_YEARS = {
    "collscans.log": 2014,
    "mask_centers.log": 2013,
    "mongod-2411.log": 2014,
    "mongod_225.log": 2013,
    "mongod_306_ctime.log": 2016,
    "mongos.log": 2014,
    "year_rollover.log": 2013,
}
_MTOOLS_OPS = {"query", "getmore", "update", "remove"}
_MTOOLS_COMMANDS = {"count", "findandmodify", "geonear", "find", "aggregate"}
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@pytest.fixture(scope="module")
def legacy_dir() -> Path:
    if not LEGACY_DIR.is_dir():
        pytest.skip("../shared/data not present (the shared test logs sit beside the repo)")
    return LEGACY_DIR


def lines_of(path: Path) -> list[bytes]:
    """A file's non-blank lines, as the ingest layer hands them over."""
    lines = (line[:-1] if line.endswith(b"\r") else line for line in path.read_bytes().split(b"\n"))
    return [line for line in lines if line.strip()]


def stream_of(result: Parsed) -> Stream | None:
    """The stream of a record's row besides its event (a legacy line gives at most one)."""
    others = result.rows[1:]
    assert len(others) <= 1
    return others[0][0] if others else None


def row_of(result: Parsed) -> dict[str, Any] | None:
    """A record's row besides its event, if any."""
    others = result.rows[1:]
    return others[0][1] if others else None


def parse_lines(lines: list[bytes], year: int = 2014) -> list[tuple[bytes, Parsed | BadLine]]:
    parser = legacy.make_parser(FileContext(file_id="f", path="p", year_hint=year))
    return [(line, parser(line)) for line in lines]


def parse_file(legacy_dir: Path, rel: str) -> list[tuple[bytes, Parsed | BadLine]]:
    return parse_lines(lines_of(legacy_dir / rel), CTIME_YEARS.get(rel, 2014))


def find(results: list[tuple[bytes, Parsed | BadLine]], needle: bytes) -> Parsed:
    result = next(r for line, r in results if needle in line)
    assert isinstance(result, Parsed)
    return result


def us(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> int:
    """Microseconds since the epoch of a UTC date and time."""
    moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000 + micro


def tally(results: list[tuple[bytes, Parsed | BadLine]]) -> tuple[int, ...]:
    counts: Counter[str] = Counter()
    for _, result in results:
        if isinstance(result, BadLine):
            counts["bad"] += 1
            continue
        counts["events"] += 1
        row = row_of(result) or {}
        if stream_of(result) is Stream.SLOW_QUERIES:
            counts["slow"] += 1
            if row["op_type"] in _MTOOLS_OPS or (
                row["op_type"] == "command" and row["op"].lower() in _MTOOLS_COMMANDS
            ):
                counts["mtools"] += 1
        elif stream_of(result) is Stream.CONNECTIONS:
            counts[row["event"]] += 1
        elif stream_of(result) is Stream.AUTHENTICATIONS:
            counts[row["result"]] += 1
    keys = ("events", "slow", "mtools", "accepted", "ended", "metadata", "success", "failure")
    return (*(counts[k] for k in keys), counts["bad"])


def test_every_file_is_listed(legacy_dir: Path) -> None:
    files = {str(p.relative_to(legacy_dir)) for p in legacy_dir.rglob("*") if p.is_file()}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_file_counts(legacy_dir: Path, rel: str) -> None:
    assert tally(parse_file(legacy_dir, rel)) == EXPECTED[rel]


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_rows_use_schema_columns(legacy_dir: Path, rel: str) -> None:
    events = set(column_names(Stream.EVENTS))
    for _, result in parse_file(legacy_dir, rel):
        if isinstance(result, Parsed):
            assert set(result.event) <= events
            assert isinstance(result.event["ts"], int)
            if stream_of(result) is not None:
                assert row_of(result) is not None
                assert set(row_of(result)) <= set(column_names(stream_of(result)))
                assert row_of(result)["ts"] == result.event["ts"]


def test_bad_lines_are_the_continuations(legacy_dir: Path) -> None:
    bad = [
        (line, r.reason)
        for rel in ("mongod_225.log", "mongod_26_corrupt.log")
        for line, r in parse_file(legacy_dir, rel)
        if isinstance(r, BadLine)
    ]
    assert bad == [
        (b"=== a line without a datetime ===", BadReason.OTHER_FORMAT),
        (b"2014-04-0 [conn48] buil", BadReason.OTHER_FORMAT),
        (b"****************************", BadReason.OTHER_FORMAT),
    ]


@pytest.mark.parametrize("rel", sorted(CTIME_YEARS))
def test_ctime_dates_match_their_weekday(legacy_dir: Path, rel: str) -> None:
    """The year counter is right when every date falls on the weekday the line prints."""
    for line, result in parse_file(legacy_dir, rel):
        if isinstance(result, BadLine):
            continue  # mongod_225.log's line without a date
        moment = datetime.fromtimestamp(result.event["ts"] / 1e6, tz=UTC)
        assert _WEEKDAYS[moment.weekday()] == line[:3].decode()


def test_year_rollover(legacy_dir: Path) -> None:
    lines = lines_of(legacy_dir / "year_rollover.log")
    year = legacy.year_hint_for(lines[:50], lines[-50:], mtime_year=2014)
    assert year == 2013
    stamps = [r.event["ts"] for _, r in parse_lines(lines, year) if isinstance(r, Parsed)]
    assert stamps == sorted(stamps)
    assert stamps[0] == us(2013, 12, 30, 0, 13, 1, 661000)
    assert datetime.fromtimestamp(stamps[-1] / 1e6, tz=UTC).year == 2014


def test_ctime_file_timestamp(legacy_dir: Path) -> None:
    ((_, result),) = parse_file(legacy_dir, "mongod_306_ctime.log")
    assert isinstance(result, Parsed)
    assert result.event["ts"] == us(2016, 7, 13, 16, 14, 35, 324000)  # local time taken as UTC
    assert (result.event["severity"], result.event["component"]) == ("I", "QUERY")


def test_year_hint_for() -> None:
    dec = [b"Mon Dec 30 00:13:01.661 [conn1] x"]
    jan = [b"Thu Jan  2 10:00:00.000 [conn1] y"]
    assert legacy.year_hint_for(dec, jan, 2014) == 2013
    assert legacy.year_hint_for(jan, dec, 2014) == 2014
    assert legacy.year_hint_for(dec, dec, 2014) == 2014
    iso = [b"2017-10-10T16:46:52.602+0530 I CONTROL  [initandlisten] x"]
    assert legacy.year_hint_for([b"garbage", *iso], jan, 2024) == 2017
    assert legacy.year_hint_for([b"garbage"], [], 2024) == 2024


def test_connection_ids(legacy_dir: Path) -> None:
    rel = "connstats/mongod_3_4-9_connection_stats_end_connid_notdigit.log"
    rows = [
        row_of(r) for _, r in parse_file(legacy_dir, rel) if isinstance(r, Parsed) and row_of(r)
    ]
    assert [(r["event"], r["connection_id"]) for r in rows] == [
        ("accepted", 1),
        ("ended", 1),
        ("accepted", 2),
        ("ended", 2),
        ("accepted", 3),
        ("ended", None),  # [conn3TEST]
    ]
    rel = "connstats/mongod_3_4-9_connection_stats_start_connid_notdigit.log"
    rows = [
        row_of(r) for _, r in parse_file(legacy_dir, rel) if isinstance(r, Parsed) and row_of(r)
    ]
    assert [r["connection_id"] for r in rows if r["event"] == "accepted"] == [None, 2, 3]


def slow_row(
    ts: int, namespace: str, op_type: str, command: dict[str, Any] | None, **metrics: Any
) -> dict[str, Any]:
    """An expected slow_queries row; the shape comes from shape.py given the command we expect."""
    op = metrics.pop("op", None) or canonical_op(command, op_type)
    shape_source = metrics.pop("shape_source", command)
    shape = shape_json(shape_of(op, shape_source))
    db, _, collection = namespace.partition(".")
    row = {
        "engine": "mongodb",
        "db": db,
        "collection": collection,
        "namespace": namespace,
        "op": op,
        "op_type": op_type,
        "shape": shape,
        "shape_hash": shape_hash(namespace, op, shape),
        "truncated": False,
        "app_name": None,
        "ts": ts,
        # the engine-neutral columns: a COLLSCAN plan is a full scan; admin/local/config are system
        "full_scan": metrics.get("plan") == "COLLSCAN",
        "is_system": db in ("admin", "local", "config"),
    }
    row.update(metrics)
    return row


def test_golden_find_command(legacy_dir: Path) -> None:
    result = find(parse_file(legacy_dir, "issue-636.log"), b"command abc.xyz")
    command = {
        "find": "xyz",
        "filter": {"$or": [{"x": 1}, {"$or": [{"y": 1}]}]},
        "sort": {"field": -1},
    }
    assert stream_of(result) is Stream.SLOW_QUERIES
    assert row_of(result) == slow_row(
        us(2018, 3, 28, 19, 34, 44, 104000),
        "abc.xyz",
        "command",
        command,
        connection_id=3291,
        duration_ms=369525.0,
        plan_summary="COLLSCAN",
        plan="COLLSCAN",
        keys_examined=29525,
        docs_examined=29514,
        has_sort_stage=True,
        write_conflicts=0,
        num_yields=1942,
        nreturned=0,
        reslen=126,
    )
    assert row_of(result)["op"] == "find"
    assert result.event == {
        "ts": us(2018, 3, 28, 19, 34, 44, 104000),
        "severity": "I",
        "level": "INFO",
        "component": "COMMAND",
        "msg_id": None,
        "context": "conn3291",
        "message": result.event["message"],
        "user": None,
        "attrs": None,
        "duration_ms": 369525.0,
    }
    assert result.event["message"].startswith("command abc.xyz command: find {")


def test_golden_2x_query(legacy_dir: Path) -> None:
    result = find(parse_file(legacy_dir, "collscans.log"), b"query: { query: { foo: 33.0 }")
    expected_command = {"find": "docs", "filter": {"foo": 33.0}, "sort": {"foo": -1.0}}
    assert row_of(result) == slow_row(
        us(2014, 3, 5, 17, 14, 57, 407000),
        "test.docs",
        "query",
        expected_command,
        connection_id=4,
        duration_ms=29.0,
        keys_examined=100000,
        has_sort_stage=True,  # scanAndOrder:1
        nreturned=1,
        reslen=68,
    )
    assert row_of(result)["op"] == "find"
    assert (result.event["severity"], result.event["component"]) == (None, None)


def test_golden_2x_update(legacy_dir: Path) -> None:
    result = find(parse_file(legacy_dir, "mongod_225.log"), b"update local.slaves")
    statement = {
        "q": {
            "_id": {"$oid": "51ff7cd1f3652d07e89236e5"},
            "host": "10.0.0.12",
            "ns": "local.oplog.rs",
        },
        "u": {"$set": {"syncedTo": {"$timestamp": {"t": 1375698319000, "i": 2}}}},
    }
    assert row_of(result) == slow_row(
        us(2013, 8, 5, 20, 25, 20),
        "local.slaves",
        "update",
        {"update": "slaves", "updates": [statement]},
        connection_id=None,
        duration_ms=683.0,
        keys_examined=1,  # nscanned
        nmodified=1,  # nupdated
    )


def test_golden_update_command_form(legacy_dir: Path) -> None:
    result = find(parse_file(legacy_dir, "mongod_4.0.10_allowdiskuse.log"), b"update local.myC")
    statement = {"q": {"name": "ASD"}, "u": {"$set": {"key": "aaa"}}, "multi": False}
    statement["upsert"] = False
    assert row_of(result) == slow_row(
        us(2019, 6, 18, 11, 13, 26, 796000),
        "local.myCollection",
        "update",
        {"update": "myCollection", "updates": [statement]},
        app_name="MongoDB Shell",
        connection_id=2,
        duration_ms=2.0,
        plan_summary="COLLSCAN",
        plan="COLLSCAN",
        keys_examined=0,
        docs_examined=1,
        nmatched=1,
        nmodified=1,
        used_disk=True,  # usedDisk:true
        num_yields=0,
    )


def test_golden_getmore(legacy_dir: Path) -> None:
    result = find(parse_file(legacy_dir, "mongod_225.log"), b"getmore local.oplog.rs query")
    origin = {"find": "oplog.rs", "filter": {"ts": {"$gte": {"$date": 5908578361554239489}}}}
    assert row_of(result) == slow_row(
        us(2013, 8, 5, 20, 26, 32),
        "local.oplog.rs",
        "getmore",
        {"getMore": 1870634279361287923, "collection": "oplog.rs"},
        shape_source=origin,
        connection_id=9,
        duration_ms=144.0,
        num_yields=107,  # 2.2 wrote `numYields: 107`
        nreturned=13551,
        reslen=230387,
    )
    assert row_of(result)["op"] == "getMore"
    assert row_of(result)["shape"] == shape_json(shape_of("find", origin))


def test_golden_truncated_insert_command(legacy_dir: Path) -> None:
    result = find(parse_file(legacy_dir, "mongod_4.0.10_storagestats.log"), b"invoice-prod")
    assert row_of(result) is not None
    assert row_of(result)["truncated"] is True  # `command: insert {...}`
    assert row_of(result)["op"] == "insert"
    assert (row_of(result)["bytes_read"], row_of(result)["time_reading_micros"]) == (
        12768411,
        86313,
    )
    assert row_of(result)["plan_summary"] == "IXSCAN { ownerId: 1, active: 1, docDate: 1 }"


def test_golden_auth_success_with_mechanism_of_attempt(legacy_dir: Path) -> None:
    results = parse_file(legacy_dir, "client/mongod_4.2.18_x509.log")
    attempt = find(results, b"[conn5]  authenticate db: $external")
    assert stream_of(attempt) is None  # 3.0+: the outcome line is the record
    result = find(results, b"[conn5] Successfully authenticated")
    user = "CN=client1,OU=MyClients,O=MongoDB,L=Phoenix,ST=AZ,C=US"
    assert stream_of(result) is Stream.AUTHENTICATIONS
    assert row_of(result) == {
        "user": user,
        "auth_db": "$external",
        "mechanism": "MONGODB-X509",
        "result": "success",
        "error": None,
        "error_code": None,
        "connection_id": 5,
        "client_ip": "127.0.0.1",
        "client_port": 58440,
        "ts": us(2022, 2, 24, 20, 21, 57, 224000),
    }
    assert result.event["user"] == user


def test_golden_auth_failure(legacy_dir: Path) -> None:
    result = find(parse_file(legacy_dir, "mongod_26.log"), b"Failed to authenticate")
    assert row_of(result) == {
        "user": "user",
        "auth_db": "admin",
        "mechanism": "MONGODB-CR",
        "result": "failure",
        "error": "AuthenticationFailed UserNotFound Could not find user user@admin",
        "error_code": None,
        "connection_id": 68,
        "client_ip": None,
        "client_port": None,
        "ts": us(2014, 4, 10, 3, 22, 3, 502000),
    }


def test_golden_2x_authenticate_is_a_success(legacy_dir: Path) -> None:
    result = find(parse_file(legacy_dir, "mongod_26.log"), b"[conn3]  authenticate db: local")
    assert row_of(result) is not None
    assert (row_of(result)["user"], row_of(result)["auth_db"]) == ("__system", "local")
    assert (row_of(result)["result"], row_of(result)["mechanism"]) == ("success", "MONGODB-CR")


def test_golden_client_metadata(legacy_dir: Path) -> None:
    result = find(parse_file(legacy_dir, "sharding_360_CSRS.log"), b"received client metadata")
    assert stream_of(result) is Stream.CONNECTIONS
    assert row_of(result) == {
        "event": "metadata",
        "connection_id": 1,
        "client_ip": "127.0.0.1",
        "client_port": 64664,
        "driver_name": "PyMongo",
        "driver_version": "3.10.1",
        "os_type": "Darwin",
        "os_name": "Darwin",
        "platform": "CPython 3.8.1.final.0",
        "app_name": "mlaunch v1.6.2-dev",
        "ts": us(2020, 2, 7, 0, 59, 7, 893000),
    }


def test_golden_connection_accepted_and_ended(legacy_dir: Path) -> None:
    results = parse_file(legacy_dir, "year_rollover.log")
    accepted = find(results, b"#247955")
    assert row_of(accepted) == {
        "event": "accepted",
        "connection_id": 247955,
        "client_ip": "127.0.0.1",
        "client_port": 44287,
        "connection_count": 120,
        "ts": us(2013, 12, 30, 0, 13, 1, 661000),
    }
    ended = find(results, b"[conn249427] end connection")
    assert row_of(ended) == {
        "event": "ended",
        "connection_id": 249427,
        "client_ip": "127.0.0.1",
        "client_port": 45357,
        "connection_count": 117,
        "ts": us(2013, 12, 30, 3, 17, 13, 412000),
    }


def test_host_of(legacy_dir: Path) -> None:
    assert legacy.host_of(lines_of(legacy_dir / "mongod_26.log")[:5]) == "enter.local:27019"
    assert legacy.host_of(lines_of(legacy_dir / "mongos.log")[:5]) == "jimoleary.local:27017"
    assert legacy.host_of([b"nothing here"]) is None


# Crafted lines: edge cases the shared logs do not have.
ISO = b"2019-06-01T10:00:00.123+0000 I COMMAND  [conn7] "


def parse_one(line: bytes, year: int = 2019) -> Parsed | BadLine:
    return legacy.make_parser(FileContext(file_id="f", path="p", year_hint=year))(line)


def test_timestamp_offsets() -> None:
    base = us(2019, 6, 1, 10, 0, 0, 123000)
    for stamp, offset_us in [
        (b"2019-06-01T10:00:00.123+0000", 0),
        (b"2019-06-01T10:00:00.123Z", 0),
        (b"2019-06-01T10:00:00.123+05:30", -(5 * 3600 + 1800) * 10**6),
        (b"2019-06-01T10:00:00.123+0530", -(5 * 3600 + 1800) * 10**6),
        (b"2019-06-01T10:00:00.123-0400", 4 * 3600 * 10**6),
    ]:
        result = parse_one(stamp + b" I NETWORK  [main] hello")
        assert isinstance(result, Parsed)
        assert result.event["ts"] == base + offset_us, stamp


def test_ctime_without_millis_and_bad_dates() -> None:
    result = parse_one(b"Wed Dec 31 23:59:59 [initandlisten] bye", year=2014)
    assert isinstance(result, Parsed)
    assert result.event["ts"] == us(2014, 12, 31, 23, 59, 59)
    assert result.event["context"] == "initandlisten"
    assert parse_one(b"Mon Feb 30 10:00:00.000 [conn1] x") == BadLine(BadReason.BAD_TIMESTAMP)
    bad_iso = b"2019-13-45T10:00:00.000+0000 I CONTROL [main] x"
    assert parse_one(bad_iso) == BadLine(BadReason.BAD_TIMESTAMP)


def test_severities_components_and_missing_context() -> None:
    result = parse_one(b"2018-11-16T12:31:35.886-0500 I NETWORK DNS resolution took 5000ms")
    assert isinstance(result, Parsed)
    assert stream_of(result) is None
    assert (result.event["severity"], result.event["component"]) == ("I", "NETWORK")
    assert result.event["context"] is None
    assert result.event["message"] == "DNS resolution took 5000ms"
    result = parse_one(b"2014-10-31T13:00:03.914+0000 D2 -        [initandlisten] ")
    assert isinstance(result, Parsed)
    assert (result.event["severity"], result.event["component"]) == ("D2", "-")
    assert result.event["message"] == ""


def test_garbage_lines() -> None:
    assert parse_one(b"\x00" * 64) == BadLine(BadReason.BINARY)
    assert parse_one(ISO + b"ping \x00\x00\x00") == BadLine(BadReason.BINARY)
    assert parse_one(ISO + b"caf\xe9") == BadLine(BadReason.NOT_UTF8)
    assert parse_one(b"\xff\xfe\xfd") == BadLine(BadReason.NOT_UTF8)
    json_line = b'{"t":{"$date":"2020-05-01T10:00:00.000+00:00"},"s":"I","c":"NETWORK","msg":"x"}'
    assert parse_one(json_line) == BadLine(BadReason.OTHER_FORMAT)
    assert parse_one(b"    at mongo::printStackTrace()") == BadLine(BadReason.OTHER_FORMAT)


def test_long_message_is_cut_for_events_only() -> None:
    result = parse_one(ISO + b"x" * 10_000)
    assert isinstance(result, Parsed)
    assert len(result.event["message"]) == 4096


def test_truncated_command_still_gives_a_row() -> None:
    line = ISO + (
        b'command shop.orders appName: "api" command: find { find: "orders", filter: '
        b'{ status: "A", sku: { $in: [ 1, 2, ... } planSummary: IXSCAN { status: 1 } '
        b"keysExamined:10 docsExamined:10 nreturned:3 reslen:300 locks:{} 120ms"
    )
    result = parse_one(line)
    assert isinstance(result, Parsed)
    assert stream_of(result) is Stream.SLOW_QUERIES
    row = row_of(result)
    assert row is not None
    assert (row["namespace"], row["op"], row["truncated"]) == ("shop.orders", "find", True)
    partial = {"find": "orders", "filter": {"status": "A", "sku": {"$in": [1, 2]}}}
    assert row["shape"] == shape_json(shape_of("find", partial))
    assert (row["nreturned"], row["plan"], row["duration_ms"]) == (3, "IXSCAN", 120.0)


def test_dollar_truncated_command() -> None:
    inner = b'{ find: \\"orders\\", filter: { status: \\"A\\", qty: { $gt: 5 } }, comment: \\"xx'
    line = ISO + (
        b'command shop.$cmd command: find { $truncated: "' + inner + b'", comment: "xx" } '
        b"planSummary: COLLSCAN docsExamined:1000 nreturned:0 reslen:100 12ms"
    )
    result = parse_one(line)
    assert isinstance(result, Parsed)
    row = row_of(result)
    assert row is not None
    assert (row["namespace"], row["op"], row["truncated"]) == ("shop.orders", "find", True)
    partial = {"find": "orders", "filter": {"status": "A", "qty": {"$gt": 5}}}
    assert row["shape"] == shape_json(shape_of("find", partial))


def test_over_max_size_line() -> None:
    line = ISO + (
        b"warning: log line attempted (19kB) over max size (10kB), printing beginning and end"
        b' ... command test.c command: aggregate { aggregate: "c", pipeline: [ { $match: '
        b"{ a: 1 .......... } } ], cursor: {} } planSummary: COLLSCAN docsExamined:9 "
        b"hasSortStage:1 queryHash:ABCD1234 planCacheKey:EF56 exception: boom code:16819 "
        b"numYields:0 reslen:90 150ms"
    )
    result = parse_one(line)
    assert isinstance(result, Parsed)
    row = row_of(result)
    assert row is not None
    assert (row["namespace"], row["op"], row["truncated"]) == ("test.c", "aggregate", True)
    assert (row["docs_examined"], row["has_sort_stage"], row["error_code"]) == (9, True, 16819)
    assert (row["query_hash"], row["plan_cache_key"]) == ("ABCD1234", "EF56")


def test_legacy_wrappers_regex_and_types() -> None:
    line = ISO + (
        b"query shop.items query: { $query: { name: /^ab/i, at: new Date(1554076800000), "
        b"k: MinKey, n: NumberLong(5), u: UUID(\"0b4c\"), 'q': 'x' }, $orderby: { n: -1 } } "
        b"planSummary: IXSCAN { name: 1 }, IXSCAN { n: -1 } ntoreturn:0 nscannedObjects:4 "
        b"nreturned:2 fromMultiPlanner:1 replanned:1 writeConflicts:3 errName:X errCode:7 9ms"
    )
    result = parse_one(line)
    assert isinstance(result, Parsed)
    row = row_of(result)
    assert row is not None
    expected = {
        "find": "items",
        "filter": {
            "name": {"$regex": "^ab", "$options": "i"},
            "at": {"$date": 1554076800000},
            "k": {"$minKey": 1},
            "n": 5,
            "u": {"$uuid": "0b4c"},
            "q": "x",
        },
        "sort": {"n": -1},
    }
    assert row["shape"] == shape_json(shape_of("find", expected))
    assert '"^?"' in row["shape"]  # the anchored regex is visible in the shape
    assert row["plan_summary"] == "IXSCAN { name: 1 }, IXSCAN { n: -1 }"
    assert (row["plan"], row["docs_examined"], row["write_conflicts"]) == ("IXSCAN", 4, 3)
    assert (row["from_multi_planner"], row["replanned"]) == (True, True)
    assert (row["error_name"], row["error_code"]) == ("X", 7)


def test_sasl_failure_and_unix_socket() -> None:
    line = ISO.replace(b"COMMAND", b"ACCESS ") + (
        b"SASL SCRAM-SHA-1 authentication failed for bob on admin from client "
        b"10.0.0.5:51234 ; AuthenticationFailed: SCRAM-SHA-1 authentication failed"
    )
    result = parse_one(line)
    assert isinstance(result, Parsed)
    assert row_of(result) is not None
    assert row_of(result)["user"] == "bob"
    assert (row_of(result)["result"], row_of(result)["mechanism"]) == ("failure", "SCRAM-SHA-1")
    assert (row_of(result)["client_ip"], row_of(result)["client_port"]) == ("10.0.0.5", 51234)
    line = ISO + b"connection accepted from anonymous unix socket #12 (3 connections now open)"
    result = parse_one(line)
    assert isinstance(result, Parsed)
    assert row_of(result) is not None
    assert (row_of(result)["connection_id"], row_of(result)["client_port"]) == (12, None)


def test_sniff() -> None:
    legacy_lines = [
        b"2019-06-01T10:00:00.123+0000 I COMMAND  [conn1] x",
        b"Mon Jun  1 10:00:00.123 [initandlisten] y",
        b"Wed Dec 31 23:59:59 [conn2] z",
        b"2019-06-01T10:00:00.123Z D1 -        [main] w",
    ]
    assert legacy.sniff(legacy_lines) == pytest.approx(0.9)
    json_lines = [b'{"t":{"$date":"2020-05-01T10:00:00.000+00:00"},"s":"I","c":"NETWORK"}'] * 4
    assert legacy.sniff(json_lines) == 0
    assert legacy.sniff([]) == 0
    assert legacy.sniff([b"hello", b"world"]) == 0


@pytest.mark.parametrize(
    "text",
    [
        "{" + " " * 200_000 + "x",
        "{ a: x" + " " * 200_000 + "y }",
        "{ a: 1" + " " * 200_000 + "x }",
        "{ a: /x/" + " " * 200_000 + "x }",
        "received client metadata from a b: {" + " " * 200_000,
        'command db.c command: find { find: "c" }' + " a:b" * 50_000 + " 1ms",
        "end connection " + " (1 connection now open)" * 20_000,
    ],
)
def test_long_lines_take_linear_time(text: str) -> None:
    """Regexes with nested repeats over whitespace runs would take minutes here."""
    parser = legacy.make_parser(FileContext(file_id="f", path="p", year_hint=2019))
    started = time.process_time()
    assert isinstance(parser(ISO + text.encode()), Parsed)
    assert time.process_time() - started < 2.0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_never_raises_on_bytes(lines: list[bytes]) -> None:
    parser = legacy.make_parser(FileContext(file_id="f", path="p", year_hint=2019))
    for line in lines:
        assert isinstance(parser(line), Parsed | BadLine)


_FRAGMENTS = [
    "2019-06-01T10:00:00.123+0000 ",
    "Mon Dec 30 00:13:01.661 ",
    "Thu Jan  2 10:00:00 ",
    "I COMMAND  ",
    "W  NETWORK  ",
    "[conn12] ",
    "[conn] ",
    "command ",
    "query ",
    "getmore ",
    "update ",
    "remove ",
    "db.$cmd ",
    "db.coll ",
    "command: ",
    "query: ",
    "update: ",
    "originatingCommand: ",
    'appName: "x" ',
    "find ",
    "{ ",
    "} ",
    "[ ",
    "] ",
    'find: "c", ',
    "filter: ",
    "a: 1, ",
    "$gt: new Date(1), ",
    "ObjectId('5c'), ",
    "/re/i ",
    "...",
    "Timestamp 1|2 ",
    '$truncated: "{ find: \\"c\\" ',
    "planSummary: IXSCAN { a: 1 }, ",
    "COLLSCAN ",
    "docsExamined:5 ",
    "numYields: ",
    "storage:{ data: { bytesRead: 5 } } ",
    "exception: x code:1 ",
    "warning: log line attempted (1kB) over max size (1kB), printing beginning and end ... ",
    "connection accepted from 1.2.3.4:5 #9 (2 connections now open)",
    "end connection ",
    "received client metadata from 1.2.3.4:5 conn9: ",
    "Successfully authenticated as principal u on db",
    "Failed to authenticate u@db with mechanism M: e",
    "authenticate db: x ",
    "auth: couldn't find user u, db.system.users",
    "123ms",
    "ms",
    '"',
    "'",
    "\\",
    " " * 50,
    "\t",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_FRAGMENTS), max_size=25), max_size=8))
def test_never_raises_on_log_like_text(lines: list[list[str]]) -> None:
    parser = legacy.make_parser(FileContext(file_id="f", path="p", year_hint=2019))
    for parts in lines:
        result = parser("".join(parts).encode())
        assert isinstance(result, Parsed | BadLine)
        if isinstance(result, Parsed) and row_of(result) is not None:
            assert stream_of(result) is not None
            assert set(row_of(result)) <= set(column_names(stream_of(result)))
