"""The block parser alone over the first blocks of a file, for instruction counts.

    python bench/block_pass.py FILE [--path c|duckdb] [--mb 16] [--repeat 1]

Reads the first `--mb` MB of FILE as 8 MB blocks of whole lines (as ingest deals them),
imports and sets up everything first, then parses every block `--repeat` times with the
C one-pass parser (`c`, json_block_c.py) or the DuckDB path (`duckdb`, json_block.py).
Run it under `perf stat -e instructions` or `valgrind --tool=callgrind` twice, with
`--repeat 0` and `--repeat 1`: the difference is the parser's own count (docs/benchmarks.md,
issue 17). Prints rows per stream so the two paths can be checked to agree.
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

from loglake.formats.base import FileContext
from loglake.formats.mongodb import json_block, json_block_c

BLOCK = 8 * 1024 * 1024
MAX_LINE = 64 * 1024 * 1024


def blocks(path: Path, limit: int) -> list[bytes]:
    """The first `limit` bytes of `path` as blocks that end on a line end."""
    data = path.read_bytes()[:limit]
    data = data[: data.rfind(b"\n") + 1]
    out, start = [], 0
    while start < len(data):
        end = data.rfind(b"\n", start, start + BLOCK) + 1 or len(data)
        out.append(data[start:end])
        start = end
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", type=Path)
    ap.add_argument("--path", choices=("c", "duckdb"), default="c")
    ap.add_argument("--mb", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    ctx = FileContext(file_id="bench", path=str(args.file))
    parser: json_block.JsonBlockParser | json_block_c.CompiledBlockParser
    if args.path == "c":
        parser = json_block_c.CompiledBlockParser(ctx, MAX_LINE)
    else:
        parser = json_block.JsonBlockParser(ctx, MAX_LINE)
    chunks = blocks(args.file, args.mb * 1_000_000)
    rows: collections.Counter[str] = collections.Counter()
    warm = chunks[0][: chunks[0].find(b"\n", 100_000) + 1]
    parser.parse(warm, 0)  # lazy setup in both runs alike (DuckDB's first query, imports)
    for _ in range(args.repeat):
        base = 0
        for chunk in chunks:
            got = parser.parse(chunk, base)
            base += len(chunk)
            for stream, table in got.tables.items():
                rows[stream.value] += table.num_rows
            for stream, _row in got.rows:
                rows[stream.value] += 1
            rows["bad"] += len(got.bad)
    print(f"{args.path}: {sum(map(len, chunks)) / 1e6:.1f} MB x {args.repeat}", dict(rows))


if __name__ == "__main__":
    main()
