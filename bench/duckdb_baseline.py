"""The baseline a savvy user would reach for instead of loglake: DuckDB's own read_json.

It projects the slow queries (id 51803) of a MongoDB JSON log to one Parquet file, with an
explicit schema and `ignore_errors` so that damaged lines are skipped. `make bench` compares
loglake's ingest throughput with this one's on the same file.

    python bench/duckdb_baseline.py FILE [--out DIR] [--threads N] [--expect GENSTATS.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from typing import Any

import duckdb

# the fields of a slow query a user would keep; `command` stays JSON
_ATTR = {
    "type": "VARCHAR",
    "ns": "VARCHAR",
    "appName": "VARCHAR",
    "command": "JSON",
    "planSummary": "VARCHAR",
    "keysExamined": "BIGINT",
    "docsExamined": "BIGINT",
    "nreturned": "BIGINT",
    "hasSortStage": "BOOLEAN",
    "usedDisk": "BOOLEAN",
    "numYields": "BIGINT",
    "queryHash": "VARCHAR",
    "planCacheKey": "VARCHAR",
    "reslen": "BIGINT",
    "remote": "VARCHAR",
    "durationMillis": "BIGINT",
}
COLUMNS = {
    "t": 'STRUCT("$date" VARCHAR)',
    "s": "VARCHAR",
    "c": "VARCHAR",
    "id": "BIGINT",
    "ctx": "VARCHAR",
    "attr": "STRUCT(" + ", ".join(f'"{k}" {v}' for k, v in _ATTR.items()) + ")",
}
_QUERY = """
COPY (
    SELECT CAST(t."$date" AS TIMESTAMPTZ) AS ts, s AS severity, c AS component, ctx,
           attr.type AS op_type, attr.ns, attr.appName AS app_name, attr.command,
           attr.planSummary AS plan_summary, attr.keysExamined AS keys_examined,
           attr.docsExamined AS docs_examined, attr.nreturned, attr.hasSortStage AS has_sort_stage,
           attr.usedDisk AS used_disk, attr.numYields AS num_yields, attr.queryHash AS query_hash,
           attr.planCacheKey AS plan_cache_key, attr.reslen, attr.remote,
           attr.durationMillis AS duration_ms
    FROM read_json($path, format = 'newline_delimited', columns = $columns,
                   ignore_errors = true, maximum_object_size = 67108864)
    WHERE id = 51803
) TO '{out}' (FORMAT parquet, COMPRESSION zstd)
"""


def duckdb_baseline(log_path: str, out_dir: str, threads: int | None = None) -> dict[str, Any]:
    """Project the slow queries of `log_path` to `out_dir`/slow.parquet; time it."""
    size = os.path.getsize(log_path)
    out = os.path.join(out_dir, "slow.parquet")
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    used = con.execute("SELECT current_setting('threads')").fetchone()
    t0 = time.perf_counter()
    con.execute(
        _QUERY.replace("{out}", out.replace("'", "''")),
        {"path": log_path, "columns": COLUMNS},
    )
    secs = time.perf_counter() - t0
    row = con.execute("SELECT count(*) FROM read_parquet(?)", [out]).fetchone()
    return {
        "tool": f"duckdb {duckdb.__version__} read_json",
        "file": log_path,
        "bytes": size,
        "seconds": round(secs, 3),
        "mb_per_s": round(size / 1e6 / secs, 1),
        "rows": row[0] if row else 0,
        "threads": used[0] if used else None,
        "parquet_bytes": os.path.getsize(out),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", help="a MongoDB JSON log (uncompressed)")
    ap.add_argument("--out", help="folder for slow.parquet (default: a temporary one)")
    ap.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    ap.add_argument("--expect", help="GenStats JSON of the file: check the row count")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="duckdb-baseline-") as tmp:
        result = duckdb_baseline(args.file, args.out or tmp, args.threads)
    if args.expect:
        with open(args.expect) as f:
            expected = json.load(f)["slow"]
        result["expected_rows"] = expected
        result["rows_match"] = result["rows"] == expected
    print(json.dumps(result, indent=2))
    return 0 if result.get("rows_match", True) else 1


if __name__ == "__main__":
    sys.exit(main())
