"""The vectorized (DuckDB) path and the per-line parser produce the same rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SHARED_DATA, TEST_DATA, query
from loglake.config import Settings
from loglake.errors import InputError
from loglake.generate import GenSpec, generate
from loglake.ingest.pipeline import ingest

STREAMS = ("events", "slow_queries", "authentications", "connections")


def both_ways(tmp_path: Path, log: Path) -> tuple[Path, Path, dict, dict]:
    fast = Settings(root=tmp_path / "fast", workers=2, range_bytes=1024 * 1024)
    slow = fast.with_options(root=tmp_path / "slow", vectorized=False)
    return fast.root, slow.root, ingest([str(log)], fast), ingest([str(log)], slow)


def assert_same_rows(fast: Path, slow: Path) -> None:
    for stream in STREAMS:
        sql = "SELECT * EXCLUDE (date) FROM t ORDER BY file_id, file_offset"
        a, b = query(fast, stream, sql), query(slow, stream, sql)
        assert len(a) == len(b), stream
        for row_a, row_b in zip(a, b, strict=True):
            assert row_a == row_b, stream


@pytest.mark.parametrize("version", ["4.4", "5.0", "6.0", "7.0", "8.0"])
def test_parity_on_a_generated_log_with_faults(tmp_path: Path, version: str) -> None:
    log = tmp_path / "gen.log"
    with log.open("wb") as out:
        stats = generate(
            GenSpec(
                seed=3,
                target_bytes=3_000_000,
                faults=True,
                fault_rate=1 / 300,
                tz_offsets=("+00:00", "-04:00", "+05:30"),
                mongo_version=version,
            ),
            out,
        )
    fast, slow, report_fast, report_slow = both_ways(tmp_path, log)
    assert report_fast["rows"] == report_slow["rows"]
    assert report_fast["bad_lines"] == report_slow["bad_lines"]
    assert report_fast["rows"]["events"] == stats.events
    assert report_fast["rows"]["slow_queries"] == stats.slow
    assert report_fast["bad_lines"] == {"total": sum(stats.bad_lines.values()), **stats.bad_lines}
    assert report_fast["files"][0]["blank_lines"] == stats.blank_lines
    assert report_fast["rows"]["authentications"] == stats.auth_ok + stats.auth_fail
    conns = dict(query(fast, "connections", "SELECT event, count(*) FROM t GROUP BY 1"))
    assert conns == {
        "accepted": stats.conn_accepted,
        "ended": stats.conn_ended,
        "metadata": stats.metadata,
    }
    (total,) = query(fast, "slow_queries", "SELECT sum(duration_ms) FROM t")[0]
    assert total == stats.total_duration_ms
    per_ns = dict(query(fast, "slow_queries", "SELECT namespace, count(*) FROM t GROUP BY 1"))
    assert per_ns == stats.per_namespace
    per_hash = dict(
        query(
            fast,
            "slow_queries",
            "SELECT query_hash, count(*) FROM t WHERE query_hash IS NOT NULL GROUP BY 1",
        )
    )
    assert per_hash == stats.per_query_hash
    assert_same_rows(fast, slow)


@pytest.mark.parametrize(
    "name", ["hatchet-6.0.14-rs2.log.gz", "bloommarbella-7.0.14.log.gz", "edutask-8.2.7.log"]
)
def test_parity_on_real_logs(tmp_path: Path, name: str) -> None:
    log = SHARED_DATA / "mongodb" / "json" / name
    if not log.exists():
        pytest.skip(f"{log} not present: ../shared/data holds the real conformance logs")
    fast, slow, _, _ = both_ways(tmp_path, log)
    assert_same_rows(fast, slow)


def test_parity_on_bundled_logs(tmp_path: Path) -> None:
    fast, slow, _, _ = both_ways(tmp_path, TEST_DATA / "mongod-4.4-auth.log")
    assert_same_rows(fast, slow)


def test_parity_on_odd_remotes_and_types(tmp_path: Path) -> None:
    template = (
        '{"t":{"$date":"2024-01-01T00:00:0%d.000Z"},"s":"I","c":"COMMAND","id":51803,'
        '"ctx":"conn7","msg":"Slow query","attr":{"ns":"a.$cmd","remote":"%s",'
        '"command":{"find":"b","filter":{"x":{"$gt":1}}},"durationMillis":%s,'
        '"docsExamined":%s,"hasSortStage":%s}}'
    )
    odd = [
        ("[::1]:27017", "5", "1", "true"),
        ("1.2.3.4:99999999999", "5.5", "2.0", "1"),
        ("host", '"slow"', "null", "false"),
        ("", "0", "-3", "0"),
        ("fe80::1:5", "1e3", "7", "null"),
    ]
    log = tmp_path / "odd.log"
    log.write_text("\n".join(template % (i, *vals) for i, vals in enumerate(odd)) + "\n")
    fast, slow, report_fast, _ = both_ways(tmp_path, log)
    assert report_fast["rows"]["slow_queries"] == len(odd)
    assert_same_rows(fast, slow)
    rows = query(
        fast, "slow_queries", "SELECT client_ip, client_port, collection FROM t ORDER BY ts"
    )
    assert rows[0] == ("::1", 27017, "b")
    assert rows[1][:2] == ("1.2.3.4", None)
    assert rows[3][:2] == (None, None)


REAL = [line for line in (TEST_DATA / "mongod-4.4-auth.log").read_bytes().split(b"\n") if line]


def _mutate(line: bytes, how: int, at: int) -> bytes:
    cut = at % (len(line) + 1)
    return [
        line,
        line[:cut],  # truncated write
        line[:cut] + b"\x00" * 8 + line[cut:],  # NUL run inside
        line[:cut] + b"\xff\xfe" + line[cut:],  # invalid UTF-8
        line[:cut] + b"\r" + line[cut:],  # stray carriage return
        b"   ",  # blank
        line + b"\r",  # CRLF
        b"2019-06-01T10:00:00.123+0000 I COMMAND [conn1] text of another format",
    ][how]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.integers(0, len(REAL) - 1), st.integers(0, 7), st.integers(0, 10_000)),
        min_size=1,
        max_size=60,
    )
)
def test_parity_on_random_damage(tmp_path_factory, picks) -> None:
    tmp_path = tmp_path_factory.mktemp("damage")
    log = tmp_path / "damaged.log"
    log.write_bytes(b"\n".join(_mutate(REAL[i], how, at) for i, how, at in picks) + b"\n")
    if not log.read_bytes().strip():
        return
    try:
        fast, slow, report_fast, report_slow = both_ways(tmp_path, log)
    except InputError as exc:  # nothing readable: the per-line path must say so too
        per_line = Settings(root=tmp_path / "again", workers=1, vectorized=False)
        with pytest.raises(InputError) as again:
            ingest([str(log)], per_line)
        assert str(again.value).split(":")[-1] == str(exc).split(":")[-1]
        return
    assert report_fast["rows"] == report_slow["rows"]
    assert report_fast["bad_lines"] == report_slow["bad_lines"]
    assert report_fast["files"][0]["blank_lines"] == report_slow["files"][0]["blank_lines"]
    assert_same_rows(fast, slow)


def test_a_gzip_dealt_out_to_workers_gives_the_rows_of_the_plain_file(tmp_path: Path) -> None:
    import gzip

    plain = tmp_path / "gen.log"
    with plain.open("wb") as out:
        generate(GenSpec(seed=5, target_bytes=3_000_000, faults=True, fault_rate=1 / 200), out)
    packed = tmp_path / "gen.log.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes(), compresslevel=1))
    small = 256 * 1024  # many chunks, so lines straddle chunk borders
    one = Settings(root=tmp_path / "plain", workers=1, range_bytes=small)
    many = Settings(root=tmp_path / "gz", workers=2, range_bytes=small)
    report_plain = ingest([str(plain)], one)
    report_gz = ingest([str(packed)], many)
    assert report_gz["rows"] == report_plain["rows"]
    assert report_gz["bad_lines"] == report_plain["bad_lines"]
    assert report_gz["bytes"] == packed.stat().st_size
    for stream in STREAMS:
        sql = "SELECT * EXCLUDE (date, file_id) FROM t ORDER BY file_offset"
        assert query(one.root, stream, sql) == query(many.root, stream, sql), stream
    from loglake.store.raw import RawReader

    reader = RawReader(many.root)
    lines = {}
    offset = 0
    for raw in plain.read_bytes().split(b"\n"):
        lines[offset] = raw.removesuffix(b"\r")
        offset += len(raw) + 1
    for row in query(many.root, "slow_queries", "SELECT file_id, file_offset, line_length FROM t"):
        assert reader.read_line(*row) == lines[row[1]]


def test_the_block_parser_is_the_c_pass_where_it_is_built() -> None:
    """json_line.block_parser picks the C pass when the extension is built, else DuckDB's
    (also while the C path is switched off, or shapes are forced to Python)."""
    from loglake.formats.base import FileContext
    from loglake.formats.mongodb import json_block_c, json_line, shape
    from loglake.formats.mongodb.json_block import JsonBlockParser

    ctx = FileContext(file_id="f", path="p")
    built = json_block_c.CompiledBlockParser if json_block_c.available() else JsonBlockParser
    assert isinstance(json_line.block_parser(ctx, 1000), built)
    with json_block_c.duckdb_only():
        assert isinstance(json_line.block_parser(ctx, 1000), JsonBlockParser)
        with pytest.raises(RuntimeError, match="not built"):
            json_block_c.CompiledBlockParser(ctx, 1000)
    with shape.pure_python():
        assert isinstance(json_line.block_parser(ctx, 1000), JsonBlockParser)
