"""The whole mtools test-log folder ingests end to end with the verified counts."""

from __future__ import annotations

from conftest import IngestFn, lines_by_offset, query, shared
from loglake.store.raw import RawReader
from test_mongodb_legacy import EXPECTED


def test_legacy_folder_ingests_with_verified_counts(run_ingest: IngestFn, settings) -> None:
    folder = shared("mongodb", "legacy")
    report = run_ingest(folder)
    totals = [sum(v[i] for v in EXPECTED.values()) for i in range(9)]
    events, slow, _mtools, accepted, ended, metadata, success, failure, bad = totals
    assert report["rows"]["events"] == events
    assert report["rows"]["slow_queries"] == slow
    assert report["rows"]["connections"] == accepted + ended + metadata
    assert report["rows"]["authentications"] == success + failure
    assert report["bad_lines"]["total"] == bad
    assert {f["format"] for f in report["files"]} == {"mongodb-legacy"}
    per_file = {f["path"]: f["events"] for f in report["files"]}
    for rel, expected in EXPECTED.items():
        assert per_file[str(folder / rel)] == expected[0], rel


def test_legacy_offsets_read_back(run_ingest: IngestFn, settings) -> None:
    path = shared("mongodb", "legacy", "collscans.log")
    run_ingest(path)
    lines = lines_by_offset(path)
    reader = RawReader(settings.root)
    rows = query(settings.root, "slow_queries", "SELECT file_id, file_offset, line_length FROM t")
    assert len(rows) == EXPECTED["collscans.log"][1]
    for row in rows:
        line = reader.read_line(*row)
        assert line == lines[row[1]]
        assert line.endswith(b"ms")


def test_year_rollover_through_ingest(run_ingest: IngestFn, settings) -> None:
    run_ingest(shared("mongodb", "legacy", "year_rollover.log"))
    dates = dict(query(settings.root, "events", "SELECT year(ts), count(*) FROM t GROUP BY 1"))
    assert len(dates) == 2
    first, second = sorted(dates)
    assert second == first + 1


def test_iso_dated_legacy_logs_are_split_across_workers_with_the_same_rows(tmp_path) -> None:
    from loglake.config import Settings
    from loglake.ingest.pipeline import ingest
    from loglake.store.manifest import load_manifest

    folder = shared("mongodb", "legacy")
    one = Settings(root=tmp_path / "one", workers=1)
    many = Settings(root=tmp_path / "many", workers=2, range_bytes=16 * 1024)
    report_one = ingest([str(folder)], one)
    report_many = ingest([str(folder)], many)
    assert report_many["rows"] == report_one["rows"]
    assert report_many["bad_lines"] == report_one["bad_lines"]
    # the 4.0 logs were cut into many ranges; the 2.x ctime logs were not
    parts = load_manifest(many.root)["artifacts"]
    tasks = {rel.rsplit("-", 1)[1] for rel in parts}
    assert len(tasks) > len(EXPECTED)
    for stream in ("events", "slow_queries", "authentications", "connections"):
        sql = "SELECT * EXCLUDE (date) FROM t ORDER BY file_id, file_offset"
        assert query(one.root, stream, sql) == query(many.root, stream, sql), stream
