"""CPU cost of query identities (shape, hash) per slow query: compiled vs pure Python.

    python bench/shapes.py FILE [compiled|pure|both|none]

Reads the slow queries' attributes of a MongoDB JSON log, then runs
`json_line.query_identity` (what both ingest paths call per slow query) over all of
them, with the C extension and/or with `shape.pure_python()`, and prints CPU seconds
(`time.process_time`, so other processes on a shared machine count little) and µs per
slow query. Under `valgrind --tool=callgrind` with one mode it gives instruction counts (`none`
only reads the file: subtract it).
docs/benchmarks.md ("Ingest speed work (issue 17)") quotes it.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from loglake.formats.mongodb import json_line, shape


def slow_attrs(path: Path) -> list[dict[str, Any]]:
    attrs = []
    with path.open("rb") as f:
        for line in f:
            try:
                doc = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if type(doc) is dict and doc.get("id") == json_line.SLOW_QUERY:
                attr = doc.get("attr")
                if type(attr) is dict:
                    attrs.append(attr)
    return attrs


def run(attrs: list[dict[str, Any]], pure: bool) -> float:
    identity = json_line.query_identity
    switch = shape.pure_python() if pure else contextlib.nullcontext()
    with switch:
        started = time.process_time()
        for attr in attrs:
            command, origin = attr.get("command"), attr.get("originatingCommand")
            identity(attr.get("ns"), attr.get("type"), command, origin)
        return time.process_time() - started


def main() -> None:
    path = Path(sys.argv[1])
    mode = sys.argv[2] if len(sys.argv) > 2 else "both"
    attrs = slow_attrs(path)
    print(f"{len(attrs):,} slow queries; extension built: {shape.compiled()}")
    modes = {"both": ("pure", "compiled"), "pure": ("pure",), "compiled": ("compiled",)}
    for name in modes.get(mode, ()):
        seconds = run(attrs, pure=name == "pure")
        print(f"{name}: {seconds:.3f} s CPU, {1e6 * seconds / max(len(attrs), 1):.2f} µs each")


if __name__ == "__main__":
    main()
