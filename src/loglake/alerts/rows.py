"""A rule's rows, read through the analytics filters: the rows not evaluated yet (past each
source file's mark), or a time range for `loglake alerts test`.

The marks are per stream and source file: the offset after the last row evaluated. Files
only grow (a grown file is read from its previous end), so the rows past the marks are
exactly the rows committed since the last evaluation, whatever their event time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from loglake.alerts.fields import field_sql
from loglake.alerts.rules import ConditionType, Rule
from loglake.analytics import sql
from loglake.analytics.filters import where
from loglake.schema import Stream

Marks = dict[str, int]  # file_id -> the offset the next evaluation starts at
_AFTER_MARK = (
    "file_offset >= coalesce(list_extract(?::BIGINT[], list_position(?::VARCHAR[], file_id)), 0)"
)
_TEXT = {Stream.EVENTS: "message", Stream.SLOW_QUERIES: "coalesce(statement, shape, namespace)"}
FETCH = 10_000


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


def rule_rows(
    cur: Any, rule: Rule, marks: Marks | None = None, span: dict[str, Any] | None = None
) -> Iterator[tuple[Any, ...]]:
    """The rule's rows in event-time order (past `marks`, or in `span`'s from/to) as
    (ts_us, group, value, term, file_id, file_offset, text)."""
    cond = rule.condition
    exprs, bound = [], []
    group = field_sql(rule.stream, rule.group_by) if rule.group_by else ("''", [])
    value = (
        field_sql(rule.stream, cond.field, numeric=True)
        if cond.type == ConditionType.AGGREGATE
        else ("NULL", [])
    )
    term = (
        field_sql(rule.stream, cond.field) if cond.type == ConditionType.NEW_TERM else ("NULL", [])
    )
    for expr, values in (group, value, term):
        exprs.append(expr)
        bound.extend(values)
    params = {**rule.params(), **(span or {})}
    extra, extra_values = _after(marks) if marks is not None else ("", ())
    clause, values = where(rule.stream, params, extra, extra_values)
    text = sql.render(
        "alert_rows",
        group=f"coalesce(CAST({exprs[0]} AS VARCHAR), '')",
        value=exprs[1],
        term=f"CAST({exprs[2]} AS VARCHAR)",
        text=_TEXT[rule.stream],
        stream=rule.stream.value,
        where=clause,
    )
    result = cur.execute(text, [*bound, *values])
    while batch := result.fetchmany(FETCH):
        yield from batch
