"""The Python API in one script: ingest records with a hook, query them, read the metrics.

    python examples/python_api.py [ROOT]

Creates (or adds to) the lake at ROOT (a temporary folder by default), ingests 1,000
generated request records in two commits with a hook that drops DEBUG records and tags
each record with its team, then prints, as JSON: what the ingest accepted and dropped, the
newest ERROR records, the counts per level, the top services, and two metrics.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from typing import Any

import loglake


def requests(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """n seeded request records."""
    rng = random.Random(seed)  # noqa: S311 - seeded sample data, not secrets
    start = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    return [
        {
            "ts": (start + timedelta(seconds=i)).isoformat().replace("+00:00", "Z"),
            "level": rng.choices(["info", "warn", "error", "debug"], [70, 15, 10, 5])[0],
            "service": rng.choice(["api", "billing", "worker"]),
            "msg": f"request {i} took {rng.randrange(1, 900)} ms",
        }
        for i in range(n)
    ]


def tag_team(row: dict[str, Any]) -> dict[str, Any] | None:
    """Drop DEBUG records; add the owning team (it lands in attrs)."""
    if row["level"] == "DEBUG":
        return None
    row["team"] = "payments" if row["component"] == "billing" else "core"
    return row


def main(root: str) -> dict[str, Any]:
    """Run the example over the lake at root; what it found."""
    lake = loglake.Lake(root)
    lake.add_hook(tag_team)
    ingested = lake.ingest_records(requests(1000), batch_records=500)
    errors = lake.logs(level="ERROR", limit=3)
    by_level = lake.aggregate(group_by="level")
    top = lake.aggregate(top="source", limit=3)
    metrics = lake.metrics("json")["metrics"]
    return {
        "ingested": ingested,
        "errors_total": errors["total"],
        "newest_errors": [row["message"] for row in errors["rows"]],
        "by_level": by_level,
        "top_sources": top,
        "records_metric": metrics["loglake_ingest_records"]["samples"],
        "lake_rows": metrics["loglake_lake_rows"]["samples"],
    }


if __name__ == "__main__":
    where = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="loglake-example-")
    print(json.dumps(main(where), indent=1, default=str))
