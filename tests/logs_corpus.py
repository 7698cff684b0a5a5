"""A seeded corpus of MongoDB JSON logs for the retrieval tests, and its truth read back raw.

Two servers' logs (hosts alpha and beta, written in different UTC offsets) over three days:
generic messages at every severity and component, authentications naming users and slow
queries with durations. `truth(paths)` reads the files back with the json module alone (not
loglake's parsers), so the tests compare loglake's answers with an independent count.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

START = datetime(2024, 3, 17, 20, 0, tzinfo=UTC)
SPAN = timedelta(days=3)
HOSTS = (("alpha", 27017, timezone(timedelta(hours=5, minutes=30))), ("beta", 27018, UTC))
SEVERITIES = (("I", 60), ("W", 15), ("E", 10), ("F", 2), ("D1", 8), ("D2", 5))
COMPONENTS = ("NETWORK", "COMMAND", "STORAGE", "REPL", "CONTROL")
MESSAGES = (
    "Timeout while reading from socket",
    "Connection refused by peer",
    "WiredTiger checkpoint done",
    "Replication lag of 12 seconds",
    "Index build: done building",
    "timeout waiting for lock",
    "Interrupted operation as its client disconnected",
)
USERS = ("alice", "bob", "carol", "dave")
LEVEL_OF = {"F": "FATAL", "E": "ERROR", "W": "WARN", "I": "INFO", "D": "DEBUG"}


@dataclass(frozen=True)
class Record:
    """One line as the raw file says it: what every filter looks at."""

    path: str
    offset: int
    length: int
    ts: datetime  # UTC
    severity: str
    level: str
    component: str
    message: str
    user: str | None
    host: str
    duration_ms: float | None
    line: bytes


def _t(ts: datetime, zone: timezone) -> dict[str, str]:
    local = ts.astimezone(zone)
    return {"$date": local.isoformat(timespec="milliseconds").replace("+00:00", "Z")}


def _line(rng: random.Random, ts: datetime, zone: timezone, conn: int) -> dict[str, Any]:
    kind = rng.random()
    ctx = f"conn{conn}"
    if kind < 0.08:
        ok = rng.random() < 0.7
        user = rng.choice(USERS)
        return {
            "t": _t(ts, zone), "s": "I", "c": "ACCESS", "id": 20250 if ok else 20249,
            "ctx": ctx,
            "msg": "Successful authentication" if ok else "Authentication failed",
            "attr": {
                "mechanism": "SCRAM-SHA-256", "principalName": user,
                "authenticationDatabase": "admin", "client": f"10.0.0.{conn % 200}:5{conn:04d}",
                **({} if ok else {"result": "AuthenticationFailed: bad password"}),
            },
        }  # fmt: skip
    if kind < 0.14:
        return {
            "t": _t(ts, zone), "s": "I", "c": "COMMAND", "id": 51803, "ctx": ctx,
            "msg": "Slow query",
            "attr": {
                "type": "command", "ns": "shop.orders",
                "command": {"find": "orders", "filter": {"status": "open"}, "$db": "shop"},
                "planSummary": "COLLSCAN", "docsExamined": 1000, "nreturned": 3,
                "numYields": 1, "reslen": 200, "durationMillis": rng.randint(100, 5000),
            },
        }  # fmt: skip
    severity = rng.choices([s for s, _ in SEVERITIES], [w for _, w in SEVERITIES])[0]
    return {
        "t": _t(ts, zone), "s": severity, "c": rng.choice(COMPONENTS),
        "id": rng.randint(1000, 9999), "ctx": ctx, "msg": rng.choice(MESSAGES),
        "attr": {"n": rng.randint(0, 100)},
    }  # fmt: skip


def _compact(doc: dict[str, Any]) -> bytes:
    """A line as mongod writes it: compact JSON."""
    return json.dumps(doc, separators=(",", ":")).encode() + b"\n"


def write_corpus(folder: Path, lines_per_host: int = 1500, seed: int = 7) -> list[Path]:
    """The two servers' logs in `folder` (the same seed, the same bytes)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for host, port, zone in HOSTS:
        times = sorted(START + SPAN * rng.random() for _ in range(lines_per_host))
        docs = [
            {
                "t": _t(times[0], zone), "s": "I", "c": "CONTROL", "id": 4615611,
                "ctx": "initandlisten", "msg": "MongoDB starting",
                "attr": {"pid": 1, "port": port, "host": host, "architecture": "64-bit"},
            }
        ]  # fmt: skip
        docs += [_line(rng, ts, zone, rng.randint(1, 400)) for ts in times]
        path = folder / f"mongod-{host}.log"
        path.write_bytes(
            b"".join(json.dumps(d, separators=(",", ":")).encode() + b"\n" for d in docs)
        )
        paths.append(path)
    return paths


def append_lines(path: Path, count: int, seed: int, start: datetime) -> None:
    """More lines at the end of a log, from `start` on (as a running server writes them)."""
    rng = random.Random(seed)
    host = path.stem.removeprefix("mongod-")
    zone = next(z for h, _, z in HOSTS if h == host)
    times = sorted(start + timedelta(hours=6) * rng.random() for _ in range(count))
    with path.open("ab") as out:
        for ts in times:
            out.write(
                json.dumps(
                    _line(rng, ts, zone, rng.randint(1, 400)), separators=(",", ":")
                ).encode()
                + b"\n"
            )


def truth(paths: list[Path]) -> list[Record]:
    """Every line of the files as the raw JSON says it (json module, not loglake)."""
    records = []
    for path in paths:
        data = path.read_bytes()
        host = None
        offset = 0
        for raw in data.split(b"\n"):
            if raw:
                doc = json.loads(raw)
                attr = doc.get("attr", {})
                if doc["msg"] == "MongoDB starting":
                    host = f"{attr['host']}:{attr['port']}"
                user = attr.get("principalName") if doc["id"] in (20250, 20249) else None
                duration = attr.get("durationMillis")
                records.append(
                    Record(
                        path=str(path), offset=offset, length=len(raw),
                        ts=datetime.fromisoformat(doc["t"]["$date"]).astimezone(UTC),
                        severity=doc["s"], level=LEVEL_OF[doc["s"][0]], component=doc["c"],
                        message=doc["msg"], user=user, host=host or "",
                        duration_ms=None if duration is None else float(duration), line=raw,
                    )
                )  # fmt: skip
            offset += len(raw) + 1
    return records


def newest_first(records: list[Record], file_ids: dict[str, str]) -> list[tuple[str, int]]:
    """(file_id, file_offset) of the records in /api/logs order."""
    keyed = [(r.ts, file_ids[r.path], r.offset) for r in records]
    keyed.sort(reverse=True)
    return [(f, o) for _, f, o in keyed]


# An application's JSON-lines log (jsonl format): fields the retrieval filters read ----------
APP_LEVELS = {"debug": "DEBUG", "info": "INFO", "warning": "WARN", "error": "ERROR",
              30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL"}  # fmt: skip
APP_TAGS = ("beta", "eu", "us", "canary")


def write_app_log(path: Path, lines: int = 2000, seed: int = 5) -> list[dict[str, Any]]:
    """A service's JSON-lines log; the records as written (the truth)."""
    rng = random.Random(seed)
    records = []
    times = sorted(START + SPAN * rng.random() for _ in range(lines))
    for i, ts in enumerate(times):
        record = {
            "time": ts.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": rng.choice(list(APP_LEVELS)),
            "msg": rng.choice(("request done", "cache miss", "timeout calling db", "retrying")),
            "user_id": rng.choice(("u1", "u2", "u3", "u4", "u5")),
            "service": rng.choice(("api", "billing", "worker")),
            "hostname": rng.choice(("web-1", "web-2")),
            "request_id": f"req-{i % 300}",
            "tags": rng.sample(APP_TAGS, rng.randint(0, 2)),
            "region": rng.choice(("eu-west", "us-east")),
            "ctx": {"tenant": rng.choice(("acme", "globex"))},
            "latency": round(rng.uniform(1, 900), 3),
        }
        if rng.random() < 0.3:
            record["status"] = rng.choice((200, 404, 500))
        records.append(record)
    path.write_bytes(b"".join(_compact(r) for r in records))
    return records
