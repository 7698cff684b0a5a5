"""Where one worker's ingest time goes: wall-clock timers around each stage.

    python bench/stages.py FILE [--duckdb]

Ingests FILE with one worker (into a temporary root) with timers wrapped around the block
parser and its stages, the Parquet writes and the template mining inside them (ns per
event). The block parser is the C one-pass parser where the extension is built (its C
pass, the Arrow tables over its buffers, the lines left to the per-line parser);
with `--duckdb` (or without the extension) it is the DuckDB path (the Python shape step,
the auth/connection rows), and the DuckDB SQL alone over the same blocks is timed after.
The notes in docs/benchmarks.md quote it.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from loglake.config import Settings
from loglake.formats.mongodb import json_block, json_block_c
from loglake.ingest import templates, writer
from loglake.ingest.pipeline import ingest
from loglake.sources.files import blocks_in_range

SPENT: collections.Counter[str] = collections.Counter()


def timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            SPENT[name] += time.perf_counter() - started

    return wrapper


def sql_only(path: Path) -> float:
    """Seconds DuckDB spends on the block SQL alone, over every block of the file."""
    con = json_block._connection_of(0)  # the parser's own setup
    spent = 0.0
    with path.open("rb") as f:
        for _offset, block, _size in blocks_in_range(f, 0, None, 1 << 26):
            if block is None:
                continue
            view = np.frombuffer(block, dtype=np.uint8)
            ends = np.flatnonzero(view == 10)
            if not block.endswith(b"\n"):  # the input's last line has no newline
                ends = np.append(ends, len(block))
            starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
            offsets = np.append(starts, len(block)).astype(np.int64)
            lines = pa.Array.from_buffers(
                pa.large_string(), len(starts), [None, pa.py_buffer(offsets), pa.py_buffer(block)]
            )
            table = pa.table(
                {
                    "file_offset": pa.array(starts),
                    "line_length": pa.array(ends - starts),
                    "line": lines,
                }
            )
            con.register("block_lines", table)
            started = time.perf_counter()
            con.sql(json_block._SQL).to_arrow_table()
            spent += time.perf_counter() - started
            con.unregister("block_lines")
    return spent


def _time_the_c_path() -> None:
    parser = json_block_c.CompiledBlockParser
    parser.parse = timed("block parser, all", parser.parse)  # type: ignore[method-assign]
    module = json_block_c._compiled
    module.parse_block = timed("C: one JSON pass (parse_block)", module.parse_block)  # type: ignore[union-attr]
    json_block_c._table = timed("Arrow tables from the C buffers", json_block_c._table)
    parser._per_line = timed("Python: lines left to the per-line parser", parser._per_line)  # type: ignore[method-assign]


def _time_the_duckdb_path() -> None:
    json_block._slow_table = timed("Python: query shapes", json_block._slow_table)
    json_block._other_rows = timed("Python: auth/connection rows", json_block._other_rows)
    json_block.JsonBlockParser.parse = timed("block parser, all", json_block.JsonBlockParser.parse)


def main() -> None:
    path = Path(sys.argv[1])
    compiled = json_block_c.available() and "--duckdb" not in sys.argv[2:]
    if compiled:
        _time_the_c_path()
    else:
        _time_the_duckdb_path()
    writer.PartitionedWriter._write = timed("Parquet writes", writer.PartitionedWriter._write)
    templates.Miner.assign = timed("template mining (in Parquet writes)", templates.Miner.assign)
    switch = contextlib.nullcontext() if compiled else json_block_c.duckdb_only()
    with tempfile.TemporaryDirectory() as tmp, switch:
        started = time.perf_counter()
        report = ingest([str(path)], Settings(root=Path(tmp) / "lake", workers=1))
        total = time.perf_counter() - started
    events = report["rows"]["events"]
    size = path.stat().st_size / 1e6
    print(f"block parser: {'C one pass' if compiled else 'DuckDB SQL + Python'}")
    print(f"total, one worker: {total:.2f} s for {size:.0f} MB ({size / total:.0f} MB/s)")
    if not compiled:
        print(f"DuckDB SQL alone: {sql_only(path):.2f} s")
    for name, seconds in SPENT.items():
        print(f"{name}: {seconds:.2f} s")
    mining = SPENT["template mining (in Parquet writes)"]
    print(f"template mining per event: {1e9 * mining / max(events, 1):.0f} ns ({events:,} events)")


if __name__ == "__main__":
    main()
