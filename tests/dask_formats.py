"""Test-only formats for tests/test_dask_executor.py: MongoDB JSON lines that misbehave.

They are registered in the test process only; the Dask executor ships them to its workers
(by reference, so workers import this module: tests/ is on their path). Each keeps its
state in a file next to the source, which every worker process sees:
- `KILLS_ITS_WORKER_ONCE`: the first task to reach its 1200th record kills its own worker
  process (SIGKILL, as the OOM killer would) and leaves `<source>.killed`; later attempts
  parse normally, so a retried task gives the same rows as an undisturbed ingest.
- `ALWAYS_FAILS`: every attempt appends a line to `<source>.attempts`, then raises.
- `KILLS_ITS_WORKER_ALWAYS`: every attempt appends a line to `<source>.attempts`, then
  kills its worker.
"""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from pathlib import Path

from loglake.formats.base import BadLine, FileContext, LineParser, Parsed
from loglake.formats.mongodb.json_line import SPEC as MONGODB

KILL_AT_RECORD = 1200  # past two flushes of 500 rows: staged Parquet exists when it dies


def _never(_lines: list[bytes]) -> float:
    return 0.0  # chosen with --format only: never sniffed


def _kills_once(ctx: FileContext) -> LineParser:
    parse = MONGODB.make_parser(ctx)
    flag = Path(ctx.path + ".killed")
    seen = 0

    def parser(record: bytes) -> Parsed | BadLine:
        nonlocal seen
        seen += 1
        if seen == KILL_AT_RECORD and not flag.exists():
            flag.write_text(f"{os.getpid()}\n")
            os.kill(os.getpid(), signal.SIGKILL)
        return parse(record)

    return parser


def _always_fails(ctx: FileContext) -> LineParser:
    attempts = Path(ctx.path + ".attempts")

    def parser(_record: bytes) -> Parsed | BadLine:
        with attempts.open("a") as f:
            f.write(f"{os.getpid()}\n")
        raise RuntimeError("this test format fails on every record")

    return parser


def _kills_always(ctx: FileContext) -> LineParser:
    attempts = Path(ctx.path + ".attempts")

    def parser(_record: bytes) -> Parsed | BadLine:
        with attempts.open("a") as f:
            f.write(f"{os.getpid()}\n")
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable: the process is gone")

    return parser


KILLS_ITS_WORKER_ONCE = replace(
    MONGODB, name="test-kills-its-worker-once", priority=0, sniff=_never,
    make_parser=_kills_once, block_parser=None,
)  # fmt: skip
ALWAYS_FAILS = replace(
    MONGODB, name="test-always-fails", priority=0, sniff=_never,
    make_parser=_always_fails, block_parser=None,
)  # fmt: skip
KILLS_ITS_WORKER_ALWAYS = replace(
    MONGODB, name="test-kills-its-worker-always", priority=0, sniff=_never,
    make_parser=_kills_always, block_parser=None,
)  # fmt: skip
