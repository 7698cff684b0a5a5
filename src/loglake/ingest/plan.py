"""Planning an ingest: which files are new, what format they are, and the tasks to run."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from loglake.config import Settings
from loglake.errors import InputError
from loglake.formats.base import FileContext, FormatSpec
from loglake.formats.registry import format_spec, sniff_format
from loglake.ingest.worker import FAN_OUT_CHUNK, Task
from loglake.layout import SOURCE_DIR, gz_index_relpath
from loglake.sources.files import (
    SourceFile,
    expand_inputs,
    fingerprint,
    head_digest,
    head_lines,
    last_line_end,
    open_source,
    split_ranges,
    tail_lines,
)
from loglake.sources.framing import Framing

SKIPPED = "already ingested"
WAITING = "waiting for a complete line"
NOT_A_LOG = "skipped: not a log of a known format"


@dataclass
class PlannedFile:
    """One input and what the ingest will do with it."""

    file_id: str
    source: SourceFile
    display_path: str
    status: str  # "new" or "appended" (to read), or why it is skipped
    format: str | None = None
    start: int = 0
    entry: dict[str, Any] = field(default_factory=dict)
    explicit: bool = True  # named on the command line (not found in a directory or glob)

    @property
    def to_read(self) -> bool:
        """Whether this ingest reads the file."""
        return self.status in ("new", "appended")


def read_stdin_to(staging: Path, stream: BinaryIO | None = None) -> Path:
    """Copy standard input into the staging area, so its lines can be read back later."""
    target = staging / SOURCE_DIR / "stdin.log"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        shutil.copyfileobj(stream or sys.stdin.buffer, out, 8 * 1024 * 1024)
    if target.stat().st_size == 0:
        raise InputError("stdin: no data was read")
    return target


def plan_file(
    path: Path, files: dict[str, Any], display: str | None = None, complete_only: bool = False
) -> PlannedFile:
    """Decide whether a file is new, grew since its last ingest, or was already ingested.

    A file whose beginning is a file already ingested (the same file grown in place, or
    renamed by log rotation and grown) is "appended": only the new bytes are read, under
    the same file_id. With `complete_only` a last line without its newline is left for
    later (a live file being written).
    """
    source = open_source(path)
    print_path = display or str(path)
    if complete_only and not source.gzip:
        source = replace(source, size=last_line_end(path, source.size))
        if source.size == 0:
            return PlannedFile("", source, print_path, WAITING)
    digest = fingerprint(path, source.size)
    head = head_digest(path, source.size)
    for file_id, entry in files.items():
        if entry.get("fingerprint") == digest:
            return PlannedFile(file_id, source, print_path, SKIPPED, entry["format"])
    heads: dict[int, str] = {}  # our head digest over the length each candidate had
    for file_id, entry in files.items():
        done = int(entry.get("ingested_bytes", 0))
        if source.gzip or not 0 < done < source.size:
            continue
        if done not in heads:
            heads[done] = head_digest(path, done)
        if entry.get("head") == heads[done] and fingerprint(path, source.size, done) == entry.get(
            "fingerprint"
        ):
            return PlannedFile(
                file_id,
                source,
                print_path,
                "appended",
                entry["format"],
                done,
                {"fingerprint": digest, "head": head},
            )
    entry = {"fingerprint": digest, "head": head}
    return PlannedFile(digest[:16], source, print_path, "new", entry=entry)


def plan_inputs(
    inputs: list[str],
    manifest: dict[str, Any],
    staging: Path,
    stdin: BinaryIO | None = None,
    complete_only: bool = False,
) -> list[PlannedFile]:
    """Resolve the command-line inputs into planned files (stdin is copied to staging)."""
    paths: list[tuple[Path, str | None, bool]] = []
    regular = [arg for arg in inputs if arg != "-"]
    if "-" in inputs:
        paths.append((read_stdin_to(staging, stdin), "<stdin>", True))
    paths.extend((p, None, explicit) for p, explicit in expand_inputs(regular))
    planned: list[PlannedFile] = []
    seen: set[str] = set()
    for path, display, explicit in paths:
        try:
            item = plan_file(path, manifest["files"], display, complete_only and display is None)
        except InputError as exc:
            if explicit:
                raise
            source = SourceFile(path=path, size=0, gzip=False, mtime=0.0)
            item = PlannedFile("", source, str(path), f"skipped: {str(exc).split(': ', 1)[-1]}")
        item.explicit = explicit
        if item.file_id and item.file_id in seen:
            item.status = SKIPPED
        seen.add(item.file_id)
        if display == "<stdin>":
            if item.status == SKIPPED:
                path.unlink()
            else:
                managed = path.with_name(f"{item.file_id}.log")
                path.replace(managed)
                item.source = replace(item.source, path=managed)
                item.entry["copy"] = f"{SOURCE_DIR}/{managed.name}"
        planned.append(item)
    return planned


def copy_source(item: PlannedFile, staging: Path) -> None:
    """Keep a managed copy of a source under <root>/source/ (--copy-source)."""
    suffix = ".gz" if item.source.gzip else ".log"
    relpath = f"{SOURCE_DIR}/{item.file_id}{suffix}"
    target = staging / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(item.source.path, target)
    item.entry["copy"] = relpath


def detect_format(item: PlannedFile, fmt: str | None, head: list[bytes]) -> FormatSpec | None:
    """The format to read a planned file with; None (and the file skipped) when a file
    found in a directory or by a pattern is not a log of a known format."""
    if fmt:
        return format_spec(fmt, head)
    if item.status == "appended" and item.format:
        return format_spec(item.format)
    try:
        return sniff_format(head, item.display_path)
    except InputError:
        if item.explicit:
            raise
        item.status = NOT_A_LOG
        return None


def build_tasks(
    item: PlannedFile,
    fmt: str | None,
    settings: Settings,
    staging: Path,
    part_prefix: str,
    first_task_no: int,
) -> list[Task]:
    """The tasks that parse one planned file (several byte ranges when it can be split)."""
    head = head_lines(item.source, item.start)
    spec = detect_format(item, fmt, head)
    if spec is None:
        return []
    item.format = spec.name
    mtime_year = dt.datetime.fromtimestamp(item.source.mtime, tz=dt.UTC).year
    year_hint = mtime_year
    if spec.year_hint is not None:
        year_hint = spec.year_hint(head, tail_lines(item.source), mtime_year)
    host = spec.host_of(head) if spec.host_of is not None else None
    if host is None and item.entry.get("host"):
        host = item.entry["host"]
    item.entry["host"] = host
    ctx = FileContext(
        file_id=item.file_id,
        path=str(item.source.path),
        year_hint=year_hint,
        line_prefix=settings.pg_prefix or None,
    )
    if spec.check is not None:
        spec.check(head, ctx)
    splittable = spec.can_split(head)
    if item.source.gzip:
        ranges: list[tuple[int, int | None]] = [(0, None)]
    elif splittable:
        ranges = list(
            split_ranges(
                item.start, item.source.size, settings.range_bytes, settings.effective_workers
            )
        )
    else:
        ranges = [(item.start, None)]
    gz_index = staging / gz_index_relpath(item.file_id) if item.source.gzip else None
    fan_out = (
        item.source.gzip
        and splittable
        and spec.framing is Framing.LINE  # chunks are dealt out cut at line endings
        and not spec.warmup_bytes  # a dealt-out chunk has nothing before it
        and settings.effective_workers > 1
    )
    return [
        Task(
            task_no=first_task_no + n,
            source=item.source,
            start=start,
            end=end,
            format=spec.name,
            ctx=ctx,
            host=host,
            staging=staging,
            part_prefix=part_prefix,
            compression=settings.compression,
            chunk_rows=settings.chunk_rows,
            max_line=settings.max_line_bytes,
            gz_index=gz_index,
            vectorized=settings.vectorized,
            fan_out=fan_out,
            chunk_bytes=min(settings.range_bytes, FAN_OUT_CHUNK),
            resync=n > 0,  # the first range starts a record: the file's start or last end
        )
        for n, (start, end) in enumerate(ranges)
    ]
