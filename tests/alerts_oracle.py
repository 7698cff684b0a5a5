"""A seeded application log with known alert truth, and an independent sliding-window oracle.

`write_log` writes JSON lines (ts in ms, level, host, user, msg, duration_ms) over two hours
from three hosts, with error bursts, a host that goes quiet, a slow stretch and users that
appear late. `oracle(rule, rows, ...)` computes what a rule fires and resolves by brute
force: at every instant where a window's contents can change it recounts the window from
the whole list of rows (no incremental state), then turns the runs of instants where the
condition holds into alerts with `for` and `cooldown`. It shares no code with loglake.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

START = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
SPAN = timedelta(hours=2)
HOSTS = ("web1", "web2", "web3")
US = 1_000_000


@dataclass(frozen=True)
class Row:
    """One line of the log as the json module reads it back."""

    ts_us: int
    level: str
    host: str
    user: str
    duration_ms: int


def _us(ts: datetime) -> int:
    return int((ts - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * US + ts.microsecond


def write_log(path: Path, seed: int = 15) -> list[Row]:
    """Write the log; its rows as written."""
    rng = random.Random(seed)
    lines: list[tuple[datetime, dict[str, Any]]] = []
    bursts = sorted(rng.uniform(300, SPAN.total_seconds() - 300) for _ in range(6))
    quiet = (START + timedelta(minutes=50), START + timedelta(minutes=62))  # web3 silent
    slow = (START + timedelta(minutes=80), START + timedelta(minutes=84))
    for host in HOSTS:
        t = START
        while t < START + SPAN:
            t += timedelta(milliseconds=rng.randint(200, 4000))
            if host == "web3" and quiet[0] <= t < quiet[1]:
                continue
            level = rng.choices(["info", "warn", "error"], [85, 10, 5])[0]
            duration = rng.randint(5, 300) if not slow[0] <= t < slow[1] else rng.randint(400, 900)
            minutes = (t - START).total_seconds() / 60
            user = (
                rng.choice(["ann", "bob", "cy"])
                if minutes < 70
                else rng.choice(["ann", "bob", "cy", "dee", "eve"])
            )
            lines.append((t, _record(t, level, host, user, duration, "request done")))
    for at in bursts:  # 12-20 errors on one host within ~40 s
        host = rng.choice(HOSTS)
        t = START + timedelta(seconds=at)
        for _ in range(rng.randint(12, 20)):
            t += timedelta(milliseconds=rng.randint(100, 3000))
            lines.append(
                (t, _record(t, "error", host, "ann", rng.randint(5, 300), "upstream failed"))
            )
    lines.sort(key=lambda item: item[0])
    path.write_text("".join(json.dumps(r) + "\n" for _, r in lines))
    return read_log(path)


def _record(
    t: datetime, level: str, host: str, user: str, duration: int, msg: str
) -> dict[str, Any]:
    stamp = t.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "ts": stamp,
        "level": level,
        "host": host,
        "user": user,
        "msg": msg,
        "duration_ms": duration,
    }


def read_log(path: Path) -> list[Row]:
    """The rows of the log, read with the json module alone."""
    rows = []
    for line in path.read_text().splitlines():
        r = json.loads(line)
        ts = datetime.fromisoformat(r["ts"].replace("Z", "+00:00"))
        rows.append(Row(_us(ts), r["level"], r["host"], r["user"], r["duration_ms"]))
    return rows


@dataclass(frozen=True)
class Spec:
    """A rule as the oracle reads it (the same numbers as the YAML rule)."""

    kind: str  # count | spike | flatline | aggregate | new_term
    window: int  # µs
    level: str | None = None
    group_by: str | None = None
    threshold: float = 1
    factor: float = 2
    min_count: int = 1
    function: str = "avg"
    field: str = ""
    learn: int = 0
    for_: int = 0
    cooldown: int = 0


def _holds(spec: Spec, t: int, ts: np.ndarray, vals: np.ndarray, start: int) -> bool:
    w = spec.window
    cur = int(np.count_nonzero((ts > t - w) & (ts <= t)))
    if spec.kind == "count" or spec.kind == "new_term":
        return cur >= spec.threshold
    if spec.kind == "flatline":
        return t >= start + w and cur < spec.threshold
    if spec.kind == "spike":
        prev = int(np.count_nonzero((ts > t - 2 * w) & (ts <= t - w)))
        return cur >= spec.min_count and cur / max(prev, 1) >= spec.factor
    inside = vals[(ts > t - w) & (ts <= t)]
    if len(inside) < spec.min_count or not len(inside):
        return False
    value = {"avg": np.mean, "max": np.max, "p95": lambda v: np.percentile(v, 95)}[spec.function](
        inside
    )
    return bool(value >= spec.threshold)


def oracle(spec: Spec, rows: list[Row]) -> list[tuple[str, str, int]]:
    """(status, group, instant) of every firing and resolve, in time order."""
    clock = max(r.ts_us for r in rows)
    first = min(r.ts_us for r in rows)
    selected = [r for r in rows if spec.level is None or r.level == spec.level]
    groups: dict[str, list[Row]] = {}
    for r in selected:
        groups.setdefault(getattr(r, spec.group_by) if spec.group_by else "", []).append(r)
    if spec.kind == "flatline" and not spec.group_by:
        groups.setdefault("", [])
    out = []
    for name, rows_of_group in groups.items():
        members = rows_of_group
        if spec.kind == "new_term":
            seen: dict[str, int] = {}
            for i, r in enumerate(members):
                seen.setdefault(getattr(r, spec.field), i)
            members = [
                r
                for i, r in enumerate(rows_of_group)
                if seen[getattr(r, spec.field)] == i and r.ts_us >= first + spec.learn
            ]
        ts = np.array([r.ts_us for r in members], dtype=np.int64)
        vals = (
            np.array([float(getattr(r, spec.field, 0) or 0) for r in members])
            if (spec.kind == "aggregate")
            else ts
        )
        start = first if not spec.group_by else (int(ts.min()) if len(ts) else first)
        out += [(s, name, t) for s, t in _episodes(spec, ts, vals, start, clock)]
    return sorted(out, key=lambda x: (x[2], x[1], x[0]))


def _episodes(
    spec: Spec, ts: np.ndarray, vals: np.ndarray, start: int, clock: int
) -> list[tuple[str, int]]:
    w = spec.window
    marks = {int(x) for x in ts} | {int(x) + w for x in ts} | {start + w}
    if spec.kind == "spike":
        marks |= {int(x) + 2 * w for x in ts}
    instants = sorted(m for m in marks if start <= m <= clock)
    out: list[tuple[str, int]] = []
    last_fire: int | None = None
    run_start: int | None = None
    fired = False
    for t in instants:  # the condition is constant between consecutive instants
        h = _holds(spec, t, ts, vals, start)
        if h and run_start is None:
            run_start, fired = t, False
        if run_start is not None and fired is False:
            fire_at = run_start + spec.for_
            # the engine visits fire_at itself; here: does the run last past it?
            if fire_at <= t and h:
                if last_fire is None or fire_at >= last_fire + spec.cooldown:
                    out.append(("firing", fire_at))
                    last_fire = fire_at
                    fired = True
                else:
                    fired = None  # type: ignore[assignment]  # suppressed episode
        if not h and run_start is not None:
            fire_at = run_start + spec.for_
            cooled = last_fire is None or fire_at >= last_fire + spec.cooldown
            if fired is False and fire_at < t and cooled:  # held at fire_at, before t
                out.append(("firing", fire_at))
                last_fire = fire_at
                fired = True
            if fired is True:
                out.append(("resolved", t))
            run_start, fired = None, False
    if run_start is not None and fired is False:
        fire_at = run_start + spec.for_
        if fire_at <= clock and (last_fire is None or fire_at >= last_fire + spec.cooldown):
            out.append(("firing", fire_at))
    return sorted(out, key=lambda x: x[1])
