"""A rule's rows, read through the analytics filters: the rows not evaluated yet (past each
source file's mark), or a time range for `loglake alerts test`.

The marks are per stream and source file: the offset after the last row evaluated. Files
only grow (a grown file is read from its previous end), so the rows past the marks are
exactly the rows committed since the last evaluation, whatever their event time. Rows come
back as numpy columns (times, values, each group's slice), never one Python object a row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow.compute as pc

from loglake.alerts.fields import field_sql
from loglake.alerts.rules import ConditionType, Rule
from loglake.analytics import sql
from loglake.analytics.filters import where
from loglake.schema import PARTITION_COLUMN, Stream

Marks = dict[str, int]  # file_id -> the offset the next evaluation starts at
_AFTER_MARK = (
    "file_offset >= coalesce(list_extract(?::BIGINT[], list_position(?::VARCHAR[], file_id)), 0)"
)
_TEXT = {Stream.EVENTS: "message", Stream.SLOW_QUERIES: "coalesce(statement, shape, namespace)"}


@dataclass(frozen=True)
class Span:
    """What a stream's new rows hold: the marks after them, and their first and last time."""

    marks: Marks
    first_us: int | None
    last_us: int | None


def _after(marks: Marks) -> tuple[str, tuple[Any, ...]]:
    ids = sorted(marks)
    return _AFTER_MARK, ([marks[i] for i in ids], ids)


def new_rows(cur: Any, stream: Stream, marks: Marks) -> Span:
    """The marks past a stream's rows not evaluated yet, and the times those rows span."""
    clause, values = where(stream, {}, *_after(marks))
    rows = sql.fetch(cur, sql.render("alert_marks", stream=stream.value, where=clause), values)
    after = dict(marks)
    after.update({r["file_id"]: int(r["next_offset"]) for r in rows})
    firsts = [r["first_us"] for r in rows]
    lasts = [r["last_us"] for r in rows]
    return Span(after, min(firsts) if firsts else None, max(lasts) if lasts else None)


def _group(rule: Rule) -> tuple[str, list[Any]]:
    expr, bound = field_sql(rule.stream, rule.group_by) if rule.group_by else ("''", [])
    return f"coalesce(CAST({expr} AS VARCHAR), '')", bound


def _where(rule: Rule, marks: Marks | None, span: dict[str, Any] | None) -> tuple[str, list[Any]]:
    params = {**rule.params(), **(span or {})}
    extra, extra_values = _after(marks) if marks is not None else ("", ())
    return where(rule.stream, params, extra, extra_values)


def rule_rows(
    cur: Any, rule: Rule, marks: Marks | None = None, span: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The rule's rows (past `marks`, or in `span`'s from/to) as columns: `ts_us` and `val`
    (aggregate) by group then time, and `groups`: each group's slice of them."""
    cond = rule.condition
    group, group_values = _group(rule)
    clause, values = _where(rule, marks, span)
    value, value_values = (
        field_sql(rule.stream, cond.field, numeric=True)
        if cond.type == ConditionType.AGGREGATE
        else ("NULL", [])
    )
    text = sql.render(
        "alert_rows", group=group, value=value, stream=rule.stream.value, where=clause
    )
    columns = cur.execute(text, [*group_values, *value_values, *values]).fetchnumpy()
    counts = sql.render("alert_groups", group=group, stream=rule.stream.value, where=clause)
    slices, at = {}, 0
    for name, n in cur.execute(counts, [*group_values, *values]).fetchall():
        slices[name] = slice(at, at + n)
        at += n
    val = columns["val"]
    if isinstance(val, np.ma.MaskedArray):  # NULLs (no number): NaN, left out by the engine
        val = np.ma.filled(val.astype(float), np.nan)
    return {"ts_us": np.asarray(columns["ts_us"], dtype=np.int64), "val": val, "groups": slices}


def _condition(rule: Rule) -> tuple[str, list[Any]]:
    """A rule's filters as one boolean expression (TRUE without filters)."""
    clause, values = where(rule.stream, rule.params())
    return (f"({clause.removeprefix('WHERE ')})" if clause else "TRUE"), values


def batch_rows(cur: Any, stream: Stream, rules: list[Rule], marks: Marks) -> dict[str, Any]:
    """The rows past `marks` of several rules of one stream (none a new_term rule), in one
    scan: rule name -> the columns `rule_rows` gives (the same rows, the same order)."""
    if not rules:
        return {}
    columns: list[str] = []
    bound: list[Any] = []
    exprs: dict[tuple[str, tuple[Any, ...]], str] = {}

    def column(expr: str, values: list[Any]) -> str:
        key = (expr, tuple(values))
        if key not in exprs:
            exprs[key] = f"c{len(exprs)}"
            columns.append(f"{expr} AS {exprs[key]}")
            bound.extend(values)
        return exprs[key]

    plan = []
    tests: list[tuple[str, list[Any]]] = []
    for rule in rules:
        grp = column(*_group(rule)) if rule.group_by else ""  # "": one group, no column
        cond = rule.condition
        val = (
            column(*field_sql(stream, cond.field, numeric=True))
            if cond.type == ConditionType.AGGREGATE
            else None
        )
        test = _condition(rule)
        tests.append(test)
        plan.append((rule, grp, val, column(*test)))
    after, after_values = _after(marks)
    clause = f"WHERE {after} AND ({' OR '.join(t for t, _ in tests)})"
    values = [*after_values, *(v for _, test_values in tests for v in test_values)]
    columns += ["file_id AS row_file", "file_offset AS row_offset"]
    text = sql.render("alert_batch", columns=", ".join(columns), stream=stream.value, where=clause)
    got = cur.sql(text, params=[*bound, *values]).to_arrow_table()
    ts = got.column("ts_us").to_numpy()
    codes = {grp: _codes(got.column(grp)) for _rule, grp, _val, _test in plan if grp}
    codes[""] = ([""], np.zeros(len(ts), dtype=np.int64))  # once each
    files, file_codes = _codes(got.column("row_file"))
    offsets = got.column("row_offset").to_numpy()
    out: dict[str, Any] = {}
    for rule, grp, val, passes in plan:
        picked = np.flatnonzero(pc.fill_null(got.column(passes), False).to_numpy())
        names, code = codes[grp]
        value = got.column(val).to_numpy()[picked] if val else None  # NULL: NaN
        cols = _split(ts[picked], names, code[picked], value)
        order = cols.pop("order")
        cols.update(files=files, file_codes=file_codes[picked][order])
        cols["offsets"] = offsets[picked][order]
        out[rule.name] = cols
    return out


def window_rows(
    cols: dict[str, Any], windows: list[tuple[str, int, int]], n: int
) -> list[list[tuple[int, str, int]]]:
    """For each (group, low_us, high_us): the newest `n` of the group's rows in `cols` with
    `low_us < ts <= high_us`, oldest first, as (ts_us, file_id, file_offset): the rows
    `rule_lines` picks, when every row of those windows is among `cols`."""
    out: list[list[tuple[int, str, int]]] = []
    for group, low, high in windows:
        part = cols["groups"].get(group)
        if part is None or n < 1:
            out.append([])
            continue
        ts = cols["ts_us"][part]
        lo, hi = (int(i) for i in np.searchsorted(ts, [low, high], "right"))
        if hi - lo > n:  # the newest n, and whatever shares the oldest one's time
            lo = max(lo, int(np.searchsorted(ts, ts[hi - n], "left")))
        at = part.start
        found = sorted(
            (int(ts[i]), cols["files"][cols["file_codes"][at + i]], int(cols["offsets"][at + i]))
            for i in range(lo, hi)
        )
        out.append(found[-n:])
    return out


def line_texts(
    cur: Any, stream: Stream, rows: list[tuple[int, str, int]]
) -> dict[tuple[str, int], str]:
    """The text of rows (ts_us, file_id, file_offset) of a stream, in one query."""
    if not rows:
        return {}
    low, high = min(r[0] for r in rows), max(r[0] for r in rows)
    clause = (
        f"WHERE {PARTITION_COLUMN} >= CAST(? AS DATE) AND {PARTITION_COLUMN} <= CAST(? AS DATE)"
        " AND epoch_us(ts) BETWEEN ? AND ?"
    )
    text = sql.render("alert_texts", text=_TEXT[stream], stream=stream.value, where=clause)
    bound = [[r[1] for r in rows], [r[2] for r in rows], _day(low), _day(high), low, high]
    return {
        (file_id, int(offset)): (line or "")[:1000]
        for file_id, offset, line in cur.execute(text, bound).fetchall()
    }


def _codes(groups: Any) -> tuple[list[str], np.ndarray]:
    """A group column as its distinct names and each row's index among them."""
    encoded = groups.combine_chunks().dictionary_encode()
    return encoded.dictionary.to_pylist(), encoded.indices.to_numpy(zero_copy_only=False)


def _split(ts: np.ndarray, names: list[str], codes: np.ndarray, val: Any) -> dict[str, Any]:
    """Rows in time order sorted by group (stably: then by time), with each group's slice
    (as rule_rows gives)."""
    order = np.argsort(codes, kind="stable") if len(names) > 1 else np.arange(len(ts))
    counts = np.bincount(codes, minlength=len(names))
    ends = np.cumsum(counts)
    slices = {
        str(names[i]): slice(int(ends[i] - counts[i]), int(ends[i]))
        for i in range(len(names))
        if counts[i]
    }
    if val is not None:
        val = np.asarray(val, dtype=float)[order]
    return {"ts_us": ts[order], "val": val, "groups": slices, "order": order}


def rule_terms(
    cur: Any, rule: Rule, marks: Marks | None = None, span: dict[str, Any] | None = None
) -> list[tuple[str, str, int]]:
    """A new_term rule's (group, term, first time) among its rows, by group then time."""
    group, group_values = _group(rule)
    term, term_values = field_sql(rule.stream, rule.condition.field)
    clause, values = _where(rule, marks, span)
    text = sql.render(
        "alert_terms", group=group, term=f"CAST({term} AS VARCHAR)",
        stream=rule.stream.value, where=clause,
    )  # fmt: skip
    rows = cur.execute(text, [*group_values, *term_values, *values]).fetchall()
    return [(g, t, int(first)) for g, t, first in rows if t is not None]


def rule_lines(
    cur: Any, rule: Rule, windows: list[tuple[str, int, int]]
) -> list[list[dict[str, Any]]]:
    """For each (group, low_us, high_us): the newest `rule.lines` rows of the group with
    `low_us < ts <= high_us`, oldest first (one query for all of them)."""
    if not rule.lines or not windows:
        return [[] for _ in windows]
    expr, group_values = _group(rule)
    low, high = min(w[1] for w in windows), max(w[2] for w in windows)
    extra = f"{PARTITION_COLUMN} >= CAST(? AS DATE) AND {PARTITION_COLUMN} <= CAST(? AS DATE)"
    days = (_day(low), _day(high))
    clause, values = where(rule.stream, rule.params(), extra, days)
    text = sql.render(
        "alert_lines", group=expr, text=_TEXT[rule.stream], stream=rule.stream.value,
        where=clause,
    )  # fmt: skip
    lists = [[w[0] for w in windows], [w[1] for w in windows], [w[2] for w in windows]]
    bound = [*lists, len(windows), *group_values, *values, rule.lines]
    out: list[list[dict[str, Any]]] = [[] for _ in windows]
    for i, ts_us, file_id, file_offset, line in cur.execute(text, bound).fetchall():
        out[i].append({
            "ts_us": ts_us, "file_id": file_id, "file_offset": file_offset,
            "text": (line or "")[:1000],
        })  # fmt: skip
    return out


def _day(us: int) -> dt.date:
    return (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=us)).date()
