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
