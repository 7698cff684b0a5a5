"""The one-pass C block parser (`_block.c`) gives the rows of the DuckDB block path and of
the per-line parser, on real, bundled, generated and deliberately odd logs.

One worker, so the parser runs in this process and `json_block_c.duckdb_only()` switches
the C path off for the DuckDB ingest.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SHARED_DATA, TEST_DATA, query
from loglake.config import Settings
from loglake.errors import InputError
from loglake.formats.mongodb import json_block_c
from loglake.generate import GenSpec, generate
from loglake.ingest.pipeline import ingest
from test_parity import STREAMS
from test_shape import commands

pytestmark = pytest.mark.skipif(
    not json_block_c.available(),
    reason="the C extension is not built (pip install builds it where gcc is present)",
)

SQL = "SELECT * EXCLUDE (date) FROM t ORDER BY file_id, file_offset"


def three_ways(
    tmp_path: Path, log: Path, *, duckdb: bool = True, fmt: str | None = None, **options: object
) -> dict[str, dict]:
    """Ingest `log` by the C block path, the per-line parser and (with `duckdb`) the
    DuckDB block path; assert all give the same rows and counts; return the C path's
    report and rows. The per-line parser is the reference: the odd-lines test leaves
    DuckDB out, whose own parity with it is tests/test_parity.py's business."""
    base = Settings(root=tmp_path / "c", workers=1, range_bytes=1024 * 1024)
    base = base.with_options(**options) if options else base
    c_report = ingest([str(log)], base, fmt)
    line = base.with_options(root=tmp_path / "line", vectorized=False)
    others = [(line.root, ingest([str(log)], line, fmt))]
    if duckdb:
        duck = base.with_options(root=tmp_path / "duckdb")
        with json_block_c.duckdb_only():
            assert not json_block_c.available()
            others.append((duck.root, ingest([str(log)], duck, fmt)))
        assert json_block_c.available()
    for _root, report in others:
        assert c_report["rows"] == report["rows"]
        assert c_report["bad_lines"] == report["bad_lines"]
        assert c_report["files"][0]["blank_lines"] == report["files"][0]["blank_lines"]
    rows = {}
    for stream in STREAMS:
        got = query(base.root, stream, SQL)
        for other, _report in others:
            want = query(other, stream, SQL)
            assert len(got) == len(want), stream
            for a, b in zip(got, want, strict=True):
                assert a == b, stream
        rows[stream] = got
    return {"report": c_report, "rows": rows}


def test_the_generated_log_of_the_benchmarks_is_read_in_c_alone(tmp_path: Path) -> None:
    """`python -m loglake.generate --size 20MB --seed 42`: no line goes back to Python."""
    log = tmp_path / "gen.log"
    with log.open("wb") as out:
        stats = generate(GenSpec(seed=42, target_bytes=20_000_000), out)
    data = log.read_bytes()
    lines, fallback, streams = json_block_c._compiled.parse_block(  # type: ignore[union-attr]
        data, 0, 64 * 1024 * 1024
    )
    assert lines == stats.lines
    assert fallback == []
    assert streams["events"]["ts"][0] == stats.events
    assert streams["slow_queries"]["ts"][0] == stats.slow > 5_000
    assert streams["authentications"]["ts"][0] == stats.auth_ok + stats.auth_fail > 500
    connections = stats.conn_accepted + stats.conn_ended + stats.metadata
    assert streams["connections"]["ts"][0] == connections > 1_000
    got = three_ways(tmp_path, log)
    assert got["report"]["rows"]["slow_queries"] == stats.slow


@pytest.mark.parametrize("version", ["4.4", "6.0", "8.0"])
def test_a_generated_log_with_faults(tmp_path: Path, version: str) -> None:
    log = tmp_path / "gen.log"
    with log.open("wb") as out:
        stats = generate(
            GenSpec(
                seed=7,
                target_bytes=2_000_000,
                faults=True,
                fault_rate=1 / 200,
                tz_offsets=("+00:00", "-04:00", "+05:30", "Z"),
                mongo_version=version,
            ),
            out,
        )
    got = three_ways(tmp_path, log)
    assert got["report"]["rows"]["slow_queries"] == stats.slow
    assert got["report"]["bad_lines"]["total"] == sum(stats.bad_lines.values()) > 0


REAL = sorted((SHARED_DATA / "mongodb" / "json").glob("*.log*"))


@pytest.mark.parametrize("log", REAL, ids=[p.name for p in REAL])
def test_real_logs(tmp_path: Path, log: Path) -> None:
    got = three_ways(tmp_path, log)
    assert got["report"]["rows"]["events"] > 0


@pytest.mark.parametrize("name", ["mongod-4.4-auth.log", "mongod-6.0-setup.log"])
def test_bundled_logs(tmp_path: Path, name: str) -> None:
    got = three_ways(tmp_path, TEST_DATA / name)
    assert got["report"]["rows"]["events"] > 0


def _slow(attr: str, t: str = "2024-02-29T23:59:59.999+00:00", ctx: str = '"conn7"') -> str:
    return (
        f'{{"t":{{"$date":"{t}"}},"s":"I","c":"COMMAND","id":51803,"ctx":{ctx},'
        f'"msg":"Slow query","attr":{{{attr}}}}}'
    )


NESTED = '{"$and":[' * 30 + '{"a":{"$in":[1,2]}}' + "]}" * 30
DEEP = '{"x":' * 300 + "1" + "}" * 300
ODD = [
    # timestamps: the common form, other offsets, forms only Python reads, invalid dates
    _slow('"ns":"a.b","command":{"find":"b","filter":{"x":1}},"durationMillis":5'),
    _slow('"ns":"a.b","durationMillis":1', t="2024-03-18T10:49:13.161-04:00"),
    _slow('"ns":"a.b","durationMillis":1', t="1969-12-31T23:59:59.999Z"),
    _slow('"ns":"a.b","durationMillis":1', t="2024-03-18T10:49:13.161+05:30"),
    _slow('"ns":"a.b","durationMillis":1', t="2024-03-18T10:49:13+00:00"),
    _slow('"ns":"a.b","durationMillis":1', t="2024-03-18T10:49:13.161234+00:00"),
    _slow('"ns":"a.b","durationMillis":1', t="2023-02-29T10:49:13.161+00:00"),
    _slow('"ns":"a.b","durationMillis":1', t="2024-03-18T10:49:60.161+00:00"),
    _slow('"ns":"a.b","durationMillis":1', t="2024-03-18 10:49:13.161+00:00"),
    _slow('"ns":"a.b","durationMillis":1', t="2024-03-18T10:49:13.161+0000"),
    _slow('"ns":"a.b","durationMillis":1', t="not a time"),
    '{"t":"2024-03-18T10:49:13.161+00:00","s":"I","c":"X","id":1,"ctx":"m","msg":"flat t"}',
    '{"t":{"$date":"2024-03-18T10:49:13.161Z","$date":"2024-03-18T10:49:14.161Z"},"id":1}',
    # nested $-operators, regexes, pipelines, batches, legacy and getMore forms
    _slow(f'"ns":"a.b","command":{{"find":"b","filter":{NESTED}}},"durationMillis":2'),
    _slow(
        '"ns":"a.b","command":{"aggregate":"b","pipeline":[{"$match":{"a":{"$regex":"^x"}}},'
        '{"$group":{"_id":"$k","n":{"$sum":1}}},{"$lookup":{"from":"c","as":"d",'
        '"pipeline":[{"$match":{"$expr":{"$eq":["$a","$$b"]}}}]}}],"cursor":{}},'
        '"planSummary":"COLLSCAN","durationMillis":3'
    ),
    _slow(
        '"ns":"a.$cmd","command":{"update":"b","updates":[{"q":{"a":1},"u":{"$set":{"x":1}},'
        '"multi":true},{"q":{"a":2},"u":{"$set":{"x":2}},"multi":true}],"lsid":{"id":'
        '{"$uuid":"0f6a"}}},"type":"command","durationMillis":4'
    ),
    _slow('"ns":"a.b","type":"query","command":{"a":{"$gt":1},"b":"x"},"durationMillis":1'),
    _slow('"ns":"a.b","type":"QUERY","command":{"$query":{"a":1},"$orderby":{"b":-1}}'),
    _slow(
        '"ns":"a.b","type":"getmore","command":{"getMore":5,"collection":"b"},'
        '"originatingCommand":{"find":"b","filter":{"z":{"$exists":true}},"sort":{"y":-1}}'
    ),
    _slow('"ns":"a.$cmd","command":{"getMore":5,"collection":"zz"},"durationMillis":1'),
    _slow('"ns":"admin.$cmd","command":{"createIndexes":"b","indexes":[{"key":{"a":1}}]}'),
    _slow('"ns":"a","command":{},"durationMillis":1'),
    _slow('"ns":"","command":[1,2],"durationMillis":1'),
    _slow('"ns":5,"command":"find","durationMillis":1'),
    _slow(f'"ns":"a.b","command":{{"find":"b","filter":{DEEP}}}'),
    # odd values: big numbers, floats for ints, $numberLong, bools, strings, NaN
    _slow('"ns":"a.b","docsExamined":18446744073709551615,"durationMillis":1'),
    _slow('"ns":"a.b","docsExamined":1e30,"durationMillis":1'),
    _slow('"ns":"a.b","docsExamined":123456789012345678901234567890,"durationMillis":1'),
    _slow('"ns":"a.b","docsExamined":12.9,"keysExamined":-3.5,"nreturned":true,"reslen":"9"'),
    _slow('"ns":"a.b","cpuNanos":{"$numberLong":"123"},"durationMillis":1'),
    _slow('"ns":"a.b","errCode":4294967296,"durationMillis":1'),
    _slow('"ns":"a.b","errCode":11000,"errName":"DuplicateKey","durationMillis":1.5'),
    _slow('"ns":"a.b","durationMillis":"slow","workingMillis":true,"hasSortStage":1'),
    _slow('"ns":"a.b","queryHash":12345,"durationMillis":1'),
    _slow('"ns":"a.b","planSummary":"IXSCAN { a: 1 }, IXSCAN { b: 1 }","usedDisk":false'),
    _slow('"ns":"a.b","planSummary":" x","replanned":null,"fromMultiPlanner":true'),
    _slow('"ns":"a.b","storage":{"data":{"bytesRead":10,"timeReadingMicros":2.5}}'),
    _slow('"ns":"a.b","storage":{"data":{"bytesRead":"x"},"data":{"bytesRead":7}}'),
    _slow('"ns":"a.b","durationMillis":1,"durationMillis":null'),
    # remotes and contexts
    _slow('"ns":"a.b","remote":"[::1]:27017","durationMillis":1'),
    _slow('"ns":"a.b","remote":"1.2.3.4:99999999999","durationMillis":1'),
    _slow('"ns":"a.b","remote":":80","durationMillis":1'),
    _slow('"ns":"a.b","remote":"h:","durationMillis":1'),
    _slow('"ns":"a.b","remote":"h:\u0661\u0662","durationMillis":1'),
    _slow('"ns":"a.b","remote":7,"durationMillis":1'),
    _slow('"ns":"a.b","durationMillis":1', ctx='"conn"'),
    _slow('"ns":"a.b","durationMillis":1', ctx='"conn12345678901234567890"'),
    _slow('"ns":"a.b","durationMillis":1', ctx='"conn\u00b2"'),
    _slow('"ns":"a.b","durationMillis":1', ctx="null"),
    _slow('"ns":"a.b","durationMillis":1', ctx="12"),
    # strings: escapes, non-ASCII, lone surrogates, NUL
    _slow('"ns":"a.b","command":{"find":"b","filter":{"\\u00e9\\"\\\\":{"$gt":"\\u0000"}}}'),
    _slow('"ns":"a.b","command":{"find":"b","filter":{"a\\ud800":1}}'),
    _slow('"ns":"a.b","command":{"find":"\u4e2d\u6587","filter":{"\u00e9t\u00e9":1}}'),
    # headers of every type, duplicate keys, long messages
    '{"t":{"$date":"2024-01-01T00:00:00.000Z"},"s":5,"c":"X","id":1,"ctx":"m","msg":"x"}',
    '{"t":{"$date":"2024-01-01T00:00:00.000Z"},"s":"","c":null,"id":"22943","msg":12}',
    '{"t":{"$date":"2024-01-01T00:00:00.000Z"},"s":"W","id":51803.0,"msg":"float id"}',
    '{"t":{"$date":"2024-01-01T00:00:00.000Z"},"s":"D2","id":9223372036854775808}',
    '{"t":{"$date":"2024-01-01T00:00:00.000Z"},"s":"\u00c9","id":-1,"ctx":"a","ctx":"b"}',
    '{"t":{"$date":"2024-01-01T00:00:00.000Z"},"s":"I","id":2,"msg":"'
    + "\u00e9\u4e2d" * 3000
    + '"}',
    '{"t":{"$date":"2024-01-01T00:00:00.000Z"},"s":"I","id":3,"msg":"' + "x" * 5000 + '"}',
    # authentication and connection lines of every version
    '{"t":{"$date":"2024-01-01T00:00:01.000Z"},"s":"I","c":"ACCESS","id":20250,"ctx":"conn3",'
    '"msg":"ok","attr":{"mechanism":"SCRAM-SHA-256","principalName":"u","authenticationDatabase":'
    '"admin","remote":"10.0.0.1:5000","durationMillis":3}}',
    '{"t":{"$date":"2024-01-01T00:00:02.000Z"},"s":"I","c":"ACCESS","id":5286307,"ctx":"conn4",'
    '"msg":"fail","attr":{"mechanism":"SCRAM-SHA-1","user":"","principalName":"p","db":"x",'
    '"result":18,"error":"AuthenticationFailed","client":"10.0.0.2:5001"}}',
    '{"t":{"$date":"2024-01-01T00:00:03.000Z"},"s":"I","c":"ACCESS","id":20249,"ctx":"conn5",'
    '"msg":"fail","attr":{"user":7,"result":"UserNotFound: x"}}',
    '{"t":{"$date":"2024-01-01T00:00:04.000Z"},"s":"I","c":"NETWORK","id":22943,"ctx":"listener",'
    '"msg":"Connection accepted","attr":{"remote":"10.0.0.1:5000","uuid":{"uuid":{"$uuid":"ab"}},'
    '"connectionId":8,"connectionCount":3}}',
    '{"t":{"$date":"2024-01-01T00:00:05.000Z"},"s":"I","c":"NETWORK","id":22944,"ctx":"conn8",'
    '"msg":"Connection ended","attr":{"remote":"10.0.0.1:5000","connectionCount":1e40}}',
    '{"t":{"$date":"2024-01-01T00:00:06.000Z"},"s":"I","c":"NETWORK","id":51800,"ctx":"conn8",'
    '"msg":"client metadata","attr":{"remote":"10.0.0.1:5000","client":"conn8","doc":{"driver":'
    '{"name":"pymongo","version":"4.6"},"os":{"type":"Linux"},"platform":"CPython"}}}',
    '{"t":{"$date":"2024-01-01T00:00:07.000Z"},"s":"I","id":22943,"attr":"not a dict"}',
    '{"t":{"$date":"2024-01-01T00:00:08.000Z"},"s":"I","id":22943,"attr":{"n":1e999}}',
    # not records: arrays, scalars, other formats, blanks
    "[1,2,3]",
    '"just a string"',
    "{}",
    '{"s":"I","id":1}',
    "2019-06-01T10:00:00.123+0000 I COMMAND [conn1] text of another format",
    "   ",
    "\t",
]


def test_odd_lines(tmp_path: Path) -> None:
    base = ODD[0].encode()
    raw = [line.encode() for line in ODD]
    raw += [
        base[:57],  # truncated
        base[:40] + b"\xff\xfe" + base[40:],  # not UTF-8
        base[:40] + b"\x00" * 4 + base[40:],  # NUL bytes
        b"\xef\xbb\xbf" + base,  # a byte-order mark
        base + b"\r",  # CRLF
        base[:30] + b"\r" + base[30:],  # a stray carriage return
        b"",  # blank
        _slow('"ns":"a.b","durationMillis":1,"pad":"' + "p" * 300_000 + '"').encode(),  # huge
    ]
    log = tmp_path / "odd.log"
    log.write_bytes(b"\n".join(raw) + b"\n")
    got = three_ways(tmp_path, log, duckdb=False, fmt="mongodb", max_line_bytes=200_000)
    assert got["report"]["bad_lines"]["too_long"] == 1
    lines, fallback, *_ = json_block_c._compiled.parse_block(log.read_bytes(), 0, 200_000)  # type: ignore[union-attr]
    assert lines == len(raw)
    assert 0 < len(fallback) < len(raw) // 2 + 20  # most odd lines are still read in C


def test_a_gzip_log(tmp_path: Path) -> None:
    plain = tmp_path / "gen.log"
    with plain.open("wb") as out:
        generate(GenSpec(seed=11, target_bytes=1_000_000, faults=True), out)
    packed = tmp_path / "gen.log.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes(), compresslevel=1))
    three_ways(tmp_path, packed)


_FINITE = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)  # NaN != NaN: rows holding one never compare equal
    | st.sampled_from(["", "conn9", "1.2.3.4:5", "[::1]:7", "h:x", "COLLSCAN", "IXSCAN { a: 1 }"])
    | st.text(max_size=6)
)
_VALUES = st.recursive(
    _FINITE,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["$uuid", "uuid", "data", "name", "$numberLong"]) | st.text(max_size=3),
            children,
            max_size=3,
        )
    ),
    max_leaves=12,
)
_ATTR_KEYS = [
    *("docsExamined", "keysExamined", "nreturned", "reslen", "cpuNanos", "errCode"),
    *("queryHash", "appName", "errName", "planSummary", "hasSortStage", "usedDisk"),
    *("durationMillis", "workingMillis", "ns", "type", "storage", "remote", "user"),
    *("principalName", "db", "authenticationDatabase", "mechanism", "error", "result"),
    *("client", "doc", "connectionId", "connectionCount", "uuid", "originatingCommand"),
]
_IDS = [51803, 51803, 20250, 5286306, 20249, 5286307, 22943, 22944, 51800, 7, None, "51803"]
_STAMPS = [
    {"$date": "2024-01-01T00:00:00.000Z"},
    {"$date": "2024-03-18T10:49:13.161-04:00"},
    {"$date": "2024-03-18T10:49:13.161+05:30"},
    {"$date": "2024-03-18T10:49:13+00:00"},
    {"$date": 5},
    "2024-03-18T10:49:13.161+00:00",
]
_LINES = st.fixed_dictionaries(
    {
        "t": st.sampled_from(_STAMPS),
        "s": st.sampled_from(["I", "W", "E", "D2", "", None, 5, "é"]),
        "c": st.sampled_from(["COMMAND", "ACCESS", "NETWORK", None]),
        "id": st.sampled_from(_IDS),
        "ctx": st.sampled_from(["conn12", "conn", "listener", None, "conn\u0661"]),
        "msg": st.text(max_size=8) | st.none(),
        "attr": st.dictionaries(st.sampled_from(_ATTR_KEYS), _VALUES, max_size=8).flatmap(
            lambda attr: st.fixed_dictionaries(
                {k: st.just(v) for k, v in attr.items()},
                optional={"command": commands | _VALUES},
            )
        ),
    },
    optional={"truncated": _FINITE},
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(_LINES, st.booleans()), min_size=1, max_size=25))
def test_random_records(tmp_path_factory, picks) -> None:
    """Random header and attribute values of every type, C vs the per-line parser."""
    tmp_path = tmp_path_factory.mktemp("random")
    log = tmp_path / "random.log"
    text = "\n".join(json.dumps(doc, ensure_ascii=ascii_only) for doc, ascii_only in picks)
    log.write_text(text + "\n", encoding="utf-8", errors="surrogatepass")
    try:
        three_ways(tmp_path, log, duckdb=False, fmt="mongodb")
    except InputError:  # nothing readable: the per-line path must say so too
        again = Settings(root=tmp_path / "again", workers=1, vectorized=False)
        with pytest.raises(InputError):
            ingest([str(log)], again, "mongodb")


IDS = (22943, 22944, 51800, 20250, 20249, 5286306, 5286307)


def test_header_fields_that_are_not_strings_read_alike(tmp_path: Path) -> None:
    """A msg (or s, c, ctx) that is an object, an array, a boolean or a number is kept as
    DuckDB's JSON reading gives it, by every path: compact JSON, `true`, `1.5`."""
    t = '{"$date":"2024-02-29T23:59:59.999+00:00"}'
    values = [
        '{"a": 1, "b": [1, 2.5], "c": "é\\n"}', "[1, \"x\", null]", "true", "false", "1.5",
        "-7", "{}", "[]", '{"deep": {"er": [{"x": true}]}}',
    ]  # fmt: skip
    lines = [f'{{"t":{t},"s":"I","c":"NETWORK","id":1,"ctx":"c","msg":{v}}}' for v in values]
    lines += [f'{{"t":{t},"s":{v},"c":{v},"id":1,"ctx":{v},"msg":"m"}}' for v in values[:5]]
    # connection and authentication messages without their attr: rows of empty fields
    lines += [f'{{"t":{t},"s":"I","c":"NETWORK","id":{i},"ctx":"conn9","msg":"m"}}' for i in IDS]
    log = tmp_path / "odd-headers.log"
    log.write_text("\n".join(lines) + "\n")
    three_ways(tmp_path, log, fmt="mongodb")
    sql = "SELECT message, severity FROM t ORDER BY file_offset"
    got = query(tmp_path / "c", "events", sql)
    assert [m for m, _s in got[:5]] == [
        '{"a":1,"b":[1,2.5],"c":"é\\n"}', '[1,"x",null]', "true", "false", "1.5",
    ]  # fmt: skip
    assert [s for _m, s in got[len(values) : len(values) + 5]] == [
        '{"a":1,"b":[1,2.5],"c":"é\\n"}', '[1,"x",null]', "true", "false", "1.5",
    ]  # fmt: skip
