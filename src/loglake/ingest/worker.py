"""One task: a byte range of one file -> records -> parsed rows -> staged Parquet files.

Tasks run where an executor puts them (`executors/`): they share nothing, and return a
picklable `TaskResult` that says, among the rest, how many input bytes they read.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import io
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow.compute as pc

from loglake.formats.base import (
    BadLine,
    BadReason,
    BlockParser,
    BlockResult,
    FileContext,
    FormatSpec,
)
from loglake.formats.registry import format_spec
from loglake.ingest.hooks import Hooks, HookStats
from loglake.ingest.templates import Miner, Template
from loglake.ingest.writer import PartitionedWriter, WrittenFile
from loglake.schema import Stream
from loglake.sources.files import (
    SourceFile,
    blocks_in_range,
    finish_stream,
    open_stream,
)
from loglake.sources.framing import Records, records_in_range

SAMPLES_PER_REASON = 3
FAN_OUT_CHUNK = 32 * 1024 * 1024  # the most decompressed bytes a dealt-out chunk holds
BATCH_RECORDS = 8192  # records a format's batch parser reads at once
_SAMPLE_CHARS = 200

_PR_SET_PDEATHSIG = 1


def init_worker(parent_pid: int | None) -> None:
    """Pool initializer: die with the parent, so a killed ingest leaves no writer behind."""
    # Never let this process's garbage collector finalize objects inherited from the parent:
    # a DuckDB connection the parent no longer used (a server's, a test's) would then be
    # destroyed here, and its destructor joins the parent's threads, which do not exist in
    # a forked child: the worker hangs forever. Objects created here are collected as usual.
    gc.freeze()
    die_with_parent(parent_pid)


def die_with_parent(parent_pid: int | None) -> None:
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if parent_pid is not None and os.getppid() != parent_pid:  # died before prctl took effect
        os._exit(1)


@dataclass(frozen=True)
class Task:
    """A byte range of one source file to parse and stage."""

    task_no: int
    source: SourceFile
    start: int
    end: int | None
    format: str
    ctx: FileContext
    host: str | None
    staging: Path
    part_prefix: str
    compression: str
    chunk_rows: int
    max_line: int
    gz_index: Path | None = None
    vectorized: bool = True
    fan_out: bool = False  # a .gz file the parent reads and deals out to workers in chunks
    chunk_bytes: int = FAN_OUT_CHUNK  # decompressed bytes per dealt-out chunk
    payload: bytes | None = None  # a chunk of complete lines starting at `start`
    input_bytes: int = 0  # compressed bytes the chunk came from (for the report)
    resync: bool = False  # `start` may fall inside a record, which the range before reads
    templates: tuple[tuple[str, str, str], ...] = ()  # the lake's (id, source, text): the seed
    hooks: tuple[str, ...] = ()  # pre-ingest hooks (`module:function`, ingest/hooks.py)


@dataclass
class TaskResult:
    """What a task did: files written and counts."""

    task_no: int
    file_id: str
    files: list[WrittenFile] = field(default_factory=list)
    lines: int = 0
    blank: int = 0
    rows: Counter[str] = field(default_factory=Counter)
    bad: Counter[str] = field(default_factory=Counter)
    samples: list[dict[str, Any]] = field(default_factory=list)
    bytes: int = 0
    first_ts: int | None = None
    last_ts: int | None = None
    seconds: float = 0.0
    templates: list[Template] = field(default_factory=list)  # created or generalized here
    hooks: HookStats | None = None  # what the pre-ingest hooks did, when there are any


def _sample(result: TaskResult, reason: str, offset: int, line: bytes | None, size: int) -> None:
    if result.bad[reason] > SAMPLES_PER_REASON:
        return
    preview = (line or b"")[:_SAMPLE_CHARS].decode("utf-8", "backslashreplace")
    result.samples.append(
        {
            "file_id": result.file_id,
            "reason": reason,
            "file_offset": offset,
            "line_length": size,
            "preview": preview,
        }
    )


@dataclass(frozen=True)
class Span:
    """Which lines of a stream to read, and what to add to offsets in the stream."""

    start: int
    end: int | None
    base: int


def _parse_records(
    task: Task,
    stream: BinaryIO,
    span: Span,
    on_block: Callable[[int], None],
    writer: PartitionedWriter,
    result: TaskResult,
    spec: FormatSpec,
) -> None:
    """The per-record path: one parser call per record (a line, for LINE framing), or
    batches of records for a format's batch parser (no hooks: those see every record)."""
    batch = (
        spec.batch_parser(task.ctx)
        if spec.batch_parser is not None and task.vectorized and not task.hooks
        else None
    )
    parse = batch.parse_one if batch is not None else spec.make_parser(task.ctx)
    hooks = Hooks(task.hooks) if task.hooks else None
    if hooks is not None:
        result.hooks = hooks.stats

    def records(
        start: int, end: int | None, resync: bool, progress: Callable[[int], None] | None = None
    ) -> Records:
        return records_in_range(
            stream, start, end, task.max_line, spec.framing, spec.record_start, progress, resync
        )

    warmup = spec.warmup_bytes
    if warmup and span.start > 0 and span.base == 0:  # learn state from the records before
        begin = max(0, span.start - warmup)
        stream.seek(max(0, begin - 1))
        for _offset, record, _size in records(begin, span.start, True):
            if record is not None and record.strip():
                parse(record)
        stream.seek(span.start - 1)
    add = writer.add
    counts = result.rows
    batched: list[tuple[int, bytes, int]] = []
    for stream_offset, record, size in records(span.start, span.end, task.resync, on_block):
        offset = stream_offset + span.base
        result.lines += 1
        if record is None:
            _bad(result, BadReason.TOO_LONG.value, offset, None, size)
            continue
        if not record.strip():
            result.blank += 1
            continue
        if batch is not None:
            batched.append((offset, record, size))
            if len(batched) >= BATCH_RECORDS:
                _take(batch.parse(batched), writer, result)
                batched = []
            continue
        parsed = parse(record)
        if isinstance(parsed, BadLine):
            _bad(result, parsed.reason.value, offset, record, size)
            continue
        rows = parsed.rows
        if hooks is not None:
            hooked = hooks.apply(rows, offset)
            if hooked is None:
                continue
            rows = hooked
        ts = rows[0][1]["ts"]
        _seen_ts(result, ts, ts)
        for name, row in rows:
            row["file_offset"] = offset
            row["line_length"] = size
            add(name, row)
            counts[name] += 1  # a Stream is its str value, without the cost of `.value`
            if name is Stream.EVENTS and row["ts"] != ts:  # several events in one record
                _seen_ts(result, row["ts"], row["ts"])
    if batch is not None and batched:
        _take(batch.parse(batched), writer, result)


def _parse_blocks(
    task: Task,
    stream: BinaryIO,
    span: Span,
    on_block: Callable[[int], None],
    writer: PartitionedWriter,
    result: TaskResult,
    make_parser: Callable[[FileContext, int], BlockParser],
) -> None:
    """The vectorized path: blocks of lines parsed at once by the format's block parser."""
    parser = make_parser(task.ctx, task.max_line)
    try:
        for stream_offset, block, size in blocks_in_range(
            stream, span.start, span.end, task.max_line, on_block
        ):
            offset = stream_offset + span.base
            if block is None:
                result.lines += 1
                _bad(result, BadReason.TOO_LONG.value, offset, None, size)
                continue
            got = parser.parse(block, offset)
            result.lines += got.lines
            result.blank += got.blank
            _take(got, writer, result)
    finally:
        parser.close()


def _take(got: BlockResult, writer: PartitionedWriter, result: TaskResult) -> None:
    """A block's or a batch's tables, rows and bad lines into the writer and the result
    (flushed together: their rows are written in file order)."""
    for bad_offset, length, reason, line in got.bad:
        _bad(result, reason, bad_offset, line, length)
    with writer.held():
        for name, table in got.tables.items():
            if table.num_rows:
                low, high = pc.min_max(table.column("ts")).values()
                _seen_ts(result, _us(low), _us(high))
                writer.add_table(name, table)
                result.rows[name.value] += table.num_rows
        for name, row in got.rows:
            if name is Stream.EVENTS:
                _seen_ts(result, row["ts"], row["ts"])
            writer.add(name, row)
            result.rows[name.value] += 1


def _us(scalar: Any) -> int:
    return int(scalar.cast("int64").as_py())


def _seen_ts(result: TaskResult, low: int, high: int) -> None:
    if result.first_ts is None or low < result.first_ts:
        result.first_ts = low
    if result.last_ts is None or high > result.last_ts:
        result.last_ts = high


def _bad(result: TaskResult, reason: str, offset: int, line: bytes | None, size: int) -> None:
    result.bad[reason] += 1
    _sample(result, reason, offset, line, size)


def _unreported(_nbytes: int) -> None:
    return None


def run_task(task: Task, report: Callable[[int], None] = _unreported) -> TaskResult:
    """Parse one byte range (or one chunk dealt out by the parent) and stage it as Parquet.

    `report` hears of input bytes as they are read (their sum is `TaskResult.bytes`).
    """
    started = time.perf_counter()
    result = TaskResult(task_no=task.task_no, file_id=task.ctx.file_id)
    miner = Miner(task.templates)
    writer = PartitionedWriter(
        task.staging,
        f"{task.part_prefix}-{task.task_no:05d}",
        {"host": task.host, "file_id": task.ctx.file_id},
        task.compression,
        task.chunk_rows,
        miner,
    )
    spec = format_spec(task.format)
    parse: Callable[
        [Task, BinaryIO, Span, Callable[[int], None], PartitionedWriter, TaskResult], None
    ]
    if task.vectorized and spec.block_parser is not None and not task.hooks:
        parse = functools.partial(_parse_blocks, make_parser=spec.block_parser)
    else:
        parse = functools.partial(_parse_records, spec=spec)
    if task.payload is not None:  # the parent read it: its input bytes are counted at once
        with io.BytesIO(task.payload) as chunk:
            parse(task, chunk, Span(0, None, task.start), lambda _n: None, writer, result)
            result.files = writer.close()
        result.templates = miner.report()
        result.bytes = task.input_bytes
        report(task.input_bytes)
        result.seconds = time.perf_counter() - started
        return result
    stream, position = open_stream(task.source, task.gz_index)
    if task.start > 0:
        stream.seek(task.start - 1)
    stop = task.end if task.end is not None and not task.source.compressed else None
    read_so_far = [position() if task.source.compressed else task.start]

    def on_block(_size: int) -> None:
        now = position() if stop is None else min(position(), stop)
        if now > read_so_far[0]:
            report(now - read_so_far[0])
        read_so_far[0] = now

    try:
        parse(task, stream, Span(task.start, task.end, 0), on_block, writer, result)
        result.files = writer.close()
        result.templates = miner.report()
    finally:
        on_block(0)
        result.bytes = read_so_far[0] - (0 if task.source.compressed else task.start)
        finish_stream(stream)
    result.seconds = time.perf_counter() - started
    return result


def gzip_chunks(task: Task, first_no: int) -> Iterator[Task]:
    """Deal a .gz file out as tasks of complete lines (read here, parsed by workers).

    Reading builds the file's seek index, exported to staging when the file is done.
    """
    stream, position = open_stream(task.source, task.gz_index)
    base = done = 0
    number = first_no

    def chunk(payload: bytes) -> Task:
        nonlocal base, done, number
        now = position()
        part = replace(
            task,
            task_no=number,
            payload=payload,
            start=base,
            end=None,
            gz_index=None,
            fan_out=False,
            input_bytes=now - done,
        )
        base, done, number = base + len(payload), now, number + 1
        return part

    try:
        tail = b""
        while data := stream.read(task.chunk_bytes):
            buffer = tail + data if tail else data
            cut = buffer.rfind(b"\n") + 1
            if cut == 0 and len(buffer) <= task.max_line + task.chunk_bytes:
                tail = buffer  # one line longer than a chunk: keep reading
                continue
            cut = cut or len(buffer)
            tail = buffer[cut:]
            yield chunk(buffer[:cut])
        if tail or position() > done:
            yield chunk(tail)
    finally:
        finish_stream(stream)
