"""The log generator: deterministic, on size, and its GenStats equal an independent count."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loglake.errors import ConfigError
from loglake.generate import GenSpec, GenStats, generate, parse_size
from loglake.generate.__main__ import main

SLOW, ACCEPTED, ENDED, METADATA, CHECKPOINT = 51803, 22943, 22944, 51800, 22430
AUTH_OK, AUTH_FAIL = (20250, 5286306), (20249, 5286307)
_CONTROL = bytes(range(9)) + bytes(range(14, 32))
_HEADER = re.compile(
    rb'^\{"t":\{"\$date":"[^"]+"\},("s":"[^"]+", *)("c":"[^"]+", *)("id":\d+, *)"ctx":'
)


@dataclass
class Count:
    """What stdlib `json` finds in a file, by the rule of shared/data/README.md."""

    lines: int = 0
    events: int = 0
    blank: int = 0
    ids: Counter[int] = field(default_factory=Counter)
    bad: Counter[str] = field(default_factory=Counter)
    duration: int = 0
    per_ns: Counter[str] = field(default_factory=Counter)
    per_hash: Counter[str] = field(default_factory=Counter)
    instants: list[datetime] = field(default_factory=list)
    lines_seen: list[bytes] = field(default_factory=list)


def _reason(line: bytes) -> str:
    """Why a non-blank line is bad, by the precedence of formats.base.BadReason."""
    if line.translate(None, _CONTROL) != line:
        return "binary"
    try:
        text = line.decode()
    except UnicodeDecodeError:
        return "not_utf8"
    try:
        json.loads(text)
    except ValueError:
        return "invalid_json" if text.lstrip().startswith("{") else "other_format"
    return "not_a_record"


def count(data: bytes) -> Count:
    c = Count()
    for line in data.split(b"\n")[:-1]:
        c.lines += 1
        if not line.strip():
            c.blank += 1
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            rec = None
        if not isinstance(rec, dict) or "t" not in rec:
            c.bad[_reason(line)] += 1
            continue
        c.events += 1
        c.lines_seen.append(line)
        c.instants.append(datetime.fromisoformat(rec["t"]["$date"]))
        c.ids[rec["id"]] += 1
        if rec["id"] == SLOW:
            attr = rec["attr"]
            c.duration += attr["durationMillis"]
            c.per_ns[attr["ns"]] += 1
            if "queryHash" in attr:
                c.per_hash[attr["queryHash"]] += 1
    assert data.endswith(b"\n")
    return c


def run(**kw: object) -> tuple[bytes, GenStats]:
    buf = io.BytesIO()
    stats = generate(GenSpec(**kw), buf)  # type: ignore[arg-type]
    return buf.getvalue(), stats


@pytest.fixture(scope="module")
def faulty() -> tuple[bytes, GenStats]:
    """A 20 MB 7.0 log with every kind of fault and four rotating time zones."""
    return run(
        seed=7,
        target_bytes=20_000_000,
        faults=True,
        tz_offsets=("+00:00", "+05:30", "-04:00", "Z"),
        huge_lines=1,
        huge_line_bytes=1_500_000,
    )


def assert_stats_match(data: bytes, st: GenStats) -> Count:
    c = count(data)
    assert st.bytes == len(data)
    assert st.lines == c.lines
    assert st.events == c.events
    assert st.slow == c.ids[SLOW]
    assert st.auth_ok == sum(c.ids[i] for i in AUTH_OK)
    assert st.auth_fail == sum(c.ids[i] for i in AUTH_FAIL)
    assert st.conn_accepted == c.ids[ACCEPTED]
    assert st.conn_ended == c.ids[ENDED]
    assert st.metadata == c.ids[METADATA]
    assert st.blank_lines == c.blank
    assert st.bad_lines == dict(c.bad)
    assert st.total_duration_ms == c.duration
    assert st.per_namespace == dict(c.per_ns)
    assert st.per_query_hash == dict(c.per_hash)
    return c


def test_same_seed_same_bytes() -> None:
    spec = {"target_bytes": 1_500_000, "faults": True, "tz_offsets": ("+00:00", "+05:30")}
    a, sa = run(seed=3, **spec)
    b, sb = run(seed=3, **spec)
    assert a == b
    assert sa == sb
    assert run(seed=4, **spec)[0] != a


@pytest.mark.parametrize("target", [300_000, 3_000_000, 30_000_000])
@pytest.mark.parametrize("faults", [False, True])
def test_size_hits_the_target(target: int, faults: bool) -> None:
    data, st = run(target_bytes=target, faults=faults)
    assert abs(len(data) - target) / target < 0.03
    assert st.bytes == len(data)


def test_stats_equal_an_independent_count(faulty: tuple[bytes, GenStats]) -> None:
    data, st = faulty
    c = assert_stats_match(data, st)
    assert st.conn_accepted == st.conn_ended  # every connection ends
    busy = st.events - c.ids[CHECKPOINT]  # a small file over days is mostly checkpoints
    assert 0.3 <= st.slow / busy <= 0.5  # 35-45% on big files, where sessions churn less
    assert len(st.per_query_hash) >= 60
    assert len({ns.split(".")[0] for ns in st.per_namespace}) == 8
    assert max(len(line) for line in c.lines_seen) >= 1_500_000  # the huge insert is an event


@pytest.mark.parametrize("version", ["4.4", "5.0", "6.0", "7.0", "8.0"])
def test_every_version_counts_right(version: str) -> None:
    data, st = run(seed=11, target_bytes=3_000_000, faults=True, mongo_version=version)
    assert_stats_match(data, st)
    assert st.auth_ok and st.auth_fail and st.slow and st.metadata


def test_timestamps_never_go_back_in_utc(faulty: tuple[bytes, GenStats]) -> None:
    c = count(faulty[0])
    assert all(a <= b for a, b in zip(c.instants, c.instants[1:], strict=False))
    assert len({t.utcoffset() for t in c.instants}) == 3  # +00:00 and Z are the same offset
    assert len({t.astimezone(UTC).date() for t in c.instants}) >= 4  # several date partitions


def test_header_padding_is_mongods(faulty: tuple[bytes, GenStats]) -> None:
    """mongod pads "s", "c" and "id" with their comma to 10, 16 and 14 bytes."""
    for line in count(faulty[0]).lines_seen:
        m = _HEADER.match(line)
        if m is None:
            assert b'\r"ctx"' in line  # a stray CR, valid JSON whitespace
            continue
        for group, width in ((1, 10), (2, 16), (3, 14)):
            part = m[group]
            assert len(part) == max(width, len(part.rstrip(b" ")))


def test_faults_are_all_there(faulty: tuple[bytes, GenStats]) -> None:
    data, st = faulty
    assert set(st.bad_lines) == {
        "invalid_json",
        "binary",
        "not_utf8",
        "other_format",
        "not_a_record",
    }
    assert st.blank_lines > 0
    assert b'}}\r\n{"t"' in data  # CRLF line endings on some lines
    assert b'\r"ctx"' in data  # a CR between tokens
    assert b"\x00" * 256 in data


def test_clean_file_has_no_faults() -> None:
    data, st = run(target_bytes=2_000_000)
    assert not st.bad_lines and not st.blank_lines
    assert b"\r" not in data and b"\x00" not in data


def test_truncated_attributes_follow_mongod() -> None:
    data, st = run(target_bytes=2_000_000, truncation_rate=0.05)
    assert_stats_match(data, st)
    cut = [json.loads(line) for line in data.splitlines() if b'"truncated":{"command"' in line]
    assert cut
    for rec in cut:
        assert rec["id"] == SLOW
        assert rec["size"]["command"] > 10_000
        assert "$db" not in rec["attr"]["command"]  # the rest of the command is gone
        assert len(rec["attr"]["command"]["filter"]["sku"]["$in"]) == 376


@pytest.mark.parametrize(
    ("version", "ok_id", "ok_key", "uuid_form"),
    [
        ("4.4", 20250, "client", None),
        ("5.0", 20250, "remote", str),
        ("6.0", 20250, "remote", str),
        ("7.0", 5286306, "client", dict),
        ("8.0", 5286306, "client", dict),
    ],
)
def test_version_forms(version: str, ok_id: int, ok_key: str, uuid_form: type | None) -> None:
    data, _ = run(target_bytes=500_000, mongo_version=version)
    recs = [json.loads(line) for line in data.splitlines()]
    ok = next(r for r in recs if r["id"] == ok_id)
    assert ok_key in ok["attr"]
    accepted = next(r for r in recs if r["id"] == ACCEPTED)
    uuid = accepted["attr"].get("uuid")
    assert (uuid is None) if uuid_form is None else isinstance(uuid, uuid_form)
    slow = [r["attr"] for r in recs if r["id"] == SLOW]
    assert any("queryShapeHash" in a for a in slow) == (version == "8.0")
    assert any("workingMillis" in a for a in slow) == (version == "8.0")


def test_cli_writes_the_log_and_its_stats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, stats = tmp_path / "g.log", tmp_path / "g.json"
    assert main(["--size", "200KB", "--seed", "5", "-o", str(out), "--stats", str(stats)]) == 0
    st = json.loads(stats.read_text())
    assert st["bytes"] == out.stat().st_size
    assert "MB/s" in capsys.readouterr().err
    assert main(["--size", "1KB", "--tz", "+5", "-o", str(out)]) == 1


@pytest.mark.parametrize(
    ("text", "n"), [("200MB", 200_000_000), ("1GB", 10**9), ("3G", 3 * 10**9), ("5000", 5000)]
)
def test_parse_size(text: str, n: int) -> None:
    assert parse_size(text) == n


def test_bad_specs_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="version"):
        run(mongo_version="3.6")
    with pytest.raises(ConfigError, match="offset"):
        run(tz_offsets=("UTC",))
    with pytest.raises(ConfigError, match="size"):
        parse_size("lots")
