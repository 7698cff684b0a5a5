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
from urllib.parse import urlencode

from loglake.alerts import store
from loglake.alerts.fields import STREAMS
from loglake.alerts.outbox import poke
from loglake.alerts.rows import new_rows, rule_lines, rule_rows, rule_terms
from loglake.alerts.rules import ConditionType, Rule, format_duration, load_rules_file, parse_rule
from loglake.alerts.windows import RuleRun, Transition
from loglake.analytics.sql import iso
from loglake.config import Settings
from loglake.errors import AlertError, InputError, LoglakeError, NotFoundError
from loglake.store.listeners import Commit, Listener

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


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


def _when(us: int | None) -> str | None:
    return iso(us) if us is not None else None


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
    return "/api/detail?" + urlencode({"file_id": file_id, "file_offset": file_offset})


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
                spans = {s: new_rows(cur, s, state["marks"].get(s.value, {})) for s in STREAMS}
                for rule in rules:
                    saved = state["rules"].get(rule.name) or {}
                    same = saved.get("fingerprint") == rule.fingerprint
                    run = RuleRun(rule, saved.get("state") if same else None)
                    span, marks = spans[rule.stream], state["marks"].get(rule.stream.value, {})
                    found = advance(cur, run, marks, None, span.last_us, span.first_us)
                    records += [alert_record(rule, t) for t in found]
                    kept[rule.name] = {"fingerprint": rule.fingerprint, "state": run.state()}
        finally:
            lake.close()
        store.append(root, records)
        state["rules"] = kept
        state["marks"] = {s.value: span.marks for s, span in spans.items()}
        store.save_state(root, state)
    if any(r["notify"] for r in records):
        poke(root)  # a courier of this process delivers them; else the next drain does
    return records


def advance(
    cur: Any,
    run: RuleRun,
    marks: dict[str, int] | None,
    span: dict[str, Any] | None,
    clock: int | None,
    start: int | None,
) -> list[Transition]:
    """Run a rule over its rows (past `marks`, or in `span`) to `clock`; each firing carries
    the newest matching lines of its window, read back from the lake."""
    rule = run.rule
    if rule.condition.type == ConditionType.NEW_TERM:
        found = run.run_terms(rule_terms(cur, rule, marks, span), clock, start)
    else:
        found = run.run(rule_rows(cur, rule, marks, span), clock, start)
    window = rule.condition.window_us
    fired = [i for i, t in enumerate(found) if t.status == "firing"]
    lines = rule_lines(
        cur, rule, [(found[i].group, found[i].at - window, found[i].at) for i in fired]
    )
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
