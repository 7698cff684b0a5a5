"""JSON-lines records a batch at a time: records of one shape read column by column.

A file's records mostly share their keys (the same logger wrote them). The batch decodes
every record with orjson, groups the objects by their keys in order (the `FieldReader`'s
plan signature), and for a group whose plan reaches every column's candidates at the top
level or nested, fills each column over the whole group: a converter is called once per distinct
value (levels, methods and statuses repeat), `attrs` is built from the keys no column took.
What the group gives is one Arrow table of `events` rows. Everything else — an
OpenTelemetry envelope, a value that is not an object, a
group whose columns do not convert to Arrow — goes through the per-record parser
(`jsonl.RecordParser`) with the same state, so both paths give the same rows
(tests/test_jsonl_batch.py). Pre-ingest hooks see every record, so a task with hooks
keeps the per-record path (ingest/worker.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pyarrow as pa

from loglake.formats.applogs import otel
from loglake.formats.applogs.fields import _attrs, _text, lookup
from loglake.formats.applogs.jsonl import RecordParser, bad_json
from loglake.formats.base import BadLine, BadReason, BlockResult, FileContext, Parsed
from loglake.schema import Stream, arrow_schema

_US_PER_DAY = 86_400_000_000
_MEMO_LIMIT = 4_096  # distinct values remembered per column and field
_SKIPPED = (type(None), dict, list)
# a record of a batch: its offset, length, decoded object and bytes
_Item = tuple[int, int, dict[str, Any], bytes]


class JsonlBatchParser:
    """Parses batches of one JSON-lines file's records (see the module docstring)."""

    def __init__(self, ctx: FileContext) -> None:
        self.records = RecordParser(ctx)
        self.reader = self.records.reader
        self._memo: dict[tuple[str, str], dict[tuple[type, Any], Any]] = {}
        self._fields = [f for f in arrow_schema(Stream.EVENTS) if f.name != "file_id"]

    def parse_one(self, record: bytes) -> Parsed | BadLine:
        """One record, as the per-record parser reads it."""
        try:
            doc = orjson.loads(record)
        except orjson.JSONDecodeError:
            return bad_json(record)
        return self.records.parse(doc)

    def parse(self, records: list[tuple[int, bytes, int]]) -> BlockResult:
        """The rows of a batch of (offset, record, length), in file order."""
        result = BlockResult()
        groups: dict[tuple[str, ...], list[_Item]] = {}
        loads = orjson.loads
        for offset, record, size in records:
            try:
                doc = loads(record)
            except orjson.JSONDecodeError:
                result.bad.append((offset, size, bad_json(record).reason.value, record))
                continue
            if type(doc) is not dict or otel.is_envelope(doc):
                self._one(result, offset, size, record, doc)
                continue
            signature = tuple(doc)
            group = groups.get(signature)
            if group is None:
                group = groups[signature] = []
            group.append((offset, size, doc, record))
        tables = []
        for group in groups.values():
            table = self._group(result, group)
            if table is not None:
                tables.append(table)
        if tables:
            table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
            if len(tables) > 1:
                table = table.sort_by("file_offset")
            result.tables[Stream.EVENTS] = table
        if len(result.rows) > 1:
            result.rows.sort(key=lambda named: int(named[1]["file_offset"]))
        return result

    def _one(self, result: BlockResult, offset: int, size: int, record: bytes, doc: Any) -> None:
        """A record through the per-record parser, into the batch's rows or bad lines."""
        parsed = self.records.parse(doc)
        if isinstance(parsed, BadLine):
            result.bad.append((offset, size, parsed.reason.value, record))
            return
        for name, row in parsed.rows:
            row["file_offset"] = offset
            row["line_length"] = size
            result.rows.append((name, row))

    def _per_record(self, result: BlockResult, group: list[_Item]) -> None:
        for offset, size, doc, record in group:
            self._one(result, offset, size, record, doc)

    def _group(self, result: BlockResult, group: list[_Item]) -> pa.Table | None:
        """One shape's records as a table (None: they went per record, or were all bad)."""
        plan = self.reader._plan(group[0][2])
        docs = [item[2] for item in group]
        n = len(docs)
        columns: dict[str, list[Any]] = {}
        used: list[list[str]] = [[] for _ in range(n)]  # top-level fields that filled a column
        nested: list[list[tuple[str, ...]]] | None = None  # and dotted ones inside objects
        had_time = [False] * n
        for column, order in plan:
            out: list[Any] = [None] * n
            severity: list[Any] | None = [None] * n if column == "level" else None
            pending: list[int] | range = range(n)
            for path, flat in order:
                convert = self._converter(column, path)
                left: list[int] = []
                for i in pending:
                    if flat:
                        value, keys = docs[i][path], None
                    else:
                        value, keys = lookup(docs[i], path)
                        if keys is None:
                            left.append(i)
                            continue
                    if type(value) in _SKIPPED:
                        left.append(i)
                        continue
                    converted = convert(value)
                    if column == "ts":
                        had_time[i] = True
                    elif converted is None:
                        left.append(i)
                        continue
                    out[i] = converted
                    if keys is None or len(keys) == 1:
                        used[i].append(path if keys is None else keys[0])
                    else:
                        if nested is None:
                            nested = [[] for _ in range(n)]
                        nested[i].append(keys)
                    if severity is not None:
                        severity[i] = _text(value)
                pending = left
                if not pending:
                    break
            columns[column] = out
            if severity is not None:
                columns["severity"] = severity
        keep = self._timed(columns, had_time, n)
        inner = nested or [[]] * n
        columns["attrs"] = [_attrs(docs[i], set(used[i]), inner[i]) for i in range(n)]
        columns["file_offset"] = [item[0] for item in group]
        columns["line_length"] = [item[1] for item in group]
        if keep is not None:
            columns = {name: [values[i] for i in keep] for name, values in columns.items()}
        try:
            table = self._table(columns) if keep is None or keep else None
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
            self._per_record(result, group)  # the per-record path and the writer sanitize
            return None
        if keep is not None:
            kept = set(keep)
            for i, (offset, size, _doc, record) in enumerate(group):
                if i not in kept:
                    result.bad.append((offset, size, _no_time(had_time[i]), record))
        return table

    def _timed(
        self, columns: dict[str, list[Any]], had_time: list[bool], n: int
    ) -> list[int] | None:
        """The records that have a time (the file's name may give the missing ones); None
        when all of them have one. `columns["ts"]` is completed where the file gives it."""
        ts = columns.get("ts")
        if ts is None:
            ts = columns["ts"] = [None] * n
        if None not in ts:
            return None
        file_time = self.records.file_time()
        keep = []
        for i in range(n):
            if ts[i] is None and not had_time[i]:
                ts[i] = file_time
            if ts[i] is not None:
                keep.append(i)
        return None if len(keep) == n else keep

    def _converter(self, column: str, path: str) -> Callable[[Any], Any]:
        """The column's converter for values of one field, remembering distinct values."""
        memo = self._memo.setdefault((column, path), {})
        if column == "ts":
            base: Callable[[Any], Any] = self.reader._time
        else:
            convert_field = self.reader._converters[column]

            def base(value: Any) -> Any:
                return convert_field(value, path)

        def convert(value: Any) -> Any:
            key = (type(value), value)
            try:
                return memo[key]
            except KeyError:
                pass
            except TypeError:  # not hashable
                return base(value)
            converted = base(value)
            if len(memo) < _MEMO_LIMIT:
                memo[key] = converted
            return converted

        return convert

    def _table(self, columns: dict[str, list[Any]]) -> pa.Table:
        """The `events` table of the columns (the writer's constants left out, plus `day`)."""
        n = len(columns["ts"])
        arrays = [
            pa.array(columns[f.name], f.type) if f.name in columns else pa.nulls(n, f.type)
            for f in self._fields
        ]
        day = pa.array([ts // _US_PER_DAY for ts in columns["ts"]], pa.int64())
        names = [f.name for f in self._fields]
        return pa.Table.from_arrays([*arrays, day], names=[*names, "day"])


def _no_time(had_time: bool) -> str:
    """Why a record has no time: its time field did not read, or it has none."""
    return (BadReason.BAD_TIMESTAMP if had_time else BadReason.NO_TIMESTAMP).value
