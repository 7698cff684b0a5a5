"""Seeded application records to push, and what the lake committed, read independently.

`records(client, n, seed)` makes n JSON lines, each with a unique `rid` (`client-seq`), a
level and a service drawn from a seeded generator, so a test knows exactly what it sent.
`committed_rids(root)` reads the committed `events` files — only those the manifest lists,
so an orphan left by a killed server does not count — with DuckDB, not loglake's query
layer, and returns how many rows each rid has (1 each: nothing lost, nothing doubled).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

START = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
LEVELS = (("info", 70), ("warn", 15), ("error", 10), ("debug", 5))
SERVICES = ("api", "billing", "worker")


def records(client: str, n: int, seed: int = 0, start: int = 0) -> list[bytes]:
    """n JSON lines of one client, rids `client-start` … `client-(start+n-1)`."""
    rng = random.Random(f"{client}:{seed}")
    names, weights = zip(*LEVELS, strict=True)
    lines = []
    for i in range(start, start + n):
        ts = START + timedelta(milliseconds=137 * i + rng.randrange(100))
        record = {
            "ts": ts.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": rng.choices(names, weights)[0],
            "service": rng.choice(SERVICES),
            "msg": f"request {i} handled in {rng.randrange(1, 900)} ms",
            "rid": f"{client}-{i}",
        }
        lines.append(json.dumps(record).encode() + b"\n")
    return lines


def levels_of(lines: list[bytes]) -> Counter[str]:
    """The levels of sent lines, upper-cased as loglake normalizes them."""
    return Counter(json.loads(line)["level"].upper() for line in lines)


def committed_files(root: Path, stream: str = "events") -> list[str]:
    """The stream's files listed in the committed manifest."""
    manifest = json.loads((root / "manifest.json").read_text())
    return sorted(
        str(root / rel) for rel, art in manifest["artifacts"].items() if art["stream"] == stream
    )


def committed_rids(root: Path) -> Counter[str]:
    """rid -> number of committed events rows carrying it."""
    if not (root / "manifest.json").exists():
        return Counter()
    files = committed_files(root)
    if not files:
        return Counter()
    con = duckdb.connect()
    rows = con.execute(
        "SELECT json_extract_string(attrs, '$.rid') AS rid, count(*) "
        "FROM read_parquet(?) GROUP BY rid",
        [files],
    ).fetchall()
    return Counter(dict(rows))
