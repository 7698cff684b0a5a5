"""Every real MongoDB 4.4+ log in ../shared/data ingests with exactly the published counts."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from conftest import IngestFn, lines_by_offset, query, read_source, shared
from loglake.store.raw import RawReader

# From ../shared/data/README.md: events, slow, auth ok, auth fail, conn accepted, ended, bad, blank
EXPECTED = {
    "bloommarbella-7.0.14.log.gz": (5485, 342, 0, 6, 446, 423, 0, 1),
    "crashloop-8.0.4.log.gz": (2827, 0, 0, 0, 0, 0, 0, 40),
    "edutask-8.2.7.log": (478, 0, 0, 0, 75, 75, 0, 0),
    "hatchet-6.0.14-rs1.log.gz": (7757, 6576, 0, 0, 71, 71, 0, 0),
    "hatchet-6.0.14-rs2.log.gz": (4599, 1767, 0, 0, 52, 51, 0, 0),
    "hatchet-6.0.14-rs3.log.gz": (3652, 440, 0, 0, 34, 33, 0, 0),
    "replset-5.0.5-a.log": (435, 10, 0, 0, 3, 1, 0, 0),
    "replset-5.0.5-b.log": (512, 1, 0, 0, 0, 0, 0, 0),
    "replset-5.0.5-c.log": (523, 0, 0, 0, 0, 0, 0, 0),
    "sanket-4.4.3.log": (459, 1, 6, 8, 47, 47, 0, 3),
    "setup-6.0.3.log": (225, 1, 0, 0, 49, 49, 0, 0),
}


def independent_counts(data: bytes) -> dict[str, object]:
    """Counts by the README's rule, with the stdlib json module only."""
    events = bad = blank = 0
    ids: Counter[int] = Counter()
    slow_ms = 0.0
    per_ns: Counter[str] = Counter()
    per_hash: Counter[str] = Counter()
    for raw in data.split(b"\n"):
        if not raw.strip():
            blank += 1
            continue
        try:
            doc = json.loads(raw)
        except ValueError:
            bad += 1
            continue
        if not isinstance(doc, dict) or "t" not in doc:
            bad += 1
            continue
        events += 1
        ids[doc.get("id")] += 1
        if doc.get("id") == 51803:
            attr = doc["attr"]
            slow_ms += attr.get("durationMillis", 0)
            per_ns[attr.get("ns")] += 1
            if "queryHash" in attr:
                per_hash[attr["queryHash"]] += 1
    if data.endswith(b"\n"):
        blank -= 1  # the empty string after the final newline is not a line
    return {
        "events": events,
        "bad": bad,
        "blank": blank,
        "ids": ids,
        "slow_ms": slow_ms,
        "per_ns": per_ns,
        "per_hash": per_hash,
    }


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_file_ingests_with_published_counts(name: str, run_ingest: IngestFn, settings) -> None:
    path = shared("mongodb", "json", name)
    events, slow, auth_ok, auth_fail, accepted, ended, bad, blank = EXPECTED[name]
    report = run_ingest(path)
    assert report["rows"]["events"] == events
    assert report["rows"]["slow_queries"] == slow
    assert report["rows"]["authentications"] == auth_ok + auth_fail
    assert report["bad_lines"]["total"] == bad
    (file_report,) = report["files"]
    assert file_report["blank_lines"] == blank
    assert file_report["format"] == "mongodb"
    root = settings.root
    auth = dict(query(root, "authentications", "SELECT result, count(*) FROM t GROUP BY 1"))
    assert auth.get("success", 0) == auth_ok
    assert auth.get("failure", 0) == auth_fail
    conns = dict(query(root, "connections", "SELECT event, count(*) FROM t GROUP BY 1"))
    assert conns.get("accepted", 0) == accepted
    assert conns.get("ended", 0) == ended

    # sums and groupings equal an independent stdlib count of the same file
    expected = independent_counts(read_source(path))
    assert expected["events"] == events
    if slow:
        (total,) = query(root, "slow_queries", "SELECT sum(duration_ms) FROM t")[0]
        assert total == pytest.approx(expected["slow_ms"])
        per_ns = dict(query(root, "slow_queries", "SELECT namespace, count(*) FROM t GROUP BY 1"))
        assert per_ns == dict(expected["per_ns"])
        got_hash = dict(
            query(
                root,
                "slow_queries",
                "SELECT query_hash, count(*) FROM t WHERE query_hash IS NOT NULL GROUP BY 1",
            )
        )
        assert got_hash == dict(expected["per_hash"])


@pytest.mark.parametrize("name", ["sanket-4.4.3.log", "hatchet-6.0.14-rs2.log.gz"])
def test_every_offset_reads_back_its_line(name: str, run_ingest: IngestFn, settings) -> None:
    path = shared("mongodb", "json", name)
    run_ingest(path)
    lines = lines_by_offset(path)
    reader = RawReader(settings.root)
    for stream in ("events", "slow_queries", "authentications", "connections"):
        rows = query(settings.root, stream, "SELECT file_id, file_offset, line_length FROM t")
        for file_id, file_offset, length in rows:
            assert reader.read_line(file_id, file_offset, length) == lines[file_offset]
    reader.close()


def test_timestamps_are_utc(run_ingest: IngestFn, settings) -> None:
    # sanket logs at +05:30: 2021-02-23T16:41:59.330+05:30 is 11:11:59.330 UTC
    run_ingest(shared("mongodb", "json", "sanket-4.4.3.log"))
    (first,) = query(
        settings.root,
        "events",
        "SELECT strftime(min(ts), '%Y-%m-%d %H:%M:%S.%g') FROM t",
    )[0]
    assert first == "2021-02-23 11:11:59.330"


def test_whole_folder_in_one_ingest(run_ingest: IngestFn, settings) -> None:
    folder = shared("mongodb", "json")
    report = run_ingest(folder)
    assert report["rows"]["events"] == sum(v[0] for v in EXPECTED.values())
    assert report["rows"]["slow_queries"] == sum(v[1] for v in EXPECTED.values())
    assert len(report["files"]) == len(EXPECTED)
    again = run_ingest(folder)
    assert again["rows"] == dict.fromkeys(report["rows"], 0)
    assert {f["status"] for f in again["files"]} == {"already ingested"}
    (count,) = query(settings.root, "events", "SELECT count(*) FROM t")[0]
    assert count == report["rows"]["events"]


def test_auth_rows_of_every_version(run_ingest: IngestFn, settings) -> None:
    run_ingest(shared("mongodb", "json", "sanket-4.4.3.log"))
    run_ingest(shared("mongodb", "json", "bloommarbella-7.0.14.log.gz"))
    rows = query(
        settings.root,
        "authentications",
        "SELECT user, auth_db, mechanism, result, error, error_code, client_ip "
        "FROM t ORDER BY ts, file_offset",
    )
    assert rows[0] == (
        "adminUserName",
        "admin",
        "SCRAM-SHA-1",
        "failure",
        'UserNotFound: Could not find user "adminUserName" for db "admin"',
        None,
        "127.0.0.1",
    )
    assert ("mongoAdmin", "admin", "SCRAM-SHA-256", "success", None, None, "127.0.0.1") in rows
    abandoned = [r for r in rows if r[5] == 337]
    assert len(abandoned) == 6
    assert abandoned[0][4].startswith("AuthenticationAbandoned")


def test_connection_rows(run_ingest: IngestFn, settings) -> None:
    run_ingest(shared("mongodb", "json", "bloommarbella-7.0.14.log.gz"))
    (row,) = query(
        settings.root,
        "connections",
        "SELECT client_ip, client_port, connection_id, connection_count, uuid FROM t "
        "WHERE event = 'accepted' ORDER BY ts, file_offset LIMIT 1",
    )
    assert row == ("127.0.0.1", 64071, 1, 1, "5ae38f07-4eb9-4490-abdd-b52173dbdae4")
    (meta,) = query(
        settings.root,
        "connections",
        "SELECT connection_id, driver_name, driver_version, os_type, platform FROM t "
        "WHERE event = 'metadata' ORDER BY ts, file_offset LIMIT 1",
    )
    assert meta[:4] == (1, "mongo-rust-driver|Prisma", "3.0.0", "macos")
    assert meta[4].startswith("rustc 1.88.0")


def test_slow_query_fields(run_ingest: IngestFn, settings) -> None:
    run_ingest(shared("mongodb", "json", "setup-6.0.3.log"))
    (row,) = query(
        settings.root,
        "slow_queries",
        "SELECT engine, db, collection, namespace, op, duration_ms, ninserted, keys_inserted, "
        "client_ip, client_port, connection_id, reslen FROM t",
    )
    assert row == (
        "mongodb",
        "test",
        "ip-record",
        "test.ip-record",
        "insert",
        125.0,
        1,
        1,
        "127.0.0.1",
        61069,
        29,
        45,
    )


def test_truncated_attributes_are_flagged(run_ingest: IngestFn, settings) -> None:
    path = shared("mongodb", "json", "bloommarbella-7.0.14.log.gz")
    expected = sum(
        1
        for line in read_source(path).split(b"\n")
        if b'"id":51803' in line and b'"truncated":{' in line
    )
    assert expected > 0
    run_ingest(path)
    (count,) = query(settings.root, "slow_queries", "SELECT count(*) FROM t WHERE truncated")[0]
    assert count == expected


def test_getmore_takes_shape_of_originating_command(run_ingest: IngestFn, settings) -> None:
    run_ingest(shared("mongodb", "json", "hatchet-6.0.14-rs1.log.gz"))
    rows = query(
        settings.root,
        "slow_queries",
        "SELECT DISTINCT shape FROM t WHERE op = 'getMore' AND shape <> '{}'",
    )
    assert rows, "getMore rows should carry their originating command's shape"
    for (shape,) in rows:
        assert json.loads(shape)


def test_host_comes_from_startup_line(run_ingest: IngestFn, settings) -> None:
    run_ingest(shared("mongodb", "json", "sanket-4.4.3.log"))
    hosts = query(settings.root, "events", "SELECT DISTINCT host FROM t")
    assert hosts == [("sanket-VirtualBox:2717",)]


def test_gzip_index_is_kept(run_ingest: IngestFn, settings) -> None:
    report = run_ingest(shared("mongodb", "json", "hatchet-6.0.14-rs1.log.gz"))
    file_id = report["files"][0]["file_id"]
    assert (Path(settings.root) / "index" / "gz" / f"{file_id}.gzidx").stat().st_size > 0
