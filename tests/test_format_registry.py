"""The format registry: lookup, priority sniffing, registration, and several rows per record."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest

from conftest import TEST_DATA, IngestFn, query
from loglake.errors import InputError
from loglake.formats.base import (
    BadLine,
    BadReason,
    FileContext,
    FormatSpec,
    LineParser,
    Parsed,
    Priority,
    Row,
)
from loglake.formats.registry import (
    format_names,
    format_spec,
    register,
    sniff_format,
    unregister,
)
from loglake.formats.timestamps import IsoParser
from loglake.schema import Stream
from loglake.sources.files import head_lines, open_source
from loglake.sources.framing import Framing

# the crafted and real mongod JSON logs (not the sources kept inside the lake fixtures)
MONGOD_LOGS = sorted(
    p for p in TEST_DATA.rglob("*.log") if "lakes" not in p.parts and "postgres" not in p.parts
)
POSTGRES_LOGS = {  # one real server's three forms of one log (tests/data/postgres/build.sh)
    "pg15-live.log": "postgres-stderr",
    "pg15-live.csv": "postgres-csvlog",
    "pg15-live.json": "postgres-jsonlog",
}


@contextmanager
def registered(*specs: FormatSpec) -> Iterator[None]:
    """Formats registered for the duration of a test (forked ingest workers inherit them)."""
    for spec in specs:
        register(spec)
    try:
        yield
    finally:
        for spec in specs:
            unregister(spec.name)


def _json_object(line: bytes) -> dict | None:
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None


def _any_json_sniff(lines: list[bytes]) -> float:
    return sum(_json_object(line) is not None for line in lines) / len(lines)


def _any_json_parser(_ctx: FileContext) -> LineParser:
    iso = IsoParser()

    def parse(line: bytes) -> Parsed | BadLine:
        doc = _json_object(line)
        if doc is None:
            return BadLine(BadReason.INVALID_JSON)
        stamp = doc.get("ts")
        ts = iso(stamp) if isinstance(stamp, str) else None
        if ts is None:
            return BadLine(BadReason.BAD_TIMESTAMP)
        event = {"ts": ts, "message": doc.get("msg"), "attrs": line.decode()}
        return Parsed([(Stream.EVENTS, event)])

    return parse


# A generic format, as the application-log issue will bring: it is sure of any JSON lines,
# mongod's included, so only its lower priority keeps it off mongod logs.
ANY_JSON = FormatSpec(
    name="test-any-json",
    priority=Priority.GENERIC,
    sniff=_any_json_sniff,
    make_parser=_any_json_parser,
)


def _head(path: Path) -> list[bytes]:
    """A file's first non-blank lines, as sniffing sees them."""
    return [line for line in head_lines(open_source(path)) if line.strip()][:50]


def test_the_builtin_formats_are_registered() -> None:
    assert format_names()[:2] == ["mongodb", "mongodb-legacy"]
    assert format_spec("mongodb").block_parser is not None
    assert format_spec("mongodb-legacy").warmup_bytes == 256 * 1024


def test_cli_format_choices_are_the_registry() -> None:
    from loglake.cli.main import ingest

    (option,) = [p for p in ingest.params if p.name == "fmt"]
    assert list(option.type.choices) == format_names()


@pytest.mark.parametrize("path", MONGOD_LOGS, ids=lambda p: p.name)
def test_mongod_logs_still_sniff_as_mongodb_beside_a_generic_json_format(path: Path) -> None:
    assert _any_json_sniff(_head(path)) >= 0.95  # the generic format is sure of it too
    with registered(ANY_JSON):
        assert sniff_format(_head(path), str(path)).name == "mongodb"


@pytest.mark.parametrize("name", sorted(POSTGRES_LOGS))
def test_postgres_logs_sniff_as_their_format_beside_a_generic_json_format(name: str) -> None:
    path = TEST_DATA / "postgres" / name
    with registered(ANY_JSON):
        assert sniff_format(_head(path), str(path)).name == POSTGRES_LOGS[name]
    assert format_spec("postgres", _head(path)).name == POSTGRES_LOGS[name]  # the family


def test_plain_json_lines_go_to_the_generic_format(
    tmp_path: Path, run_ingest: IngestFn, settings
) -> None:
    log = tmp_path / "app.jsonl"
    lines = [
        orjson.dumps({"ts": f"2024-05-01T10:00:{n:02d}.000Z", "msg": f"hello {n}", "user": "u"})
        for n in range(40)
    ]
    log.write_bytes(b"\n".join(lines) + b"\n")
    mongod = tmp_path / "mongod.log"
    mongod.write_bytes(b"\n".join(_head(TEST_DATA / "mongod-4.4-auth.log")[:3]))
    # the built-in generic format (application logs' jsonl) takes them, below "sure" (GENERIC_MAX)
    assert sniff_format(_head(log), str(log)).name == "jsonl"
    with registered(ANY_JSON):  # a format sure of them is asked later and wins all the same
        assert sniff_format(_head(log), str(log)).name == "test-any-json"
        report = run_ingest(log, mongod)
    formats = {f["path"]: f["format"] for f in report["files"]}
    assert formats == {str(log): "test-any-json", str(mongod): "mongodb"}
    assert report["rows"]["events"] == 40 + 3


def _sure_of(marker: bytes) -> Callable[[list[bytes]], float]:
    return lambda lines: sum(marker in line for line in lines) / len(lines)


def test_a_specific_format_wins_whatever_the_registration_order() -> None:
    lines = [b'{"acme": 1, "ts": "2024-05-01T10:00:00Z"}'] * 10
    acme = FormatSpec("test-acme", Priority.SPECIFIC, _sure_of(b"acme"), _any_json_parser)
    with registered(ANY_JSON, acme):  # the generic one first: asked later all the same
        assert sniff_format(lines, "x").name == "test-acme"


def test_a_generic_format_takes_what_no_specific_one_is_sure_of() -> None:
    lines = [b'{"acme": 1}'] * 6 + [b'{"other": 1}'] * 4
    acme = FormatSpec("test-acme", Priority.SPECIFIC, _sure_of(b"acme"), _any_json_parser)
    with registered(ANY_JSON, acme):
        assert sniff_format(lines, "x").name == "test-any-json"  # sure (1.0) beats 0.6
    with registered(acme):
        assert sniff_format(lines, "x").name == "test-acme"


def test_equal_scores_go_to_the_more_specific_format() -> None:
    lines = [b'{"acme": 1}'] * 8 + [b"garbage"] * 2
    acme = FormatSpec("test-acme", Priority.SPECIFIC, _sure_of(b"acme"), _any_json_parser)
    with registered(ANY_JSON, acme):
        assert sniff_format(lines, "x").name == "test-acme"  # 0.8 each


def test_registering_a_taken_name_fails_and_unknown_names_list_the_known() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register(FormatSpec("mongodb", Priority.GENERIC, _any_json_sniff, _any_json_parser))
    with pytest.raises(InputError, match="mongodb, mongodb-legacy"):
        format_spec("nope")
    with registered(ANY_JSON):
        assert "test-any-json" in format_names()
    assert "test-any-json" not in format_names()


def test_a_spec_is_checked_when_made() -> None:
    with pytest.raises(ValueError, match="needs record_start"):
        FormatSpec("x", 1, _any_json_sniff, _any_json_parser, framing=Framing.CONTINUATION)
    with pytest.raises(ValueError, match="LINE framing only"):
        FormatSpec(
            "x",
            1,
            _any_json_sniff,
            _any_json_parser,
            framing=Framing.JSON_ARRAY,
            block_parser=format_spec("mongodb").block_parser,
        )


def test_which_files_may_be_cut_into_ranges() -> None:
    iso = [b"2019-06-01T10:00:00.123+0000 I COMMAND  [conn1] x"]
    ctime = [b"Mon Jun  1 10:00:00.123 [conn1] x"]
    legacy = format_spec("mongodb-legacy")
    assert legacy.can_split(iso)
    assert not legacy.can_split(ctime)  # dates without a year are read in order
    assert format_spec("mongodb").can_split(ctime)
    starts = bytes.isdigit
    spec = FormatSpec("x", 1, _any_json_sniff, _any_json_parser, framing=Framing.JSON_ARRAY)
    assert not spec.can_split(iso)  # an array element cannot be found from the middle
    spec = FormatSpec("x", 1, _any_json_sniff, _any_json_parser, framing=Framing.CSV)
    assert not spec.can_split(iso)
    spec = FormatSpec("x", 1, _any_json_sniff, _any_json_parser, Framing.CSV, starts)
    assert spec.can_split(iso)


def _fan_out_parser(_ctx: FileContext) -> LineParser:
    """`<iso ts> login <user> from <ip>:<port>[,<ip>:<port>…]`: one record, many rows."""
    iso = IsoParser()

    def parse(line: bytes) -> Parsed | BadLine:
        stamp, _, rest = line.decode().partition(" ")
        ts = iso(stamp)
        if ts is None:
            return BadLine(BadReason.BAD_TIMESTAMP)
        _login, user, _from, clients = rest.split(" ")
        rows: list[tuple[Stream, Row]] = [(Stream.EVENTS, {"ts": ts, "user": user})]
        rows.append((Stream.AUTHENTICATIONS, {"ts": ts, "user": user, "result": "success"}))
        for n, client in enumerate(clients.split(",")):
            ip, _, port = client.partition(":")
            row = {"ts": ts, "event": "accepted", "connection_id": n, "client_ip": ip}
            rows.append((Stream.CONNECTIONS, {**row, "client_port": int(port)}))
        return Parsed(rows)

    return parse


def test_a_record_yields_rows_for_several_streams(
    tmp_path: Path, run_ingest: IngestFn, settings
) -> None:
    spec = FormatSpec("test-fan-out", Priority.SPECIFIC, lambda _lines: 0.0, _fan_out_parser)
    log = tmp_path / "logins.log"
    lines = [
        b"2024-05-01T10:00:00.000Z login ann from 10.0.0.1:1,10.0.0.2:2,10.0.0.3:3",
        b"2024-05-01T10:00:01.000Z login bob from 10.0.0.9:9",
    ]
    log.write_bytes(b"\n".join(lines) + b"\n")
    with registered(spec):
        report = run_ingest(log, fmt="test-fan-out")
    assert report["rows"] == {
        "slow_queries": 0,
        "authentications": 2,
        "connections": 4,
        "events": 2,
        "interactions": 0,  # derived after the commit, never by a format
    }
    sql = "SELECT client_ip, client_port, file_offset, line_length FROM t ORDER BY client_ip"
    assert query(settings.root, "connections", sql) == [
        ("10.0.0.1", 1, 0, len(lines[0])),
        ("10.0.0.2", 2, 0, len(lines[0])),
        ("10.0.0.3", 3, 0, len(lines[0])),
        ("10.0.0.9", 9, len(lines[0]) + 1, len(lines[1])),
    ]
    sql = "SELECT user, file_offset FROM t ORDER BY file_offset"
    assert query(settings.root, "authentications", sql) == [("ann", 0), ("bob", len(lines[0]) + 1)]


def test_full_scan_plans_come_from_the_formats() -> None:
    from loglake.formats.registry import is_full_scan_plan

    assert is_full_scan_plan("COLLSCAN")
    assert is_full_scan_plan("COLLSCAN { }")
    assert not is_full_scan_plan("IXSCAN { a: 1 }")
    assert not is_full_scan_plan(None)
    assert is_full_scan_plan("Seq Scan")  # PostgreSQL's formats register it
    assert not is_full_scan_plan("Index Scan")
    assert not is_full_scan_plan("Seq")
