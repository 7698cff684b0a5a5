"""The event-time engine: one rule's groups, their sliding windows and their alert states.

Time is the rows' own (`ts`, in microseconds), never the wall clock, so evaluating a log
gives the same alerts whenever and however often it runs. A window at instant t holds the
rows with `t - window < ts <= t`. The condition can only change at a row's time or when a
row leaves a window (`ts + window`; `ts + 2*window` for the previous window of a spike),
when a flatline's first full window ends, or when a `for` wait ends: each group keeps its
next such instant in a heap, and `run` visits every instant in order up to the clock (the
newest row time the lake holds), evaluating the groups that changed.

At an instant where the condition starts to hold a group goes *pending* (or fires at once
with no `for`); it fires when it has held for `for`, unless it fired less than `cooldown`
before (then that whole episode is suppressed), and resolves at the first instant it no
longer holds. A row older than the rule's clock (a late row) joins its windows, and is
evaluated at the rule's clock.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from loglake.alerts.rules import ConditionType, Rule


@dataclass(frozen=True)
class Hit:
    """One row a rule's filters select, with what its condition reads."""

    ts: int  # microseconds since the epoch, UTC
    group: str = ""
    value: float | None = None  # aggregate: the numeric field
    term: str | None = None  # new_term: the field's value
    file_id: str = ""
    file_offset: int = 0
    text: str = ""


@dataclass(frozen=True)
class Transition:
    """A group of a rule starting to fire, or resolving."""

    rule: str
    status: str  # firing | resolved
    group: str
    alert_id: str
    fired_at: int
    at: int  # the instant of this transition (fired_at for firing)
    value: float | None
    lines: tuple[dict[str, Any], ...] = ()


@dataclass
class Group:
    """The rows in a group's windows and where its alert stands."""

    times: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)  # aggregate: parallel to times
    lines: list[dict[str, Any]] = field(default_factory=list)  # the newest rows (rule.lines)
    start: int = 0  # the group's first row (flatline: nothing holds before a full window)
    status: str = "ok"  # ok | pending | firing | suppressed
    since: int = 0  # pending: when the condition began to hold
    fired_at: int = 0
    alert_id: str = ""
    wake: int | None = None
    terms: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        """As kept in the alert state."""
        out = {k: v for k, v in self.__dict__.items() if k != "terms"}
        out["terms"] = sorted(self.terms)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Group:
        """Back from the alert state."""
        return cls(**{**data, "terms": set(data.get("terms", ()))})


def alert_id(rule: str, group: str, fired_at: int) -> str:
    """One alert's id: the same rule, group and fire time give the same id in any run."""
    text = f"{rule}\x00{group}\x00{fired_at}"
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


class RuleRun:
    """One rule's evaluation state, fed rows in time order and advanced to a clock."""

    def __init__(self, rule: Rule, state: dict[str, Any] | None = None) -> None:
        self.rule = rule
        cond = rule.condition
        self.window = cond.window_us
        self.lookback = 2 * self.window if cond.type == ConditionType.SPIKE else self.window
        state = state or {}
        self.now: int | None = state.get("now")
        self.started: int | None = state.get("started")
        self.last_fire: dict[str, int] = dict(state.get("last_fire", {}))
        self.groups = {g: Group.from_json(d) for g, d in state.get("groups", {}).items()}
        self.heap = [(g.wake, name) for name, g in self.groups.items() if g.wake is not None]
        heapq.heapify(self.heap)
        self.out: list[Transition] = []
        # a flatline watches its groups for silence, a new term remembers the terms seen
        self._forgettable = cond.type not in (ConditionType.FLATLINE, ConditionType.NEW_TERM)

    def state(self) -> dict[str, Any]:
        """What a later run continues from (JSON)."""
        return {
            "now": self.now,
            "started": self.started,
            "last_fire": self.last_fire,
            "groups": {name: g.to_json() for name, g in sorted(self.groups.items())},
        }

    # the condition ---------------------------------------------------------------------
    def _trim(self, g: Group, t: int) -> None:
        cut = bisect.bisect_right(g.times, t - self.lookback)
        if cut:
            del g.times[:cut]
            if g.values:
                del g.values[:cut]

    def _holds(self, g: Group, t: int) -> tuple[bool, float | None]:
        cond = self.rule.condition
        self._trim(g, t)
        n = len(g.times)
        kind = cond.type
        if kind in (ConditionType.COUNT, ConditionType.NEW_TERM):
            return n >= cond.threshold, float(n)
        if kind == ConditionType.FLATLINE:
            return t >= g.start + self.window and n < cond.threshold, float(n)
        if kind == ConditionType.SPIKE:
            cur = n - bisect.bisect_right(g.times, t - self.window)
            ratio = cur / max(n - cur, 1)
            return cur >= cond.min_count and ratio >= cond.factor, round(ratio, 6)
        if n < cond.min_count or not g.values:
            return False, None
        value = aggregate(cond.function, g.values)
        return value >= cond.threshold, value

    def _next_change(self, g: Group, t: int) -> int | None:
        found = []
        if g.times:
            found.append(g.times[0] + self.lookback)
            if self.lookback != self.window:  # spike: the oldest row of the current window
                i = bisect.bisect_right(g.times, t - self.window)
                if i < len(g.times):
                    found.append(g.times[i] + self.window)
        if self.rule.condition.type == ConditionType.FLATLINE and t < g.start + self.window:
            found.append(g.start + self.window)
        if g.status == "pending":
            found.append(g.since + self.rule.for_us)
        later = [x for x in found if x > t]
        return min(later) if later else None

    # the state machine -----------------------------------------------------------------
    def _evaluate(self, name: str, g: Group, t: int) -> None:
        holds, value = self._holds(g, t)
        if g.status == "ok" and holds:
            g.status, g.since = "pending", t
        elif g.status in ("pending", "suppressed", "firing") and not holds:
            if g.status == "firing":
                self._emit("resolved", name, g, t, value)
            g.status = "ok"
        if g.status == "pending" and t >= g.since + self.rule.for_us:
            self._fire(name, g, g.since + self.rule.for_us, value)
        wake = self._next_change(g, t)
        if wake is None and g.status == "ok" and not g.times and self._forgettable:
            del self.groups[name]  # nothing left to remember (its last fire is kept)
            return
        if wake != g.wake:
            g.wake = wake
            if wake is not None:
                heapq.heappush(self.heap, (wake, name))

    def _fire(self, name: str, g: Group, t: int, value: float | None) -> None:
        last = self.last_fire.get(name)
        if last is not None and t < last + self.rule.cooldown_us:
            g.status = "suppressed"
            return
        g.status, g.fired_at = "firing", t
        g.alert_id = alert_id(self.rule.name, name, t)
        self.last_fire[name] = t
        self._emit("firing", name, g, t, value)

    def _emit(self, status: str, name: str, g: Group, t: int, value: float | None) -> None:
        low = t - self.window
        lines = tuple(line for line in g.lines if line["ts_us"] > low) if status == "firing" else ()
        self.out.append(
            Transition(self.rule.name, status, name, g.alert_id, g.fired_at, t, value, lines)
        )

    # feeding rows ----------------------------------------------------------------------
    def _group(self, name: str, t: int) -> Group:
        g = self.groups.get(name)
        if g is None:
            g = self.groups[name] = Group(start=t)
        return g

    def _add(self, hit: Hit) -> Group:
        g = self._group(hit.group, hit.ts)
        cond = self.rule.condition
        if cond.type == ConditionType.NEW_TERM:
            if hit.term is None or hit.term in g.terms:
                return g
            g.terms.add(hit.term)
            if hit.ts < (self.started or hit.ts) + cond.learn_us:
                return g
        if cond.type == ConditionType.AGGREGATE and hit.value is None:
            return g
        i = bisect.bisect_right(g.times, hit.ts)
        g.times.insert(i, hit.ts)
        if cond.type == ConditionType.AGGREGATE:
            g.values.insert(i, float(hit.value))  # type: ignore[arg-type]
        if self.rule.lines:
            g.lines.append(_line(hit))
            g.lines = g.lines[-self.rule.lines :]
        return g

    def _timers_until(self, t: int, inclusive: bool) -> None:
        """Visit every instant with a due timer before t (or at t when inclusive)."""
        while self.heap and (self.heap[0][0] < t or (inclusive and self.heap[0][0] == t)):
            at = self.heap[0][0]
            due = set()
            while self.heap and self.heap[0][0] == at:
                _, name = heapq.heappop(self.heap)
                if name in self.groups and self.groups[name].wake == at:
                    due.add(name)
            self.now = max(self.now or at, at)
            for name in sorted(due):
                g = self.groups[name]
                g.wake = None
                self._evaluate(name, g, at)

    def run(self, hits: Iterable[Hit], clock: int | None, start: int | None) -> list[Transition]:
        """Feed rows (sorted by ts), then visit the due instants up to `clock`; the
        transitions, in time order. `start`: the first row time of the lake's new rows."""
        if self.started is None and start is not None:
            self.started = start
            if self.rule.condition.type == ConditionType.FLATLINE and not self.rule.group_by:
                self._evaluate("", self._group("", start), start)
        batch: list[Hit] = []
        for hit in hits:
            if batch and hit.ts != batch[0].ts:
                self._instant(batch)
                batch = []
            batch.append(hit)
        if batch:
            self._instant(batch)
        if clock is not None:
            self._timers_until(clock, inclusive=True)
            self.now = max(self.now or clock, clock)
        out, self.out = self.out, []
        return out

    def _instant(self, hits: list[Hit]) -> None:
        """All rows of one time: earlier timers first, then the rows and the timers due now."""
        if self.started is None:
            self.started = hits[0].ts
        t = max(hits[0].ts, self.now or hits[0].ts)  # a late row is evaluated now
        self._timers_until(t, inclusive=False)
        touched = set()
        for hit in hits:
            self._add(hit)
            touched.add(hit.group)
        while self.heap and self.heap[0][0] == t:
            _, name = heapq.heappop(self.heap)
            if name in self.groups and self.groups[name].wake == t:
                touched.add(name)
        self.now = t
        for name in sorted(touched):
            self.groups[name].wake = None
            self._evaluate(name, self.groups[name], t)


def _line(hit: Hit) -> dict[str, Any]:
    return {
        "ts_us": hit.ts,
        "text": hit.text[:1000],
        "file_id": hit.file_id,
        "file_offset": hit.file_offset,
    }


def aggregate(function: str, values: list[float]) -> float:
    """avg, min, max, sum or a percentile (linear between closest ranks) of the values."""
    if function == "avg":
        return sum(values) / len(values)
    if function == "min":
        return min(values)
    if function == "max":
        return max(values)
    if function == "sum":
        return float(sum(values))
    ordered = sorted(values)
    rank = (len(ordered) - 1) * int(function[1:]) / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
