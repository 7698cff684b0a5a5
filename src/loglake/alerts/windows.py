"""The event-time engine: one rule's groups, their sliding windows and their alert states.

Time is the rows' own (`ts`, in microseconds), never the wall clock, so evaluating a log
gives the same alerts whenever and however often it runs. A window at instant t holds the
rows with `t - window < ts <= t`. The condition can only change at a row's time, when a
row leaves a window (`ts + window`; `ts + 2*window` for a spike's previous window), or
when a flatline's first full window ends: `run` computes the condition at every such
instant up to the clock (the newest row time of the stream) at once, with numpy, per
group, and walks only the instants where it changes.

Where the condition starts to hold a group goes *pending*; it fires `for` later if it still
holds then (at once without `for`), unless it fired less than `cooldown` before (that whole
episode is then suppressed), and resolves at the first instant it no longer holds. A row
older than the rule's clock (a late row) joins its windows and is evaluated at the clock.
The rows still inside a window at the clock are kept in the state for the next run.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from loglake.alerts.rules import ConditionType, Rule

Columns = dict[str, Any]  # ts_us, val (numpy, by group then time), groups: name -> slice


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
    lines: tuple[dict[str, Any], ...] = ()  # filled in by the caller, which reads the lake


@dataclass
class Group:
    """The rows in a group's windows and where its alert stands."""

    times: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)  # aggregate: parallel to times
    start: int = 0  # the group's first row (flatline: nothing holds before a full window)
    status: str = "ok"  # ok | pending | firing | suppressed
    since: int = 0  # pending: when the condition began to hold
    fired_at: int = 0
    alert_id: str = ""
    terms: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        """As kept in the alert state."""
        out = {k: v for k, v in self.__dict__.items() if k != "terms"}
        out["terms"] = sorted(self.terms)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Group:
        """Back from the alert state."""
        keep = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**{**keep, "terms": set(data.get("terms", ()))})


def alert_id(rule: str, group: str, fired_at: int) -> str:
    """One alert's id: the same rule, group and fire time give the same id in any run."""
    text = f"{rule}\x00{group}\x00{fired_at}"
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@dataclass
class _Rows:
    """One group's rows in its windows for this run: the kept ones and the new ones."""

    t: np.ndarray  # all times, sorted
    v: np.ndarray  # aggregate values, parallel


class RuleRun:
    """One rule's evaluation state, advanced over new rows to a clock."""

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

    def run(self, cols: Columns, clock: int | None, start: int | None) -> list[Transition]:
        """Take the new rows (sorted by group, then ts) and evaluate every instant up to
        `clock`; the transitions in time order. `start`: the first time of the new rows."""
        ts = cols["ts_us"]
        if self.started is None:
            self.started = start if start is not None else (int(ts.min()) if len(ts) else None)
        end = clock if clock is not None else (int(ts.max()) if len(ts) else None)
        if end is None:
            return []
        if len(ts):
            end = max(end, int(ts.max()))
        flat = self.rule.condition.type == ConditionType.FLATLINE
        if flat and not self.rule.group_by and "" not in self.groups and self.started is not None:
            self.groups[""] = Group(start=self.started)
        slices = cols["groups"]
        for name in sorted(set(self.groups) | set(slices)):
            self._run_group(name, cols, slices.get(name, slice(0, 0)), end)
        self.now = max(self.now if self.now is not None else end, end)
        out, self.out = sorted(self.out, key=lambda t: (t.at, t.group)), []
        return out

    def run_terms(
        self, terms: list[tuple[str, str, int]], clock: int | None, start: int | None
    ) -> list[Transition]:
        """A new_term rule's run: the rows whose term its group never had (after the
        `learn` stretch) are the rows its count reads."""
        if self.started is None:
            self.started = start if start is not None else min((t for *_, t in terms), default=None)
        learn_end = (self.started or 0) + self.rule.condition.learn_us
        kept: dict[str, list[int]] = {}
        for grp, term, first in terms:
            g = self.groups.get(grp)
            if g is None:
                g = self.groups[grp] = Group(start=first)
            if term not in g.terms:
                g.terms.add(term)
                if first >= learn_end:
                    kept.setdefault(grp, []).append(first)
        ts, groups, at = [], {}, 0
        for grp in sorted(kept):
            times = sorted(kept[grp])
            ts.extend(times)
            groups[grp] = slice(at, at + len(times))
            at += len(times)
        cols = {"ts_us": np.asarray(ts, dtype=np.int64), "val": None, "groups": groups}
        return self.run(cols, clock, start)

    # one group ---------------------------------------------------------------------------
    def _run_group(self, name: str, cols: Columns, new: slice, end: int) -> None:
        new_t = cols["ts_us"][new].astype(np.int64)
        g = self.groups.get(name)
        if g is None:
            g = self.groups[name] = Group(start=int(new_t[0]))
        agg = self.rule.condition.type == ConditionType.AGGREGATE
        new_v = np.asarray(cols["val"][new], dtype=float) if agg else np.zeros(len(new_t))
        if agg and len(new_v):
            ok = ~np.isnan(new_v)
            new_t, new_v = new_t[ok], new_v[ok]
        t = np.concatenate([np.asarray(g.times, dtype=np.int64), new_t])
        v = np.concatenate([np.asarray(g.values if agg else np.zeros(len(g.times))), new_v])
        order = np.argsort(t, kind="stable")
        rows = _Rows(t[order], v[order])
        instants = self._instants(g, rows.t, new_t, end)
        if len(instants):
            self._walk(name, g, rows, instants, self._holds(g, rows, instants), end)
        low = end - self.lookback
        keep = rows.t > low
        g.times = rows.t[keep].tolist()
        g.values = rows.v[keep].tolist() if agg else []
        if self._forgettable and g.status == "ok" and not g.times:
            del self.groups[name]  # nothing left to remember (its last fire is kept)

    def _instants(self, g: Group, t: np.ndarray, new_t: np.ndarray, end: int) -> np.ndarray:
        """Every instant in [now, end] where the group's condition may change."""
        now = self.now
        parts = [np.maximum(new_t, now) if now is not None else new_t, t + self.window]
        if self.lookback != self.window:
            parts.append(t + self.lookback)
        if self.rule.condition.type == ConditionType.FLATLINE:
            parts.append(np.array([g.start + self.window], dtype=np.int64))
        found = np.sort(np.concatenate(parts), kind="stable")  # sorted runs: cheap to merge
        found = found[found <= end]
        if len(found):
            found = found[np.concatenate([[True], found[1:] != found[:-1]])]
        return found[found >= now] if now is not None else found

    def _holds(self, g: Group, rows: _Rows, at: np.ndarray) -> np.ndarray:
        """The condition at each instant (a boolean array)."""
        cond, t, w = self.rule.condition, rows.t, self.window
        hi = np.searchsorted(t, at, "right")
        lo = np.searchsorted(t, at - w, "right")
        cur = hi - lo
        kind = cond.type
        if kind in (ConditionType.COUNT, ConditionType.NEW_TERM):
            return np.asarray(cur >= cond.threshold)
        if kind == ConditionType.FLATLINE:
            return np.asarray((at >= g.start + w) & (cur < cond.threshold))
        if kind == ConditionType.SPIKE:
            prev = lo - np.searchsorted(t, at - 2 * w, "right")
            return np.asarray((cur >= cond.min_count) & (cur / np.maximum(prev, 1) >= cond.factor))
        return _aggregate_holds(
            cond.function, cond.threshold, rows.v, lo, hi, cur >= max(cond.min_count, 1)
        )

    def _walk(
        self, name: str, g: Group, rows: _Rows, at: np.ndarray, holds: np.ndarray, end: int
    ) -> None:
        """The state machine, over the runs of instants where the condition holds or not."""
        cuts = [0, *(np.flatnonzero(holds[1:] != holds[:-1]) + 1).tolist(), len(at)]
        for a, b in itertools.pairwise(cuts):
            t0 = int(at[a])
            t_end = int(at[b]) if b < len(at) else None
            if not holds[a]:
                if g.status == "firing":
                    self._emit("resolved", name, g, t0, self._value(rows, t0))
                g.status = "ok"
                continue
            if g.status == "ok":
                g.status, g.since = "pending", t0
            if g.status == "pending":
                fire_at = g.since + self.rule.for_us
                if (fire_at < t_end) if t_end is not None else (fire_at <= end):
                    self._fire(name, g, fire_at, rows)

    def _fire(self, name: str, g: Group, t: int, rows: _Rows) -> None:
        last = self.last_fire.get(name)
        if last is not None and t < last + self.rule.cooldown_us:
            g.status = "suppressed"
            return
        g.status, g.fired_at = "firing", t
        g.alert_id = alert_id(self.rule.name, name, t)
        self.last_fire[name] = t
        self._emit("firing", name, g, t, self._value(rows, t))

    def _value(self, rows: _Rows, t: int) -> float | None:
        """The condition's value at instant t (the count, the ratio, the aggregate)."""
        cond, w = self.rule.condition, self.window
        lo, hi = np.searchsorted(rows.t, [t - w, t], "right")
        cur = int(hi - lo)
        if cond.type == ConditionType.SPIKE:
            prev = int(lo - np.searchsorted(rows.t, t - 2 * w, "right"))
            return round(cur / max(prev, 1), 6)
        if cond.type == ConditionType.AGGREGATE:
            return aggregate(cond.function, rows.v[lo:hi].tolist()) if cur else None
        return float(cur)

    def _emit(self, status: str, name: str, g: Group, t: int, value: Any) -> None:
        self.out.append(Transition(self.rule.name, status, name, g.alert_id, g.fired_at, t, value))


def _aggregate_holds(
    function: str, threshold: float, v: np.ndarray, lo: np.ndarray, hi: np.ndarray, ok: np.ndarray
) -> np.ndarray:
    """Whether `function` of each window `v[lo:hi]` reaches the threshold, for all at once."""
    n = hi - lo
    if function in ("avg", "sum"):
        sums = np.concatenate([[0.0], np.cumsum(v)])
        total = sums[hi] - sums[lo]
        value = total / np.maximum(n, 1) if function == "avg" else total
        return np.asarray(ok & (value >= threshold))
    below = np.concatenate([[0], np.cumsum(v < threshold)])
    k = below[hi] - below[lo]  # values under the threshold in each window
    if function == "max":
        return np.asarray(ok & (k < n))
    if function == "min":
        return np.asarray(ok & (k == 0) & (n > 0))
    rank = (n - 1) * int(function[1:]) / 100
    low = np.floor(rank).astype(np.int64)
    high = np.minimum(low + 1, n - 1)
    holds = ok & (low >= k)  # the lower closest rank already reaches it
    edge = np.flatnonzero(ok & (low == k - 1) & (high == k))
    for i in edge.tolist():  # between the two closest ranks: interpolate as `aggregate` does
        holds[i] = aggregate(function, v[lo[i] : hi[i]].tolist()) >= threshold
    return np.asarray(holds)


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
