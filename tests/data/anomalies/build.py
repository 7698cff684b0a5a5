"""Write the crafted anomaly logs (deterministic): `python tests/data/anomalies/build.py`.

Both files hold MongoDB 4.4+ JSON "Slow query" lines over ten hours of 2024-06-03 (UTC),
three patterns at a steady rate with durations cycling through a narrow range:
- queue.jobs find {status}: every 5 minutes, 100-109 ms;
- billing.ledger find {accountId}: twice per 15 minutes, 120-125 ms;
- auth.sessions find {email}: once per 15 minutes, 200-204 ms.
`mongod-flat.log` has nothing else: no anomaly. `mongod-outlier-spike.log` adds one
5,000 ms queue.jobs execution at 05:02:30, 40 more billing.ledger executions (normal
durations) in the 07:00 bucket, and 2 more auth.sessions executions in the 03:00 bucket,
which with its steady one all take 2,000 ms (a latency spike without a count spike).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
START = datetime(2024, 6, 3, 0, 0, tzinfo=UTC)
HOURS = 10


def line(ts: datetime, ns: str, filt: dict[str, Any], plan: str, ms: int, n: int) -> str:
    """One Slow query line (the conn number makes every line distinct)."""
    db, coll = ns.split(".", 1)
    attr = {
        "type": "command",
        "ns": ns,
        "appName": "shop-api",
        "command": {"find": coll, "filter": filt, "$db": db},
        "planSummary": plan,
        "keysExamined": 1,
        "docsExamined": 1,
        "nreturned": 1,
        "numYields": 0,
        "reslen": 300,
        "remote": f"10.0.0.{2 + n % 200}:{40000 + n}",
        "protocol": "op_msg",
        "durationMillis": ms,
    }
    stamp = ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}+00:00"
    record = {
        "t": {"$date": stamp},
        "s": "I",
        "c": "COMMAND",
        "id": 51803,
        "ctx": f"conn{n}",
        "msg": "Slow query",
        "attr": attr,
    }
    return json.dumps(record, separators=(",", ":"))


def steady() -> list[tuple[datetime, str, dict[str, Any], str, int]]:
    """The three patterns at their steady rates."""
    rows = []
    for i in range(HOURS * 12):
        rows.append(
            (
                START + timedelta(minutes=5 * i, seconds=30),
                "queue.jobs",
                {"status": f"s{i % 4}"},
                "IXSCAN { status: 1 }",
                100 + i % 10,
            )
        )
    for i in range(HOURS * 4):
        bucket = START + timedelta(minutes=15 * i)
        for k, minute in enumerate((1, 8)):
            rows.append(
                (
                    bucket + timedelta(minutes=minute),
                    "billing.ledger",
                    {"accountId": 1000 + i},
                    "IXSCAN { accountId: 1 }",
                    120 + (2 * i + k) % 6,
                )
            )
        rows.append(
            (
                bucket + timedelta(minutes=11),
                "auth.sessions",
                {"email": f"u{i}@example.com"},
                "IXSCAN { email: 1 }",
                200 + i % 5,
            )
        )
    return rows  # fmt: skip


def planted() -> list[tuple[datetime, str, dict[str, Any], str, int]]:
    """The outlier execution, the count spike and the latency spike."""
    rows = [
        (
            START + timedelta(hours=5, minutes=2, seconds=30),
            "queue.jobs",
            {"status": "s1"},
            "IXSCAN { status: 1 }",
            5000,
        )
    ]
    spike = START + timedelta(hours=7)
    for k in range(40):
        rows.append(
            (
                spike + timedelta(seconds=10 + 20 * k),
                "billing.ledger",
                {"accountId": 9000 + k},
                "IXSCAN { accountId: 1 }",
                120 + k % 6,
            )
        )
    slow = START + timedelta(hours=3)
    for minute in (2, 5):
        rows.append(
            (
                slow + timedelta(minutes=minute),
                "auth.sessions",
                {"email": "slow@example.com"},
                "IXSCAN { email: 1 }",
                2000,
            )
        )
    return rows  # fmt: skip


def write(name: str, rows: list[tuple[datetime, str, dict[str, Any], str, int]]) -> None:
    """Write rows in time order, one line each."""
    rows = sorted(rows, key=lambda r: r[0])
    text = [line(ts, ns, filt, plan, ms, n) for n, (ts, ns, filt, plan, ms) in enumerate(rows, 10)]
    (HERE / name).write_text("\n".join(text) + "\n")


if __name__ == "__main__":
    write("mongod-flat.log", steady())
    spiked = [
        (
            ts,
            ns,
            filt,
            plan,
            2000 if ns == "auth.sessions" and ts.hour == 3 and ts.minute < 15 else ms,
        )
        for ts, ns, filt, plan, ms in steady()
    ]
    write("mongod-outlier-spike.log", spiked + planted())
