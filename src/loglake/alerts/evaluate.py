"""Evaluating the rules: after each commit (an after-commit listener) and over a time range
(`loglake alerts test`).

After a commit, every enabled rule reads the rows committed since the last evaluation (past
the marks, `rows.py`) in event-time order, continues its windows from the saved state and
advances to the stream's newest row time. The transitions go to the alert log, then the
state (marks included) is saved; an alert is never lost and never logged twice. The logged
transitions are the outbox their notifications are delivered from (`outbox.py`), off the
ingest path: a receiver that is down or slow never slows an ingest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any
from urllib.parse import quote_plus

import numpy as np

from loglake.alerts import store
from loglake.alerts.fields import STREAMS
from loglake.alerts.outbox import poke
from loglake.alerts.rows import (
    Span,
    batch_rows,
    line_texts,
    new_rows,
    rule_lines,
    rule_rows,
    rule_terms,
    window_rows,
)
from loglake.alerts.rules import ConditionType, Rule, format_duration, load_rules_file, parse_rule
from loglake.alerts.windows import RuleRun, Transition
from loglake.config import Settings
from loglake.errors import AlertError, InputError, LoglakeError, NotFoundError
from loglake.schema import Stream
from loglake.store.listeners import Commit, Listener

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# a stream with no new rows: no rows for its rules (their windows still advance)
_NOTHING: dict[str, Any] = {"ts_us": np.zeros(0, dtype=np.int64), "val": None, "groups": {}}


def file_rules(settings: Settings) -> list[Rule]:
    """The rules of the rules file (`--alerts` / LOGLAKE_ALERT_RULES), read anew each time,
    so an edited file counts from the next evaluation."""
    return load_rules_file(settings.alert_rules) if settings.alert_rules else []


def all_rules(settings: Settings) -> list[tuple[Rule, str]]:
    """Every rule with where it comes from (`file` or `lake`); a file rule wins a name."""
    found = [(rule, "file") for rule in file_rules(settings)]
    names = {rule.name for rule, _ in found}
    for raw in store.load_lake_rules(settings.root):
        try:
            rule = parse_rule(raw)
        except InputError:
            continue  # validated when added; a rule of a later release is left alone
        if rule.name not in names:
            found.append((rule, "lake"))
    return found


def find_rule(settings: Settings, name: str) -> Rule:
    """One rule by name (NotFoundError naming the rules there are)."""
    rules = {rule.name: rule for rule, _ in all_rules(settings)}
    if name not in rules:
        known = ", ".join(sorted(rules)) or "none (pass --alerts FILE or add one to the lake)"
        raise NotFoundError(f"no alert rule {name!r}; the rules are: {known}")
    return rules[name]


_NAIVE_EPOCH = dt.datetime(1970, 1, 1)


def _when(us: int | None) -> str | None:
    """`iso` of an event time in µs (the same text, faster: alerts carry many)."""
    if us is None:
        return None
    return (_NAIVE_EPOCH + dt.timedelta(microseconds=us)).isoformat() + "Z"


def alert_record(rule: Rule, tr: Transition) -> dict[str, Any]:
    """An alert transition as the alert log keeps it and notifications carry it."""
    return {
        "kind": "alert",
        "id": tr.alert_id,
        "status": tr.status,
        "rule": rule.name,
        "severity": rule.severity.value,
        "description": rule.description,
        "group": tr.group,
        "group_by": rule.group_by or None,
        "stream": rule.stream.value,
        "fired_at": _when(tr.fired_at),
        "at": _when(tr.at),
        "resolved_at": _when(tr.at) if tr.status == "resolved" else None,
        "window": format_duration(rule.condition.window_us),
        "condition": rule.condition.to_dict(),
        "value": tr.value,
        "lines": [
            {
                "ts": _when(line["ts_us"]),
                "text": line["text"],
                "file_id": line["file_id"],
                "file_offset": line["file_offset"],
                "raw_url": raw_url(line["file_id"], line["file_offset"]),
            }
            for line in tr.lines
        ],
        "notify": [label(n) for n in rule.notify],
    }


def raw_url(file_id: str, file_offset: int) -> str:
    """The API link that reads a row's raw entry back (as `/api/logs` rows carry)."""
    return f"/api/detail?file_id={quote_plus(file_id)}&file_offset={int(file_offset)}"


def label(target: Any) -> str:
    """How a notification target is named in delivery records."""
    return f"{target.kind} {target.target}".strip()


def evaluate(settings: Settings) -> list[dict[str, Any]]:
    """Evaluate every enabled rule over the rows committed since the last evaluation; the
    alert records logged. Their notifications wait in the outbox (`outbox.py`): delivered
    by a courier thread or the drain after a batch ingest, never here."""
    from loglake.analytics.engine import Lake

    rules = [rule for rule, _ in all_rules(settings) if rule.enabled]
    if not rules:
        return []
    root = settings.root
    with store.alerts_lock(root):
        state = store.load_state(root)
        lake = Lake(root, settings)
        records: list[dict[str, Any]] = []
        kept: dict[str, Any] = {}
        try:
            with lake.snapshot() as cur:
                spans, batched = _read_new(cur, rules, state["marks"])
                wanted: dict[Stream, list[tuple[int, str, int]]] = {s: [] for s in STREAMS}
                fired: list[tuple[Rule, list[Transition]]] = []
                for rule in rules:
                    saved = state["rules"].get(rule.name) or {}
                    same = saved.get("fingerprint") == rule.fingerprint
                    run = RuleRun(rule, saved.get("state") if same else None)
                    span, marks = spans[rule.stream], state["marks"].get(rule.stream.value, {})
                    cols = batched.get(rule.name, _NOTHING if not _terms(rule) else None)
                    after = _evaluated_to(state, rule.stream)
                    found = advance(cur, run, marks, None, span.last_us, span.first_us, cols,
                                    after, wanted[rule.stream])  # fmt: skip
                    fired.append((rule, found))
                    kept[rule.name] = {"fingerprint": rule.fingerprint, "state": run.state()}
                texts = {s: line_texts(cur, s, rows) for s, rows in wanted.items()}
        finally:
            lake.close()
        for rule, found in fired:
            for t in found:
                for line in t.lines:
                    if line["text"] is None:  # picked from the rows read: its text read since
                        line["text"] = texts[rule.stream].get(
                            (line["file_id"], line["file_offset"]), ""
                        )
            records += [alert_record(rule, t) for t in found]
        store.append(root, records)
        state["rules"] = kept
        state["clocks"] = _clocks(state, spans)  # before the marks move on
        state["marks"] = {s.value: span.marks for s, span in spans.items()}
        store.save_state(root, state)
    if any(r["notify"] for r in records):
        poke(root)  # a courier of this process delivers them; else the next drain does
    return records


def _read_new(
    cur: Any, rules: list[Rule], marks: dict[str, Any]
) -> tuple[dict[Stream, Span], dict[str, Any]]:
    """Each stream's new rows: their span, and the rows of every rule but the new_term ones,
    read in one scan of the stream for all its rules (rule name -> columns)."""
    spans = {s: new_rows(cur, s, marks.get(s.value, {})) for s in STREAMS}
    batched: dict[str, Any] = {}
    for s in STREAMS:
        if spans[s].last_us is not None:
            together = [r for r in rules if r.stream == s and not _terms(r)]
            batched.update(batch_rows(cur, s, together, marks.get(s.value, {})))
    return spans, batched


_NOTHING_BEFORE = -(2**63)


def _evaluated_to(state: dict[str, Any], stream: Stream) -> int | None:
    """The newest event time among a stream's rows evaluated before (every earlier row is
    at most this old): _NOTHING_BEFORE when none was, None when the state does not say."""
    if not state["marks"].get(stream.value):
        return _NOTHING_BEFORE
    found = state.get("clocks", {}).get(stream.value)
    return int(found) if found is not None else None


def _clocks(state: dict[str, Any], spans: dict[Stream, Span]) -> dict[str, int]:
    """Each stream's newest event time evaluated, with this evaluation's rows (a stream
    whose earlier rows are of unknown time stays unknown)."""
    out = {}
    for stream, span in spans.items():
        before = _evaluated_to(state, stream)
        if before is None:
            continue
        newest = max(before, span.last_us if span.last_us is not None else before)
        if newest != _NOTHING_BEFORE:
            out[stream.value] = newest
    return out


def _terms(rule: Rule) -> bool:
    return rule.condition.type == ConditionType.NEW_TERM


def advance(
    cur: Any,
    run: RuleRun,
    marks: dict[str, int] | None,
    span: dict[str, Any] | None,
    clock: int | None,
    start: int | None,
    cols: dict[str, Any] | None = None,
    after: int | None = None,
    wanted: list[tuple[int, str, int]] | None = None,
) -> list[Transition]:
    """Run a rule over its rows (`cols` when read already; else past `marks`, or in `span`)
    to `clock`; each firing carries the newest matching lines of its window. When every
    earlier row of the stream is at most `after` old and a window starts later, its lines
    are picked from `cols` and left for the caller to fill in the text of (`wanted`: one
    query for all rules); otherwise they are read back from the lake."""
    rule = run.rule
    if _terms(rule):
        found = run.run_terms(rule_terms(cur, rule, marks, span), clock, start)
    else:
        found = run.run(
            cols if cols is not None else rule_rows(cur, rule, marks, span), clock, start
        )
    window = rule.condition.window_us
    fired = [i for i, t in enumerate(found) if t.status == "firing"]
    windows = [(found[i].group, found[i].at - window, found[i].at) for i in fired]
    local = (
        cols is not None and "files" in cols and wanted is not None and after is not None
        and all(low >= after for _, low, _ in windows)
    )  # fmt: skip
    if local and cols is not None and wanted is not None:
        picks = window_rows(cols, windows, rule.lines)
        wanted.extend(row for rows in picks for row in rows)
        lines = [
            [{"ts_us": t, "file_id": f, "file_offset": o, "text": None} for t, f, o in rows]
            for rows in picks
        ]
    else:
        lines = rule_lines(cur, rule, windows)
    for i, some in zip(fired, lines, strict=True):
        found[i] = replace(found[i], lines=tuple(some))
    return found


def try_rule(
    settings: Settings, rule: Rule, start: dt.datetime | None, end: dt.datetime | None
) -> list[dict[str, Any]]:
    """What a rule would fire and resolve over the lake's rows in [start, end), on event
    time, from a fresh state; nothing is logged or delivered."""
    from loglake.analytics.engine import Lake

    lake = Lake(settings.root, settings)
    try:
        with lake.snapshot() as cur:
            last = new_rows(cur, rule.stream, {}).last_us
            span = {"from": start, "to": end}
            clock = last
            if end is not None and last is not None:
                clock = min(last, _us(end) - 1)
            first = _us(start) if start else None
            transitions = advance(cur, RuleRun(rule), None, span, clock, first)
    finally:
        lake.close()
    return [alert_record(rule, t) for t in transitions]


def _us(value: dt.datetime) -> int:
    return (value - _EPOCH) // dt.timedelta(microseconds=1)


class EvaluateAlerts:
    """After-commit listener: evaluate the alert rules over what the commit added."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self, commit: Commit) -> None:
        """Evaluate; a failure is an AlertError (a warning: the commit stands)."""
        del commit  # the marks say what is new, whichever commit added it
        try:
            evaluate(self.settings)
        except LoglakeError as exc:
            raise AlertError(f"alert rules not evaluated: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - never fail the commit it follows
            raise AlertError(f"alert rules not evaluated ({type(exc).__name__}: {exc})") from None


def listeners(settings: Settings) -> list[Listener]:
    """The after-commit hook (`analytics/listeners.PLUGINS`)."""
    return [EvaluateAlerts(settings)]
