"""Alert rules on event time against an independent sliding-window oracle.

One seeded two-hour application log (tests/alerts_oracle.py) is ingested once with a rules
file of every condition (count, spike, flatline, aggregate, new_term, with group_by, `for`
and cooldown); the alerts the after-commit evaluation logged must be exactly the oracle's:
the same groups, fired and resolved at the same microsecond.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml

from alerts_oracle import US, Row, Spec, oracle, write_log
from loglake.alerts import store
from loglake.alerts.evaluate import find_rule, try_rule
from loglake.alerts.rules import load_rules_file, parse_rule
from loglake.analytics.listeners import after_commit
from loglake.config import Settings
from loglake.errors import ConfigError, InputError
from loglake.ingest.pipeline import ingest

M = 60 * US
# name -> (the rule as the rules file says it, the same rule for the oracle)
RULES: dict[str, tuple[dict, Spec]] = {
    "errors-per-host": (
        {
            "filters": {"level": "error"},
            "group_by": "host",
            "condition": {"type": "count", "threshold": 10, "window": "60s"},
        },
        Spec("count", 60 * US, level="error", group_by="host", threshold=10),
    ),
    "errors-cooldown": (
        {
            "filters": {"level": "error"},
            "condition": {"type": "count", "threshold": 8, "window": "2m"},
            "cooldown": "15m",
        },
        Spec("count", 2 * M, level="error", threshold=8, cooldown=15 * M),
    ),
    "errors-for": (
        {
            "filters": {"level": "error"},
            "group_by": "host",
            "condition": {"type": "count", "threshold": 6, "window": "60s"},
            "for": "20s",
        },
        Spec("count", M, level="error", group_by="host", threshold=6, for_=20 * US),
    ),
    "error-spike": (
        {
            "filters": {"level": "error"},
            "condition": {"type": "spike", "factor": 4, "min_count": 6, "window": "1m"},
        },
        Spec("spike", M, level="error", factor=4, min_count=6),
    ),
    "host-quiet": (
        {"group_by": "host", "condition": {"type": "flatline", "window": "90s"}},
        Spec("flatline", 90 * US, group_by="host"),
    ),
    "slow-p95": (
        {
            "group_by": "host",
            "condition": {
                "type": "aggregate",
                "function": "p95",
                "field": "duration_ms",
                "threshold": 500,
                "window": "2m",
                "min_count": 5,
            },
        },
        Spec(
            "aggregate",
            2 * M,
            group_by="host",
            function="p95",
            field="duration_ms",
            threshold=500,
            min_count=5,
        ),
    ),
    "slow-avg": (
        {
            "condition": {
                "type": "aggregate",
                "function": "avg",
                "field": "duration_ms",
                "threshold": 350,
                "window": "1m",
            },
            "cooldown": "2m",
        },
        Spec("aggregate", M, function="avg", field="duration_ms", threshold=350, cooldown=2 * M),
    ),
    "new-user": (
        {"condition": {"type": "new_term", "field": "user", "window": "5m", "learn": "30m"}},
        Spec("new_term", 5 * M, field="user", learn=30 * M),
    ),
}


def rules_file(path: Path, hook_url: str | None = None) -> Path:
    """The rules file of RULES."""
    rules = [{"name": name, **raw} for name, (raw, _spec) in RULES.items()]
    path.write_text(yaml.safe_dump({"rules": rules}))
    return path


@pytest.fixture(scope="module")
def alert_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, list[Row]]:
    """The log ingested once with every rule evaluated after its commit."""
    base = tmp_path_factory.mktemp("alerts")
    rows = write_log(base / "app.jsonl")
    settings = Settings(root=base / "lake", workers=2, alert_rules=str(rules_file(base / "r.yaml")))
    ingest([str(base / "app.jsonl")], settings, listeners=after_commit(settings))
    return settings, rows


def _us(text: str) -> int:
    ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(ts.timestamp()) * US + ts.microsecond


def logged(settings: Settings, rule: str) -> list[tuple[str, str, int]]:
    """(status, group, instant) of a rule's logged transitions, in time order."""
    found = [
        (r["status"], r["group"], _us(r["at"]))
        for r in store.records(settings.root)
        if r["kind"] == "alert" and r["rule"] == rule
    ]
    return sorted(found, key=lambda x: (x[2], x[1], x[0]))


@pytest.mark.parametrize("name", list(RULES))
def test_rule_fires_and_resolves_exactly_as_the_oracle(alert_lake, name: str) -> None:
    settings, rows = alert_lake
    expected = oracle(RULES[name][1], rows)
    assert expected, f"the seeded log should make {name} fire"  # the test can fail
    assert logged(settings, name) == expected


def test_for_and_cooldown_change_what_fires(alert_lake) -> None:
    settings, rows = alert_lake
    plain = oracle(Spec("count", 2 * M, level="error", threshold=8), rows)
    cooled = logged(settings, "errors-cooldown")
    assert len([t for t in cooled if t[0] == "firing"]) < len(
        [t for t in plain if t[0] == "firing"]
    )
    waited = logged(settings, "errors-for")
    eager = oracle(Spec("count", M, level="error", group_by="host", threshold=6), rows)
    assert len(waited) < len(eager)
    for status, group, at in waited:  # each waited fire comes 20 s after an eager one
        if status == "firing":
            assert ("firing", group, at - 20 * US) in eager


def test_alerts_carry_the_matching_lines_with_links(alert_lake) -> None:
    settings, _rows = alert_lake
    fired = [
        r
        for r in store.records(settings.root)
        if r["kind"] == "alert" and r["rule"] == "errors-per-host" and r["status"] == "firing"
    ]
    assert fired
    for alert in fired:
        assert alert["value"] >= 10 and alert["severity"] == "medium" and alert["window"] == "1m"
        assert len(alert["lines"]) == min(5, int(alert["value"]))  # the window's newest
        assert [x["ts"] for x in alert["lines"]] == sorted(x["ts"] for x in alert["lines"])
        for line in alert["lines"]:
            assert _us(alert["fired_at"]) - 60 * US < _us(line["ts"]) <= _us(alert["fired_at"])
            assert line["raw_url"] == (
                f"/api/detail?file_id={line['file_id']}&file_offset={line['file_offset']}"
            )
            assert line["text"] in ("upstream failed", "request done")


def test_alerts_test_over_a_range_matches_the_oracle_of_that_range(alert_lake) -> None:
    settings, rows = alert_lake
    rule = find_rule(settings, "errors-per-host")
    start, end = rows[0].ts_us + 30 * M, rows[0].ts_us + 90 * M
    begin = datetime.fromtimestamp(start / US).astimezone()
    finish = datetime.fromtimestamp(end / US).astimezone()
    found = try_rule(settings, rule, begin, finish)
    inside = [r for r in rows if start <= r.ts_us < end]
    clock_rows = [*inside[:-1], Row(min(rows[-1].ts_us, end - 1), "none", "", "", 0)]
    expected = oracle(RULES["errors-per-host"][1], clock_rows)
    assert [(r["status"], r["group"], _us(r["at"])) for r in found] == [
        e for e in expected if e[2] >= start
    ]


def test_rules_are_validated_with_a_message_that_says_what_to_fix(tmp_path: Path) -> None:
    good = {"name": "x", "condition": {"type": "count", "threshold": 1, "window": "1m"}}
    assert parse_rule(good).condition.window_us == 60 * US
    cases = [
        ({**good, "filters": {"nope": 1}}, "filters.nope: not a filter of events"),
        ({**good, "condition": {"type": "count", "window": "1m"}}, "threshold: required"),
        ({**good, "condition": {"type": "sometimes", "window": "1m"}}, "is not one of count"),
        (
            {**good, "condition": {"type": "count", "threshold": 1, "window": "soon"}},
            "not a duration",
        ),
        ({**good, "group_by": "color"}, "group_by: 'color' is not a field of events"),
        ({**good, "severity": "urgent"}, "severity: 'urgent' is not one of info"),
        ({**good, "notify": [{"webhook": "ftp://x"}]}, "not an http(s) URL"),
        ({**good, "filters": {"min_level": "loud"}}, "min_level"),
        (
            {**good, "stream": "slow_queries", "filters": {"level": "error"}},
            "not a filter of slow_queries",
        ),
    ]
    for raw, message in cases:
        with pytest.raises(InputError, match="rule x: ") as caught:
            parse_rule(raw)
        assert message in str(caught.value), (raw, caught.value)
    slow = parse_rule(
        {**good, "stream": "slow_queries", "filters": {"min_ms": "100", "db": "shop"}}
    )
    assert slow.params() == {"db": "shop", "min_ms": 100.0}
    twice = tmp_path / "twice.yaml"
    twice.write_text(yaml.safe_dump({"rules": [good, good]}))
    with pytest.raises(ConfigError, match="rule x is defined twice"):
        load_rules_file(twice)


def test_slow_query_rules_use_the_slow_query_filters(tmp_path: Path) -> None:
    from logs_corpus import truth, write_corpus

    paths = write_corpus(tmp_path / "logs")
    rules = [
        {"name": "slow-burst", "stream": "slow_queries", "filters": {"min_ms": 2500},
         "group_by": "host", "condition": {"type": "count", "threshold": 3, "window": "2h"}},
        {"name": "slowest", "stream": "slow_queries", "filters": {"namespace": "shop.orders"},
         "condition": {"type": "aggregate", "function": "max", "field": "duration_ms",
                       "threshold": 4900, "window": "30m"}},
    ]  # fmt: skip
    (tmp_path / "r.yaml").write_text(yaml.safe_dump({"rules": rules}))
    settings = Settings(root=tmp_path / "lake", workers=2, alert_rules=str(tmp_path / "r.yaml"))
    ingest([str(p) for p in paths], settings, listeners=after_commit(settings))
    slow = [
        Row(int(r.ts.timestamp()) * US + r.ts.microsecond,
            "slow" if r.duration_ms >= 2500 else "fast", r.host, "", int(r.duration_ms))
        for r in truth(paths) if r.message == "Slow query"
    ]  # fmt: skip
    slow.sort(key=lambda r: r.ts_us)
    burst = oracle(Spec("count", 2 * 3600 * US, level="slow", group_by="host", threshold=3), slow)
    slowest = oracle(
        Spec("aggregate", 30 * M, function="max", field="duration_ms", threshold=4900), slow
    )
    assert burst and slowest
    assert logged(settings, "slow-burst") == burst
    assert logged(settings, "slowest") == slowest


def test_one_scan_for_all_rules_reads_each_rule_the_rows_its_own_query_reads(alert_lake) -> None:
    from loglake.alerts.evaluate import all_rules
    from loglake.alerts.rows import batch_rows, rule_lines, rule_rows
    from loglake.analytics.engine import Lake
    from loglake.analytics.sql import iso
    from loglake.schema import Stream

    settings, rows = alert_lake
    rules = [r for r, _ in all_rules(settings) if r.condition.type.value != "new_term"]
    lake = Lake(settings.root, settings)
    try:
        with lake.snapshot() as cur:
            together = batch_rows(cur, Stream.EVENTS, rules, {})
            for rule in rules:
                alone, batched = rule_rows(cur, rule, {}), together[rule.name]
                assert sorted(alone["groups"]) == sorted(batched["groups"]), rule.name
                for name, part in alone["groups"].items():
                    mine = batched["groups"][name]
                    assert alone["ts_us"][part].tolist() == batched["ts_us"][mine].tolist()
                    if rule.condition.type.value == "aggregate":
                        assert sorted(alone["val"][part].tolist()) == sorted(
                            batched["val"][mine].tolist()
                        )
            # the lines picked from the rows read are the ones the lake's own query picks
            for rule in rules:
                fired = [
                    r for r in store.records(settings.root)
                    if r["kind"] == "alert" and r["rule"] == rule.name and r["status"] == "firing"
                ]  # fmt: skip
                window = rule.condition.window_us
                windows = [(r["group"], _us(r["at"]) - window, _us(r["at"])) for r in fired]
                from_lake = rule_lines(cur, rule, windows)
                assert [
                    [(x["ts"], x["file_id"], x["file_offset"], x["text"]) for x in r["lines"]]
                    for r in fired
                ] == [
                    [(iso(x["ts_us"]), x["file_id"], x["file_offset"], x["text"]) for x in got]
                    for got in from_lake
                ], rule.name
            errors = together["errors-per-host"]
            assert len(errors["ts_us"]) == sum(1 for r in rows if r.level == "error") > 0
            assert len(together["host-quiet"]["ts_us"]) == len(rows)
            # past marks at every file's end there is nothing new for any rule
            ends = cur.execute(
                "SELECT file_id, max(file_offset) + 1 FROM events GROUP BY 1"
            ).fetchall()
            empty = batch_rows(cur, Stream.EVENTS, rules, {f: int(n) for f, n in ends})
            assert all(len(c["ts_us"]) == 0 and not c["groups"] for c in empty.values())
    finally:
        lake.close()
