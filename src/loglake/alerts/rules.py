"""Alert rules: the model, and its validation from a YAML file or the API's JSON.

A rule names the stream it reads (`events`, or `slow_queries` for the slow-query filters),
filters (the names `/api/logs` or the slow-query questions take, validated by their own
`Param`s), an optional `group_by`, a condition over a sliding event-time window, a `for`
pending time, a `cooldown` and where to notify.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from loglake.alerts.fields import FILTERS, STREAMS, field_sql, parse_filters
from loglake.errors import ConfigError, InputError
from loglake.schema import Stream

US = 1_000_000
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?")
_UNIT_US = {"ms": 1000, "s": US, "m": 60 * US, "h": 3600 * US, "d": 86400 * US, "w": 604800 * US}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
MAX_LINES = 50


class Severity(StrEnum):
    """How bad a rule's alert is."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ConditionType(StrEnum):
    """What a rule's window must show for it to fire."""

    COUNT = "count"  # at least `threshold` rows in the window
    SPIKE = "spike"  # the window holds `factor` times the previous window's rows
    FLATLINE = "flatline"  # fewer than `threshold` (default 1) rows in the window
    AGGREGATE = "aggregate"  # avg/p95/max/... of a numeric field at least `threshold`
    NEW_TERM = "new_term"  # a value of `field` never seen before (in its group)


FUNCTIONS = ("avg", "min", "max", "sum", "p50", "p90", "p95", "p99")


def duration_us(value: Any, what: str, allow_zero: bool = False) -> int:
    """Microseconds in a duration (`90s`, `5m`, `1h`, `250ms`, a number of seconds)."""
    text = str(value).strip().lower()
    found = _DURATION.fullmatch(text)
    if found is None or isinstance(value, bool):
        raise InputError(f"{what}: {value!r} is not a duration; use e.g. 60s, 5m, 1h")
    us = round(float(found[1]) * _UNIT_US[found[2] or "s"])
    if us < 0 or (us == 0 and not allow_zero):
        raise InputError(f"{what}: must be longer than 0")
    return us


def format_duration(us: int) -> str:
    """A duration in the largest unit that divides it (`300s` -> `5m`)."""
    for unit in ("w", "d", "h", "m", "s", "ms"):
        if us and us % _UNIT_US[unit] == 0:
            return f"{us // _UNIT_US[unit]}{unit}"
    return f"{us}us" if us else "0s"


@dataclass(frozen=True)
class Condition:
    """A rule's condition over its sliding window `(t - window, t]`."""

    type: ConditionType
    window_us: int
    threshold: float = 1
    factor: float = 2.0  # spike
    min_count: int = 1  # spike, aggregate: rows the window needs before it counts
    function: str = "avg"  # aggregate
    field: str = ""  # aggregate (numeric), new_term
    learn_us: int = 0  # new_term: values seen in this first stretch are not new

    def to_dict(self) -> dict[str, Any]:
        """The condition as the rules file writes it."""
        out: dict[str, Any] = {"type": self.type.value, "window": format_duration(self.window_us)}
        if self.type in (ConditionType.COUNT, ConditionType.FLATLINE, ConditionType.AGGREGATE):
            out["threshold"] = self.threshold
        if self.type == ConditionType.SPIKE:
            out["factor"] = self.factor
        if self.type in (ConditionType.SPIKE, ConditionType.AGGREGATE):
            out["min_count"] = self.min_count
        if self.type == ConditionType.AGGREGATE:
            out["function"] = self.function
        if self.field:
            out["field"] = self.field
        if self.learn_us:
            out["learn"] = format_duration(self.learn_us)
        return out


@dataclass(frozen=True)
class Notify:
    """One place a rule's alerts go: a webhook URL, the log, or a Python hook."""

    kind: str  # webhook | log | hook
    target: str = ""  # the URL, or `module:function`

    def to_dict(self) -> dict[str, Any]:
        """As the rules file writes it."""
        return {self.kind: self.target or True}


@dataclass(frozen=True)
class Rule:
    """One validated alert rule."""

    name: str
    condition: Condition
    stream: Stream = Stream.EVENTS
    filters: tuple[tuple[str, str], ...] = ()
    group_by: str = ""
    for_us: int = 0
    cooldown_us: int = 0
    severity: Severity = Severity.MEDIUM
    enabled: bool = True
    description: str = ""
    notify: tuple[Notify, ...] = ()
    lines: int = 5  # matching lines carried by an alert

    def params(self) -> dict[str, Any]:
        """The filters as validated values, the shape `filters.where` takes."""
        return parse_filters(self.stream, dict(self.filters))

    def to_dict(self) -> dict[str, Any]:
        """The rule as the rules file and the API write it."""
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "severity": self.severity.value,
            "enabled": self.enabled,
            "stream": self.stream.value,
            "filters": dict(self.filters),
            "group_by": self.group_by or None,
            "condition": self.condition.to_dict(),
            "for": format_duration(self.for_us),
            "cooldown": format_duration(self.cooldown_us),
            "notify": [n.to_dict() for n in self.notify],
            "lines": self.lines,
        }
        return out

    @property
    def fingerprint(self) -> str:
        """What tells two versions of a rule apart (its evaluation state is per version)."""
        keep = {k: v for k, v in self.to_dict().items() if k not in ("description", "notify")}
        text = json.dumps(keep, sort_keys=True)
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _choice(raw: Any, enum: type[StrEnum], what: str) -> Any:
    try:
        return enum(str(raw).lower())
    except ValueError:
        choices = ", ".join(e.value for e in enum)
        raise InputError(f"{what}: {raw!r} is not one of {choices}") from None


def _number(raw: Any, what: str, minimum: float = 0) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InputError(f"{what}: expected a number")
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{what}: expected a number, not {raw!r}") from None
    if not value >= minimum:
        raise InputError(f"{what}: must be at least {minimum:g}")
    return value


def parse_condition(raw: Any) -> Condition:
    """A condition from its mapping; InputError naming the part that is wrong."""
    if not isinstance(raw, dict):
        raise InputError("condition: give {type: count|spike|flatline|aggregate|new_term, ...}")
    kind = _choice(raw.get("type"), ConditionType, "condition.type")
    known = {"type", "window", "threshold", "factor", "min_count", "function", "field", "learn"}
    extra = sorted(set(raw) - known)
    if extra:
        raise InputError(
            f"condition: unknown key {extra[0]!r}; keys are {', '.join(sorted(known))}"
        )
    if "window" not in raw:
        raise InputError("condition.window: required, e.g. 60s")
    args: dict[str, Any] = {
        "type": kind,
        "window_us": duration_us(raw["window"], "condition.window"),
    }
    needs_threshold = kind in (ConditionType.COUNT, ConditionType.AGGREGATE)
    if needs_threshold and "threshold" not in raw:
        raise InputError(f"condition.threshold: required by a {kind.value} condition")
    if "threshold" in raw:
        args["threshold"] = _number(raw["threshold"], "condition.threshold")
    if "factor" in raw:
        args["factor"] = _number(raw["factor"], "condition.factor", minimum=1)
    if "min_count" in raw:
        args["min_count"] = int(_number(raw["min_count"], "condition.min_count", minimum=1))
    if kind in (ConditionType.AGGREGATE, ConditionType.NEW_TERM):
        if not isinstance(raw.get("field"), str) or not raw["field"].strip():
            raise InputError(f"condition.field: required by a {kind.value} condition")
        args["field"] = raw["field"].strip()
    if kind == ConditionType.AGGREGATE:
        function = str(raw.get("function", "avg")).lower()
        if function not in FUNCTIONS:
            raise InputError(
                f"condition.function: {function!r} is not one of {', '.join(FUNCTIONS)}"
            )
        args["function"] = function
    if "learn" in raw:
        args["learn_us"] = duration_us(raw["learn"], "condition.learn", allow_zero=True)
    return Condition(**args)


def _notify(raw: Any) -> tuple[Notify, ...]:
    items = raw if isinstance(raw, list) else [raw] if raw else []
    out = []
    for item in items:
        if item == "log":
            out.append(Notify("log"))
            continue
        if not isinstance(item, dict) or len(item) != 1:
            raise InputError(
                'notify: each item is {webhook: "http://..."}, {hook: "mod:fn"} or log'
            )
        ((kind, target),) = item.items()
        if (
            kind == "webhook"
            and isinstance(target, str)
            and target.startswith(("http://", "https://"))
        ):
            out.append(Notify("webhook", target))
        elif kind == "hook" and isinstance(target, str) and re.fullmatch(r"[\w.]+:\w+", target):
            out.append(Notify("hook", target))
        elif kind == "log":
            out.append(Notify("log"))
        else:
            raise InputError(
                f"notify.{kind}: {target!r} is not an http(s) URL, module:function or log"
            )
    return tuple(out)


_RULE_KEYS = {
    "name", "description", "severity", "enabled", "stream", "filters", "group_by",
    "condition", "for", "cooldown", "notify", "lines",
}  # fmt: skip


def parse_rule(raw: Any) -> Rule:
    """One rule from its mapping (YAML or JSON); InputError naming what to fix."""
    if not isinstance(raw, dict):
        raise InputError("a rule is a mapping with at least name and condition")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InputError(f"name: {name!r}: letters, digits, _ . - (at most 80), starting with one")
    try:
        return _parse_rule(name, raw)
    except InputError as exc:
        raise InputError(f"rule {name}: {exc}") from None


def _parse_rule(name: str, raw: dict[str, Any]) -> Rule:
    extra = sorted(set(raw) - _RULE_KEYS)
    if extra:
        raise InputError(f"unknown key {extra[0]!r}; keys are {', '.join(sorted(_RULE_KEYS))}")
    stream = Stream(_choice(raw.get("stream", "events"), Stream, "stream"))
    if stream not in FILTERS:
        raise InputError(f"stream: alerts read {' or '.join(s.value for s in STREAMS)}")
    filters = raw.get("filters") or {}
    if not isinstance(filters, dict):
        raise InputError("filters: a mapping such as {level: error}")
    parse_filters(stream, filters)
    group_by = raw.get("group_by") or ""
    if not isinstance(group_by, str):
        raise InputError("group_by: one field name, e.g. host")
    condition = parse_condition(raw.get("condition"))
    for what, field, numeric in (
        ("group_by", group_by.strip(), False),
        ("condition.field", condition.field, condition.type == ConditionType.AGGREGATE),
    ):
        if field:
            try:
                field_sql(stream, field, numeric)
            except InputError as exc:
                raise InputError(f"{what}: {exc}") from None
    lines = int(_number(raw.get("lines", 5), "lines"))
    if lines > MAX_LINES:
        raise InputError(f"lines: at most {MAX_LINES}")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise InputError("enabled: true or false")
    return Rule(
        name=name,
        description=str(raw.get("description") or ""),
        severity=_choice(raw.get("severity", "medium"), Severity, "severity"),
        enabled=enabled,
        stream=stream,
        filters=tuple(sorted((k, _plain(v)) for k, v in filters.items())),
        group_by=group_by.strip(),
        condition=condition,
        for_us=duration_us(raw.get("for", 0), "for", allow_zero=True),
        cooldown_us=duration_us(raw.get("cooldown", 0), "cooldown", allow_zero=True),
        notify=_notify(raw.get("notify")),
        lines=lines,
    )


def _plain(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def parse_rules(raw: Any, where: str) -> list[Rule]:
    """Every rule of a rules document (`{rules: [...]}`); names must be unique."""
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
        raise InputError(f"{where}: expected a mapping with a `rules:` list")
    rules = [parse_rule(item) for item in raw["rules"]]
    names = [r.name for r in rules]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"{where}: rule {twice[0]} is defined twice")
    return rules


def load_rules_file(path: str | Path) -> list[Rule]:
    """The rules of a YAML (or JSON) rules file; ConfigError when it cannot be read."""
    import yaml

    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(
            f"alert rules {path}: {exc.strerror}; check LOGLAKE_ALERT_RULES"
        ) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"alert rules {path}: not YAML ({exc})") from None
    try:
        return parse_rules(raw, str(path))
    except InputError as exc:
        raise ConfigError(str(exc)) from None
