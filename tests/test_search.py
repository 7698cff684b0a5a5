"""Search: every total and every hit checked against lines read and matched independently."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import TEST_DATA, IngestFn, lines_by_offset
from loglake.analytics.engine import Lake
from loglake.analytics.params import parse_params
from loglake.analytics.search import LINE_CHARS, case_sensitive, search
from loglake.config import Settings
from loglake.errors import InputError
from loglake.generate import GenSpec, generate, parse_size
from loglake.ingest.pipeline import ingest

Key = tuple[str, int]  # (file_id, file_offset)
UTC = dt.UTC

# lines written around real ones: bad lines with known words, CRLF, blanks, long lines
GOOD = [line for line in (TEST_DATA / "mongod-6.0-setup.log").read_bytes().split(b"\n") if line]
EDGE_LINES = [
    *GOOD[:30],  # enough for the format to be recognised
    GOOD[30] + b"\r",  # CRLF: the CR is not part of the line
    b"mongod: src/mongo/db/repl.cpp:1021: Invariant failure SEARCHME",
    b"",
    b"   \t",
    b"\r",
    b"LONGLINE " + b"z" * 5000,
    b"a" * 200_000 + b"!",  # catastrophic backtracking for a backtracking engine
    b"x" * 200_000,
    b"caf\xe9 SEARCHME latin-1",
    GOOD[31] + b"\r",
    b"Killed",
    GOOD[32],
]


@dataclasses.dataclass
class Corpus:
    """An ingested dataset and every line of its sources, read without loglake."""

    lake: Lake
    settings: Settings
    ids: dict[str, str]  # file name -> file_id
    lines: dict[Key, bytes]

    def ts(self, key: Key) -> dt.datetime | None:
        """The time of a line when it is a MongoDB JSON event, else None."""
        try:
            doc = json.loads(self.lines[key])
            return dt.datetime.fromisoformat(doc["t"]["$date"]).astimezone(UTC)
        except (ValueError, KeyError, TypeError):
            return None

    def doc(self, key: Key) -> dict[str, Any]:
        """The JSON document of an event line."""
        return json.loads(self.lines[key])

    def expect(self, keep: Callable[[bytes], bool], file_id: str | None = None) -> list[Key]:
        """Keys of the non-blank lines `keep` accepts, in result order (no time last)."""
        keys = [
            k
            for k, line in self.lines.items()
            if line.strip() and keep(line) and file_id in (None, k[0])
        ]
        return sorted(keys, key=self.order)

    def order(self, key: Key) -> tuple[Any, ...]:
        """Result order: time, then file_id and offset; lines without a time last."""
        ts = self.ts(key)
        return (ts is None, ts or dt.datetime.min.replace(tzinfo=UTC), key)


def make_corpus(root: Path, logs: list[Path], **settings: Any) -> Corpus:
    """Ingest the logs into a fresh dataset under root."""
    conf = Settings(root=root / "lake", workers=2, range_bytes=1024 * 1024, **settings)
    ingest([str(p) for p in logs], conf)
    lake = Lake(conf.root, conf)
    by_path = {Path(e["path"]).name: f for f, e in lake.manifest["files"].items()}
    lines = {(by_path[p.name], off): line for p in logs for off, line in lines_by_offset(p).items()}
    return Corpus(lake, conf, by_path, lines)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """A seeded generated log with faults, two real logs and a file of edge cases."""
    root = tmp_path_factory.mktemp("search")
    generated = root / "mongod-generated-faults.log"
    spec = GenSpec(
        seed=3, target_bytes=parse_size("2MB"), faults=True, tz_offsets=("+00:00", "+05:30")
    )
    with generated.open("wb") as f:
        generate(spec, f)
    edge = root / "mongod-search-edges.log"
    edge.write_bytes(b"\n".join(EDGE_LINES) + b"\n")
    logs = [generated, TEST_DATA / "mongod-6.0-setup.log", TEST_DATA / "mongod-4.4-auth.log", edge]
    return make_corpus(root, logs)


def ask(lake: Lake, **args: Any) -> dict[str, Any]:
    """One search with raw parameters, validated like the API does."""
    return search(lake, parse_params("search", {k: str(v) for k, v in args.items()}))


def every_hit(lake: Lake, **args: Any) -> tuple[list[Key], dict[str, Any]]:
    """All hits of a search, page by page, and the first page's result."""
    first = ask(lake, limit=1000, **args)
    keys: list[Key] = []
    while len(keys) < first["total"]:
        page = ask(lake, limit=1000, offset=len(keys), **args)
        assert page["total"] == first["total"]
        assert page["rows"], "a page came back empty before the total was reached"
        keys += [(r["file_id"], r["file_offset"]) for r in page["rows"]]
    return keys, first


def contains(word: bytes, fold: bool = False) -> Callable[[bytes], bool]:
    """An independent keyword test (ASCII case folding is enough for these logs)."""
    return lambda line: (word.lower() in line.lower()) if fold else (word in line)


@pytest.mark.parametrize(
    ("q", "case", "fold"),
    [
        ("Slow query", "smart", False),  # upper case: sensitive
        ("slow query", "smart", True),
        ("slow query", "sensitive", False),
        ("SLOW QUERY", "insensitive", True),
        ("COLLSCAN", "smart", False),
        ("SEARCHME", "smart", False),
        ("conn", "smart", True),
    ],
)
def test_keyword_matches_an_independent_count(corpus: Corpus, q: str, case: str, fold: bool):
    expected = corpus.expect(contains(q.encode(), fold))
    keys, first = every_hit(corpus.lake, q=q, case=case)
    assert first["total"] == len(expected) and not first["capped"]
    assert keys == expected  # same lines, in time order, bad lines last
    assert first["query"] == {"q": q, "regex": False, "case": case, "case_sensitive": not fold}


def test_smart_case_looks_at_literal_letters_only():
    assert case_sensitive("Error", regex=False, case="smart")
    assert not case_sensitive("error", regex=False, case="smart")
    assert not case_sensitive(r"\S+ \W \pL \p{Greek} [[:upper:]]x", regex=True, case="smart")
    assert case_sensitive(r"\d+ Ms", regex=True, case="smart")
    assert not case_sensitive("Error", regex=False, case="insensitive")


@pytest.mark.parametrize(
    "pattern",
    [
        rb'"durationMillis":\d{3,}',
        rb"^\{\"t\"",
        rb"\}$",  # $ is the end of a line, CRLF or not
        rb"\r",  # a CR inside a line, never the CR of a CRLF ending
        rb"(?i)auth\w+ (failed|succeeded)",
        rb"\s$",
        rb"^",  # every line that is not blank
        rb"\b[A-Z]{4,}\s+\S",
    ],
)
def test_regex_matches_an_independent_count(corpus: Corpus, pattern: bytes):
    expected = corpus.expect(lambda line: re.search(pattern, line) is not None)
    keys, first = every_hit(corpus.lake, q=pattern.decode(), regex=1, case="sensitive")
    assert first["total"] == len(expected)
    assert keys == expected


def test_bad_and_blank_lines(corpus: Corpus):
    edge = corpus.ids["mongod-search-edges.log"]
    keys, first = every_hit(corpus.lake, q="SEARCHME")
    assert len(keys) == 2 and all(k[0] == edge for k in keys)
    row = first["rows"][0]
    assert row["ts"] is None and row["severity"] is None  # bad lines: no event
    assert "Invariant failure SEARCHME" in row["line"]
    assert first["rows"][1]["line"] == "caf\ufffd SEARCHME latin-1"
    # patterns match UTF-8 text: an invalid byte is no character
    assert ask(corpus.lake, q="caf. SEARCHME", regex=1)["total"] == 0
    # a filter on events leaves bad lines out, even a filter every event passes
    assert ask(corpus.lake, q="SEARCHME", **{"from": "1970-01-02"})["total"] == 0
    assert ask(corpus.lake, q="SEARCHME", level="I")["total"] == 0
    # blank lines never match, not even a pattern matching the empty string
    nonblank = sum(1 for line in corpus.lines.values() if line.strip())
    assert ask(corpus.lake, q="x*", regex=1)["total"] == nonblank
    assert ask(corpus.lake, q=" ")["total"] == len(corpus.expect(contains(b" ")))


def test_hostile_regex_is_linear(corpus: Corpus):
    # each pattern with a plain test of the same lines (Python's re would backtrack for ages)
    for pattern, same in (
        (r"(a+)+$", lambda line: line.endswith(b"a")),
        (r"(x+x+)+y", lambda line: b"xxy" in line),
        (r"(a|aa)*!", lambda line: b"!" in line),
    ):
        started = time.perf_counter()
        result = ask(corpus.lake, q=pattern, regex=1, case="sensitive")
        assert time.perf_counter() - started < 5
        assert result["total"] == len(corpus.expect(same))


@pytest.mark.parametrize("pattern", ["(", "a{2,1}", r"\pN{1000}\pL{1000}", "[z-a]", "a**"])
def test_invalid_regex_is_an_input_error(corpus: Corpus, pattern: str):
    with pytest.raises(InputError, match="regular expression"):
        ask(corpus.lake, q=pattern, regex=1)


def test_long_lines_are_cut(corpus: Corpus):
    row = ask(corpus.lake, q="LONGLINE")["rows"][0]
    assert row["line_truncated"] and row["line"] == "LONGLINE " + "z" * (LINE_CHARS - 9)
    assert row["line_length"] == 5009
    short = ask(corpus.lake, q="COLLSCAN")["rows"][0]
    assert not short["line_truncated"]
    assert short["line"].encode() == corpus.lines[(short["file_id"], short["file_offset"])]


def in_range(start: dt.datetime, end: dt.datetime) -> Callable[[Corpus, Key], bool]:
    """An event with start <= ts < end."""
    return lambda c, k: (ts := c.ts(k)) is not None and start <= ts < end


def event_field(name: str, value: str) -> Callable[[Corpus, Key], bool]:
    """An event whose JSON field `name` (trimmed) equals value."""
    return lambda c, k: c.ts(k) is not None and str(c.doc(k).get(name, "")).strip() == value


@pytest.mark.parametrize(
    ("q", "filters", "test"),
    [
        (
            "Slow query",
            {"from": "2024-03-18T06:00:00Z", "to": "2024-03-18T19:30:00+05:30"},
            in_range(
                dt.datetime(2024, 3, 18, 6, tzinfo=UTC), dt.datetime(2024, 3, 18, 14, tzinfo=UTC)
            ),
        ),
        ("conn", {"component": "NETWORK"}, event_field("c", "NETWORK")),
        ("", {"level": "W"}, event_field("s", "W")),
        ("", {"component": "ACCESS", "from": "2024-03-18T12:00"}, None),
    ],
)
def test_filters_select_events(corpus: Corpus, q: str, filters: dict[str, str], test: Any):
    if test is None:  # both: the component and the time
        start = dt.datetime(2024, 3, 18, 12, tzinfo=UTC)
        far = dt.datetime(9999, 1, 1, tzinfo=UTC)

        def test(c: Corpus, k: Key) -> bool:
            return in_range(start, far)(c, k) and event_field("c", "ACCESS")(c, k)

    keep = contains(q.encode(), fold=True) if q else (lambda line: True)
    expected = [k for k in corpus.expect(keep) if test(corpus, k)]
    assert expected, "the filter should select something"
    keys, first = every_hit(corpus.lake, q=q, **filters)
    assert first["total"] == len(expected)
    assert keys == expected


def test_browse_without_q_pages_through_events(corpus: Corpus):
    events = sorted((k for k in corpus.lines if corpus.ts(k) is not None), key=corpus.order)
    result = ask(corpus.lake, limit=7, offset=3)
    assert result["total"] == len(events) and not result["capped"]
    assert [(r["file_id"], r["file_offset"]) for r in result["rows"]] == events[3:10]
    row = result["rows"][0]
    assert row["line"].encode() == corpus.lines[events[3]]
    assert row["ts"] == corpus.ts(events[3]).isoformat().replace("+00:00", "Z")


def test_pages_do_not_overlap(corpus: Corpus):
    expected = corpus.expect(contains(b"conn"))
    pages = [
        ask(corpus.lake, q="conn", case="sensitive", limit=37, offset=o) for o in range(0, 400, 37)
    ]
    keys = [(r["file_id"], r["file_offset"]) for p in pages for r in p["rows"]]
    assert keys == expected[: len(keys)] and len(set(keys)) == len(keys)
    assert [p["offset"] for p in pages][:2] == [0, 37] and pages[0]["limit"] == 37
    beyond = ask(corpus.lake, q="conn", case="sensitive", offset=len(expected))
    assert beyond["rows"] == [] and beyond["total"] == len(expected)


def test_file_id_restricts_to_one_file(corpus: Corpus):
    setup = corpus.ids["mongod-6.0-setup.log"]
    keys, _ = every_hit(corpus.lake, q="conn", file_id=setup)
    assert keys == corpus.expect(contains(b"conn", fold=True), file_id=setup)
    edge = corpus.ids["mongod-search-edges.log"]
    assert ask(corpus.lake, q="Killed", file_id=edge)["total"] == 1  # bad lines still count
    with pytest.raises(InputError, match="file_id"):
        ask(corpus.lake, q="conn", file_id="0123456789abcdef")


def test_capped_at_search_max_matches(corpus: Corpus):
    settings = dataclasses.replace(corpus.settings, search_max_matches=10)
    lake = Lake(settings.root, settings)
    result = ask(lake, q="conn", limit=1000)
    assert result["capped"] and result["total"] == 10 and len(result["rows"]) == 10
    # the scan stops after the first ten lines in (file_id, file_offset) order
    first_ten = sorted(corpus.expect(contains(b"conn", fold=True)))[:10]
    assert sorted((r["file_id"], r["file_offset"]) for r in result["rows"]) == first_ten
    assert not ask(corpus.lake, q="conn")["capped"]
    exact = dataclasses.replace(corpus.settings, search_max_matches=2)
    assert not ask(Lake(exact.root, exact), q="SEARCHME")["capped"]  # exactly the cap


def test_gzip_source(tmp_path: Path, run_ingest: IngestFn, settings: Settings):
    plain = tmp_path / "mongod-generated.log"
    with plain.open("wb") as f:
        generate(GenSpec(seed=5, target_bytes=parse_size("1MB"), faults=True), f)
    packed = tmp_path / "mongod-generated.log.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    run_ingest(packed)
    lake = Lake(settings.root, settings)
    (file_id,) = lake.manifest["files"]
    lines = {(file_id, off): line for off, line in lines_by_offset(packed).items()}
    corpus = Corpus(lake, settings, {packed.name: file_id}, lines)
    for args, keep in (
        ({"q": "Slow query"}, contains(b"Slow query")),
        ({"q": "ixscan"}, contains(b"ixscan", fold=True)),
        ({"q": r"keysExamined\":0,", "regex": 1}, contains(b'keysExamined":0,')),
    ):
        keys, first = every_hit(lake, **args)
        assert keys == corpus.expect(keep)
        row = first["rows"][-1]
        assert row["line"].encode() == lines[(row["file_id"], row["file_offset"])]
    start, end = (
        dt.datetime(2024, 3, 18, 0, 20, tzinfo=UTC),
        dt.datetime(2024, 3, 18, 0, 40, tzinfo=UTC),
    )
    keys, _ = every_hit(lake, q="Slow query", **{"from": start.isoformat(), "to": end.isoformat()})
    expected = [
        k for k in corpus.expect(contains(b"Slow query")) if in_range(start, end)(corpus, k)
    ]
    assert expected and keys == expected


def test_small_pieces_and_blocks_find_the_same_lines(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
):
    from collections import OrderedDict

    from loglake.analytics import scan, search

    monkeypatch.setattr(search, "_CACHE", OrderedDict())
    monkeypatch.setattr(scan, "PIECE_BYTES", 4096)  # many pieces, scanned on threads
    for args, keep in (
        ({"q": "conn"}, contains(b"conn", fold=True)),
        ({"q": "Slow query"}, contains(b"Slow query")),
        ({"q": r"\}$", "regex": 1}, lambda line: line.endswith(b"}")),
    ):
        keys, _ = every_hit(corpus.lake, **args)
        assert keys == corpus.expect(keep)


def test_a_deleted_source_is_reported_not_fatal(
    tmp_path: Path, run_ingest: IngestFn, settings: Settings
):
    kept, gone = tmp_path / "mongod-kept.log", tmp_path / "mongod-gone.log"
    kept.write_bytes((TEST_DATA / "mongod-6.0-setup.log").read_bytes())
    gone.write_bytes((TEST_DATA / "mongod-4.4-auth.log").read_bytes())
    run_ingest(kept, gone)
    lake = Lake(settings.root, settings)
    ids = {Path(e["path"]).name: f for f, e in lake.manifest["files"].items()}
    gone.unlink()
    result = ask(lake, q="conn", case="sensitive")
    expected = [off for off, line in lines_by_offset(kept).items() if b"conn" in line]
    assert result["missing_files"] == [ids[gone.name]]
    assert result["total"] == len(expected)
    assert {r["file_id"] for r in result["rows"]} == {ids[kept.name]}
    browse = ask(lake, file_id=ids[gone.name], limit=3)
    assert browse["total"] > 0 and [r["line"] for r in browse["rows"]] == [None] * 3
