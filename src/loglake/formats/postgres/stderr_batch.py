"""PostgreSQL stderr records a batch at a time: the common entry in Arrow, the rest per record.

Most lines of a log written with `log_min_duration_statement` are one-line entries
`<prefix>LOG:  duration: N ms  statement: SQL`. For those, the file's current prefix (the
one that read the line before, see stderr.py) is matched over the whole batch at once with
Arrow's RE2 kernels, timestamps are read once per distinct text and statements fingerprinted
once per distinct text, and the `events` and `slow_queries` rows are built as Arrow columns.
Every other record — multi-line entries, other messages, lines of an envelope, a prefix
that does not match, anything RE2 reads differently — goes through the per-record parser
(`StderrParser`), in file order, so both paths give the same rows (tests/test_pg_batch.py).

Such an entry changes none of the parser's state, so the order between the two paths does
not matter, with two exceptions handled here: a batch holding `log_statement` lines (whose
statement waits for its duration by pid) and a file whose lines change prefix (the reader
reorders its prefixes) are read per record from then on.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loglake.formats.base import BadLine, BlockResult, FileContext, Parsed
from loglake.formats.levels import postgres_level
from loglake.formats.postgres import prefix as pfx
from loglake.formats.postgres.entries import MESSAGE_LIMIT
from loglake.formats.postgres.fingerprint import statement_of
from loglake.formats.postgres.stderr import StderrParser
from loglake.formats.postgres.times import pg_time
from loglake.schema import Stream, arrow_schema

_US_PER_DAY = 86_400_000_000
# the fields a prefix may have for its lines to take the Arrow path (no %r: its host(port)
# split, no %n: epoch seconds, are left to the per-record parser)
_FAST_GROUPS = frozenset(
    ("ts", "pid", "line_num", "user", "db", "app", "client", "session_id", "sqlstate",
     "query_id", "backend", "command_tag", "severity")
)  # fmt: skip
_SEVERITY_TAIL = rf"\s*(?P<severity>{pfx._WORDS}):  ?"
# up to the statement: the message and the statement are the line's rest past `lead` and
# past `dur` (a capture running to the end of the line would cost RE2 a third more)
_STATEMENT_TAIL = (
    r"\s*(?P<severity>LOG):  ?)(?P<dur>duration: (?P<ms>\d+(?:\.\d+)?) ms  statement: )"
)
# a log_statement / log_duration file: statements wait for their durations (stateful)
_PAIRING = re.compile(r"LOG:  (?:statement|execute|bind|parse|fastpath function call)[ :]")
# what a JSON string may not hold as it is (orjson escapes these)
_NEEDS_ESCAPE = r'[\x00-\x1f"\\]'
_UNSET = ["", "[unknown]"]
_ATTR_KEYS = ("db", "app", "client", "pid", "session_id", "query_id")  # entries.py's order


@cache
def _pattern(matcher: re.Pattern[str]) -> str | None:
    """The RE2 pattern reading a duration+statement line written with this prefix."""
    text = matcher.pattern
    if not text.endswith(_SEVERITY_TAIL) or not set(matcher.groupindex) <= _FAST_GROUPS:
        return None
    if not text.startswith(r"(?P<ts>\d"):  # a line starting with a digit has no envelope
        return None  # but Heroku's (excluded below); other prefixes: per record
    return "^(?P<lead>" + text[: -len(_SEVERITY_TAIL)] + _STATEMENT_TAIL


class StderrBatchParser:
    """Parses batches of one file's framed records (see the module docstring)."""

    def __init__(self, ctx: FileContext) -> None:
        self.one = StderrParser(ctx)
        self.per_record = False  # set for good once the file's state needs record order

    def parse_one(self, record: bytes) -> Parsed | BadLine:
        """One record through the per-record parser (warm-up reads before a range)."""
        return self.one(record)

    def parse(self, records: list[tuple[int, bytes, int]]) -> BlockResult:
        """The rows of a batch of (offset, record, length), the records in file order."""
        result = BlockResult()
        fast = None if self.per_record else self._fast(records)
        taken = fast.positions if fast is not None else ()
        first = self.one.reader.prefixes[0]
        skip = set(taken)
        for n, (offset, record, size) in enumerate(records):
            if n not in skip:
                self._one(offset, record, size, result)
        if fast is not None and self.one.reader.prefixes[0] is not first:
            self.per_record = True  # the file changes prefix: its lines are read in order
            for n in taken:  # (the entries change no state: reading them now is in order)
                self._one(*records[n], result)
            result.rows.sort(key=lambda named: int(named[1]["file_offset"]))
            return result
        if fast is not None:
            result.tables.update(fast.tables)
        return result

    def _one(self, offset: int, record: bytes, size: int, result: BlockResult) -> None:
        parsed = self.one(record)
        if isinstance(parsed, BadLine):
            result.bad.append((offset, size, parsed.reason.value, record))
            return
        for name, row in parsed.rows:
            row["file_offset"] = offset
            row["line_length"] = size
            result.rows.append((name, row))

    def _fast(self, records: list[tuple[int, bytes, int]]) -> _Fast | None:
        pattern = _pattern(self.one.reader.prefixes[0][0])
        if pattern is None or self.one.rows.waiting():
            return None
        raw = [r for _o, r, _s in records]
        try:
            text = pa.array(raw, pa.binary()).cast(pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # a record that is not UTF-8: per record
            text = pa.array([_utf8_or_empty(r) for r in raw], pa.string())
        if pc.any(pc.match_substring_regex(text, _PAIRING.pattern)).as_py():
            self.per_record = True
            return None
        # one line (the pattern starts with a digit: no envelope but Heroku's, see
        # stderr._envelope_of), no NUL (a binary line)
        got = pc.extract_regex(text, pattern)
        matched = pc.is_valid(got)
        data = text.buffers()[2]
        whole = b"" if data is None else data.to_pybytes()  # most batches hold none of them
        for needle in ("\n", "\x00", "[postgres."):
            if needle.encode() in whole:
                matched = pc.and_not(matched, pc.match_substring(text, needle))
        at = pc.indices_nonzero(matched)
        if len(at) == 0:
            return None
        try:
            return _Fast.build(got.filter(matched), at, records, text.take(at))
        except (pa.ArrowInvalid, OverflowError):  # e.g. a pid beyond 64 bits: per record
            return None


def _utf8_or_empty(record: bytes) -> str:
    """A record's text, or "" (which no pattern reads) when it is not UTF-8."""
    try:
        return record.decode("utf-8")
    except UnicodeDecodeError:
        return ""


class _Fast:
    """The Arrow path's rows of a batch: their record positions and their tables."""

    def __init__(self, positions: list[int], tables: dict[Stream, pa.Table]) -> None:
        self.positions = positions
        self.tables = tables

    @classmethod
    def build(
        cls, got: pa.StructArray, where: pa.Array, records: list[Any], lines: pa.Array
    ) -> _Fast | None:
        fields = {name: got.field(name) for name in (f.name for f in got.type)}
        lead = pc.binary_length(fields["lead"])
        fields["message"] = _suffixes(lines, lead)
        fields["sql"] = _suffixes(lines, pc.add(lead, pc.binary_length(fields["dur"])))
        ts = _timestamps(fields["ts"])
        ok = pc.and_(pc.is_valid(ts), pc.greater(pc.binary_length(fields["sql"]), 0))
        for name in ("db", "app", "client", "session_id", "query_id"):  # JSON-safe as they are
            if name in fields:
                ok = pc.and_kleene(
                    ok, pc.invert(pc.match_substring_regex(fields[name], _NEEDS_ESCAPE))
                )
        if "pid" in fields:  # a pid beyond 64 bits: per record
            ok = pc.and_kleene(ok, pc.less_equal(pc.utf8_length(fields["pid"]), 18))
        ok = pc.fill_null(ok, True)
        if not pc.all(ok).as_py():
            fields = {k: v.filter(ok) for k, v in fields.items()}
            ts, where = ts.filter(ok), where.filter(ok)
        if len(ts) == 0:
            return None
        positions = where.to_pylist()
        offsets = pa.array([records[n][0] for n in positions], pa.int64())
        lengths = pa.array([records[n][2] for n in positions], pa.int64())
        columns = _columns(fields, ts)
        day = pc.divide(ts.cast(pa.int64()), _US_PER_DAY)
        common = {"file_offset": offsets, "line_length": lengths, "day": day}
        tables = {
            Stream.EVENTS: _table(Stream.EVENTS, {**columns["events"], **common}),
            Stream.SLOW_QUERIES: _table(Stream.SLOW_QUERIES, {**columns["slow"], **common}),
        }
        return cls(positions, tables)


def _suffixes(texts: pa.Array, skip: pa.Array) -> pa.Array:
    """Each text without its first `skip` bytes: the texts' buffer seen as alternating
    (head, rest) strings, whose rests are taken (one copy, in C++)."""
    n = len(texts)
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int32)[texts.offset : texts.offset + n + 1]
    cuts = np.empty(2 * n + 1, dtype=np.int32)
    cuts[0::2] = offsets
    cuts[1::2] = offsets[:-1] + skip.to_numpy(zero_copy_only=False).astype(np.int32)
    both = pa.StringArray.from_buffers(2 * n, pa.py_buffer(cuts), texts.buffers()[2])
    return both.take(pa.array(np.arange(1, 2 * n, 2)))


def _timestamps(texts: pa.Array) -> pa.Array:
    """Microseconds since the epoch of each timestamp text (null where unreadable), each
    distinct text read once."""
    encoded = pc.dictionary_encode(texts)
    values = [pg_time(t) for t in encoded.dictionary.to_pylist()]
    return pa.array(values, pa.int64()).take(encoded.indices)


def _unset(values: pa.Array | None, n: int) -> pa.Array:
    """A prefix field with PostgreSQL's "no value" spellings as nulls."""
    if values is None:
        return pa.nulls(n, pa.string())
    return pc.if_else(pc.is_in(values, pa.array(_UNSET)), None, values)


def _columns(fields: dict[str, pa.Array], ts: pa.Array) -> dict[str, dict[str, Any]]:
    n = len(ts)
    user, db = _unset(fields.get("user"), n), _unset(fields.get("db"), n)
    app, client = _unset(fields.get("app"), n), _unset(fields.get("client"), n)
    pid = fields["pid"].cast(pa.int64()) if "pid" in fields else pa.nulls(n, pa.int64())
    session_id = fields.get("session_id", pa.nulls(n, pa.string()))
    query_id = fields.get("query_id", pa.nulls(n, pa.string()))
    query_id = pc.if_else(pc.is_in(query_id, pa.array(["0", ""])), None, query_id)
    sqlstate = fields.get("sqlstate", pa.nulls(n, pa.string()))
    backend = fields.get("backend", pa.nulls(n, pa.string()))
    ms = fields["ms"].cast(pa.float64())
    ids = pid.cast(pa.string())
    attrs = _attrs({"db": db, "app": app, "client": client, "pid": ids,
                    "session_id": session_id, "query_id": query_id})  # fmt: skip
    events = {
        "ts": ts,
        "severity": fields["severity"],
        "component": backend,
        "msg_id": pa.nulls(n, pa.string()),
        "context": ids,
        "message": pc.utf8_slice_codeunits(fields["message"], 0, MESSAGE_LIMIT),
        "user": user,
        "attrs": attrs,
        "level": pa.repeat(postgres_level("LOG"), n),
        "code": sqlstate,
        "duration_ms": ms,
    }
    slow = {
        "ts": ts,
        "engine": pa.repeat("postgres", n),
        "db": db,
        "app_name": app,
        "client_ip": client,
        "user": user,
        "connection_id": pid,
        "duration_ms": ms,
        "op_type": pa.repeat("statement", n),
        "query_hash": query_id,
        "session_id": session_id,
        "sqlstate": pc.if_else(pc.equal(sqlstate, "00000"), None, sqlstate),
        "full_scan": pa.repeat(False, n),
        **_statements(fields["sql"], db),
    }
    return {"events": events, "slow": slow}


def _attrs(values: dict[str, pa.Array]) -> pa.Array:
    """The events `attrs` JSON of each row: `kind`, then the fields that are set, as
    orjson writes them for the per-record path (values checked to need no escaping)."""
    parts: list[Any] = ['{"kind":"statement"']
    for key in _ATTR_KEYS:
        value = values[key]
        if value.null_count == len(value):
            continue
        quote = "" if key == "pid" else '"'
        piece = pc.binary_join_element_wise(f',"{key}":{quote}', value, quote, "")
        parts.append(pc.fill_null(piece, ""))
    parts.append("}")
    return pc.binary_join_element_wise(*parts, "")


def _statements(sql: pa.Array, db: pa.Array) -> dict[str, pa.Array]:
    """The statement columns, each distinct text fingerprinted once."""
    encoded = pc.dictionary_encode(sql)
    found = [statement_of(text) for text in encoded.dictionary.to_pylist()]
    picks = encoded.indices
    shape = pa.array([s.shape for s in found], pa.string()).take(picks)
    collection = pa.array([s.collection for s in found], pa.string()).take(picks)
    namespace = pc.if_else(
        pc.and_(pc.is_valid(db), pc.is_valid(collection)),
        pc.binary_join_element_wise(db, collection, "."),
        None,
    )
    return {
        "shape": shape,
        "shape_hash": pa.array([s.shape_hash for s in found], pa.string()).take(picks),
        "op": pa.array([s.op for s in found], pa.string()).take(picks),
        "collection": collection,
        "tables": pa.array([s.table_list for s in found], pa.string()).take(picks),
        "is_system": pa.array([s.is_system for s in found], pa.bool_()).take(picks),
        "namespace": namespace,
        "statement": pc.utf8_slice_codeunits(sql, 0, MESSAGE_LIMIT),
    }


def _table(stream: Stream, columns: dict[str, Any]) -> pa.Table:
    """A stream's table (its columns but the writer's constants, plus `day`)."""
    n = len(columns["ts"])
    fields = [f for f in arrow_schema(stream) if f.name not in ("host", "file_id")]
    arrays = [
        columns[f.name].cast(f.type) if f.name in columns else pa.nulls(n, f.type) for f in fields
    ]
    return pa.Table.from_arrays([*arrays, columns["day"]], names=[*(f.name for f in fields), "day"])
