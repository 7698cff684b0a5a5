"""Write the crafted advisor logs (seeded, deterministic): `python tests/data/advisor/build.py`.

Each file holds MongoDB 4.4+ JSON "Slow query" lines (id 51803) for one symptom whose
right index is known; tests/test_advisor*.py state what each must produce.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
START = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)


class Log:
    """One log file's lines, timestamps a few seconds apart."""

    def __init__(self, name: str, seed: int) -> None:
        self.name = name
        self.rng = random.Random(seed)
        self.ts = START
        self.conn = 10
        self.lines: list[str] = []

    def slow(
        self,
        ns: str,
        command: dict[str, Any],
        plan: str,
        *,
        docs: int,
        keys: int,
        nreturned: int | None,
        ms: int,
        kind: str = "command",
        **attr: Any,
    ) -> None:
        """Append one Slow query line."""
        db = ns.split(".", 1)[0]
        self.ts += timedelta(seconds=self.rng.randint(5, 90))
        self.conn += 1
        body: dict[str, Any] = {
            "type": kind,
            "ns": ns,
            "appName": "shop-api",
            "command": {
                **command,
                "lsid": {"id": {"$uuid": "2f1c6a52-3c1f-4c5e-9f55-0a8c7b1d2e3f"}},
                "$db": db,
            },
            "planSummary": plan,
            "keysExamined": keys,
            "docsExamined": docs,
        }
        if nreturned is not None:
            body["nreturned"] = nreturned
        body.update(attr)
        body.setdefault("numYields", docs // 1000)
        body.setdefault("reslen", 200 + 180 * (nreturned or 0))
        body["queryHash"] = (
            hashlib.sha1(json.dumps(command, sort_keys=True).encode()).hexdigest()[:8].upper()
        )
        body["remote"] = f"10.0.0.{self.rng.randint(2, 250)}:{self.rng.randint(30000, 60000)}"
        body["protocol"] = "op_msg"
        body["durationMillis"] = ms
        line = {
            "t": {
                "$date": self.ts.strftime("%Y-%m-%dT%H:%M:%S.")
                + f"{self.ts.microsecond // 1000:03d}+00:00"
            },
            "s": "I",
            "c": "COMMAND" if kind == "command" else "WRITE",
            "id": 51803,
            "ctx": f"conn{self.conn}",
            "msg": "Slow query",
            "attr": body,
        }
        self.lines.append(json.dumps(line, separators=(",", ":")))

    def find(
        self,
        ns: str,
        filt: dict[str, Any],
        plan: str = "COLLSCAN",
        *,
        docs: int,
        nreturned: int,
        ms: int,
        sort: dict[str, int] | None = None,
        keys: int | None = None,
        **attr: Any,
    ) -> None:
        """A find command."""
        command: dict[str, Any] = {"find": ns.split(".", 1)[1], "filter": filt}
        if sort:
            command["sort"] = sort
        for extra in ("skip", "limit"):
            if extra in attr:
                command[extra] = attr.pop(extra)
        self.slow(
            ns,
            command,
            plan,
            docs=docs,
            nreturned=nreturned,
            ms=ms,
            keys=0 if plan == "COLLSCAN" and keys is None else (keys or docs),
            **attr,
        )

    def write(self) -> None:
        (HERE / self.name).write_text("\n".join(self.lines) + "\n")


def day(n: int) -> dict[str, str]:
    return {"$date": f"2024-04-{n:02d}T00:00:00Z"}


def build() -> None:
    """Every crafted log."""
    log = Log("mongod-collscan-esr.log", 1)
    for i in range(6):
        log.find(
            "shop.orders",
            {"status": "A", "createdAt": {"$gte": day(1 + i)}},
            sort={"priority": -1},
            docs=120_000 + i,
            nreturned=40 + i,
            ms=900 + 10 * i,
            hasSortStage=True,
        )
    log.write()

    log = Log("mongod-in-range-collscan.log", 2)
    for i in range(4):
        log.find(
            "inventory.stock",
            {"sku": {"$in": [f"S{i}", f"S{i + 1}", "S9"]}, "qty": {"$lt": 5 + i}},
            docs=80_000,
            nreturned=12,
            ms=700 + i,
        )
    log.write()

    log = Log("mongod-single-equality-collscan.log", 3)
    for i in range(5):
        log.find(
            "users.accounts",
            {"email": f"user{i}@example.com"},
            docs=250_000,
            nreturned=1,
            ms=400 + i,
            limit=1,
        )
    log.write()

    log = Log("mongod-or-branches.log", 4)
    for i in range(3):
        log.find(
            "support.tickets",
            {"$or": [{"assignee": f"agent{i}"}, {"team": "core"}]},
            docs=60_000,
            nreturned=30,
            ms=650 + i,
        )
    log.write()

    log = Log("mongod-ixscan-healthy.log", 5)
    for i in range(8):
        log.find(
            "shop.customers",
            {"customerId": 1000 + i},
            "IXSCAN { customerId: 1 }",
            docs=1,
            keys=1,
            nreturned=1,
            ms=150 + i,
        )
    log.write()

    log = Log("mongod-existing-index.log", 6)
    for i in range(4):  # the index exists; examined >> returned is the data's doing
        log.find(
            "billing.invoices",
            {"accountId": 7 + i, "dueDate": {"$lt": day(20)}},
            "IXSCAN { accountId: 1, dueDate: 1, amount: 1 }",
            docs=9_000,
            keys=9_000,
            nreturned=10,
            ms=500 + i,
        )
    for i in range(3):  # spills, but the {region: 1} prefix it uses is selective
        log.slow(
            "metrics.daily",
            {
                "aggregate": "daily",
                "pipeline": [
                    {"$match": {"region": "eu", "day": {"$gte": day(1 + i)}}},
                    {"$group": {"_id": "$host", "n": {"$sum": 1}}},
                ],
                "cursor": {},
            },
            "IXSCAN { region: 1 }",
            docs=300,
            keys=300,
            nreturned=290,
            ms=800 + i,
            usedDisk=True,
        )
    log.write()

    log = Log("mongod-aggregate-match-sort.log", 7)
    for i in range(5):
        log.slow(
            "analytics.events",
            {
                "aggregate": "events",
                "pipeline": [
                    {"$match": {"type": "click", "ts": {"$gte": day(1 + i)}}},
                    {"$sort": {"ts": -1}},
                    {"$group": {"_id": "$userId", "n": {"$sum": 1}}},
                    {"$sort": {"n": -1}},
                ],
                "cursor": {},
            },
            "COLLSCAN",
            docs=400_000,
            keys=0,
            nreturned=100,
            ms=2_000 + i,
            hasSortStage=True,
        )
    log.write()

    log = Log("mongod-where-regex-not-indexable.log", 8)
    for i in range(3):
        log.find(
            "shop.products",
            {"$where": "this.price > this.cost * 2"},
            docs=50_000,
            nreturned=5,
            ms=3_000 + i,
        )
        log.find(
            "shop.products",
            {"name": {"$regex": f"phone{i}", "$options": "i"}},
            docs=50_000,
            nreturned=3,
            ms=1_200 + i,
        )
        log.find(
            "shop.products",
            {"active": True, "description": {"$regex": "steel"}},
            docs=50_000,
            nreturned=8,
            ms=1_100 + i,
        )
    log.write()

    log = Log("mongod-prefix-dropped.log", 9)
    for i in range(4):
        log.find("crm.leads", {"owner": f"rep{i}"}, docs=30_000, nreturned=50, ms=300 + i)
        log.find(
            "crm.leads",
            {"owner": f"rep{i}", "stage": "won"},
            sort={"score": -1},
            docs=30_000,
            nreturned=5,
            ms=350 + i,
            hasSortStage=True,
        )
    log.write()

    _heuristics()


def _heuristics() -> None:
    """One namespace per heuristic, plus a healthy pattern that must trip none."""
    log = Log("mongod-heuristics.log", 10)
    ok = {"docs": 2, "keys": 2, "nreturned": 2}
    for i in range(3):
        log.find("h.healthy", {"userId": i}, "IXSCAN { userId: 1 }", ms=120, **ok)
        log.find("h.collscan", {"color": "red"}, docs=90_000, nreturned=900, ms=600)
        log.find(
            "h.sort",
            {"kind": "a"},
            "IXSCAN { kind: 1 }",
            sort={"at": 1},
            ms=300,
            hasSortStage=True,
            **ok,
        )
        log.find(
            "h.selective",
            {"kind": "a", "at": {"$gt": day(1)}},
            "IXSCAN { kind: 1 }",
            docs=40_000,
            keys=40_000,
            nreturned=4,
            ms=700,
        )
        log.find(
            "h.big",
            {"userId": i},
            "IXSCAN { userId: 1 }",
            ms=250,
            docs=2,
            keys=2,
            nreturned=2,
            reslen=3 * 1024 * 1024,
        )
        log.find("h.yields", {"userId": i}, "IXSCAN { userId: 1 }", ms=900, numYields=2_500, **ok)
        log.find("h.disk", {"userId": i}, "IXSCAN { userId: 1 }", ms=900, usedDisk=True, **ok)
        log.find("h.regex", {"name": {"$regex": "abc"}}, "IXSCAN { name: 1 }", ms=200, **ok)
        log.find("h.where", {"$where": "this.a > 1"}, "IXSCAN { userId: 1 }", ms=200, **ok)
        log.find("h.expr", {"$expr": {"$gt": ["$a", "$b"]}}, "IXSCAN { a: 1 }", ms=200, **ok)
        log.find(
            "h.skip",
            {"userId": i},
            "IXSCAN { userId: 1 }",
            ms=200,
            skip=5_000,
            docs=5_002,
            keys=5_002,
            nreturned=2,
        )
        log.find("h.replan", {"userId": i}, "IXSCAN { userId: 1 }", ms=200, replanned=True, **ok)
        log.slow(
            "h.conflicts",
            {"q": {"_id": i}, "u": {"$inc": {"n": 1}}},
            "IDHACK",
            kind="update",
            docs=1,
            keys=1,
            nreturned=None,
            nMatched=1,
            nModified=1,
            writeConflicts=4,
            ms=300,
        )
    for _ in range(12):
        log.slow(
            "h.cursor",
            {"getMore": 123456, "collection": "cursor", "batchSize": 2},
            "IXSCAN { userId: 1 }",
            docs=2,
            keys=2,
            nreturned=2,
            ms=110,
            kind="getmore",
            originatingCommand={"find": "cursor", "filter": {"userId": 1}, "batchSize": 2},
        )
    log.write()


if __name__ == "__main__":
    build()
