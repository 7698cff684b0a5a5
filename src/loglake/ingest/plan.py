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
from loglake.formats.applogs.fields import parse_map
from loglake.formats.base import FileContext, FormatSpec
from loglake.formats.registry import format_spec, sniff_format
from loglake.ingest.hooks import parse_hooks
from loglake.ingest.worker import FAN_OUT_CHUNK, Task
from loglake.layout import SOURCE_DIR, gz_index_relpath
from loglake.sources.compression import codec
from loglake.sources.files import (
    SourceFile,
    checked_object,
    expand_inputs,
    fingerprint,
    head_digest,
    head_lines,
    last_line_end,
    object_source,
    open_raw,
    open_source,
    split_ranges,
    tail_lines,
)
from loglake.sources.framing import Framing
from loglake.sources.objects import is_remote, list_objects

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
    path: Path | SourceFile,
    files: dict[str, Any],
    display: str | None = None,
    complete_only: bool = False,
) -> PlannedFile:
    """Decide whether a file is new, grew since its last ingest, or was already ingested.

    A file whose beginning is a file already ingested (the same file grown in place, or
    renamed by log rotation and grown) is "appended": only the new bytes are read, under
    the same file_id. With `complete_only` a last line without its newline is left for
    later (a live file being written). An object (a listed `SourceFile` with a URL) whose
    key, ETag and size are those of one already ingested is skipped without being read;
    an object is whole once it is listed, so `complete_only` does not apply to it.
    """
    if isinstance(path, SourceFile):
        print_path = display or path.location
        known = _known_object(path, files)
        if known is not None:
            return PlannedFile(known, path, print_path, SKIPPED, files[known]["format"])
        source = checked_object(path)
    else:
        source = open_source(path)
        print_path = display or str(path)
    if complete_only and not source.compressed and not source.url:
        source = replace(source, size=last_line_end(source, source.size))
        if source.size == 0:
            return PlannedFile("", source, print_path, WAITING)
    digest = fingerprint(source, source.size)
    head = head_digest(source, source.size)
    for file_id, entry in files.items():
        if entry.get("fingerprint") == digest:
            return PlannedFile(file_id, source, print_path, SKIPPED, entry["format"])
    heads: dict[int, str] = {}  # our head digest over the length each candidate had
    for file_id, entry in files.items():
        done = int(entry.get("ingested_bytes", 0))
        if source.compressed or not 0 < done < source.size:
            continue
        if done not in heads:
            heads[done] = head_digest(source, done)
        if entry.get("head") == heads[done] and fingerprint(source, source.size, done) == entry.get(
            "fingerprint"
        ):
            return PlannedFile(
                file_id,
                source,
                print_path,
                "appended",
                entry["format"],
                done,
                _identity(source, digest, head),
            )
    entry = _identity(source, digest, head)
    return PlannedFile(digest[:16], source, print_path, "new", entry=entry)


def _identity(source: SourceFile, digest: str, head: str) -> dict[str, Any]:
    """What the manifest's `files` keep to recognise a source (objects: their ETag too)."""
    entry: dict[str, Any] = {"fingerprint": digest, "head": head}
    if source.url:
        entry["etag"] = source.etag
    return entry


def _known_object(source: SourceFile, files: dict[str, Any]) -> str | None:
    """The file_id of the object ingested whole under this key, ETag and size, if any."""
    if not source.etag:
        return None
    for file_id, entry in files.items():
        if (
            entry.get("path") == source.url
            and entry.get("etag") == source.etag
            and entry.get("size") == source.size == entry.get("ingested_bytes")
        ):
            return file_id
    return None


def plan_inputs(
    inputs: list[str],
    manifest: dict[str, Any],
    staging: Path,
    stdin: BinaryIO | None = None,
    complete_only: bool = False,
) -> list[PlannedFile]:
    """Resolve the command-line inputs into planned files (stdin is copied to staging).

    Local files come first, then the objects of each `s3://…` argument (see objects.py).
    """
    paths: list[tuple[Path | SourceFile, str | None, bool]] = []
    regular = [arg for arg in inputs if arg != "-" and not is_remote(arg)]
    if "-" in inputs:
        paths.append((read_stdin_to(staging, stdin), "<stdin>", True))
    paths.extend((p, None, explicit) for p, explicit in expand_inputs(regular))
    listed: dict[str, tuple[SourceFile, bool]] = {}
    for arg in (arg for arg in inputs if is_remote(arg)):
        for url, info, explicit in list_objects(arg):
            named = listed.get(url, (None, False))[1]
            listed[url] = (object_source(url, info), named or explicit)
    paths.extend((obj, None, explicit) for obj, explicit in listed.values())
    planned: list[PlannedFile] = []
    seen: set[str] = set()
    for path, display, explicit in paths:
        try:
            item = plan_file(path, manifest["files"], display, complete_only and display is None)
        except InputError as exc:
            if explicit:
                raise
            source = (
                replace(path, size=0)
                if isinstance(path, SourceFile)
                else SourceFile(path=path, size=0, compression="", mtime=0.0)
            )
            reason = f"skipped: {str(exc).split(': ', 1)[-1]}"
            item = PlannedFile("", source, source.location, reason)
        item.explicit = explicit
        if item.file_id and item.file_id in seen:
            item.status = SKIPPED
        seen.add(item.file_id)
        if display == "<stdin>" and isinstance(path, Path):
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
    suffix = codec(item.source.compression).suffix if item.source.compressed else ".log"
    relpath = f"{SOURCE_DIR}/{item.file_id}{suffix}"
    target = staging / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    with open_raw(item.source) as src, target.open("wb") as out:
        shutil.copyfileobj(src, out, 8 * 1024 * 1024)
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
        path=item.source.location,
        year_hint=year_hint,
        field_map=parse_map(settings.field_map),
        pattern=settings.pattern,
        line_prefix=settings.pg_prefix or None,
    )
    if spec.check is not None:
        spec.check(head, ctx)
    if spec.describe is not None:
        item.entry["fields"] = spec.describe(head, ctx)
    splittable = spec.can_split(head)
    if item.source.compressed:
        ranges: list[tuple[int, int | None]] = [(0, None)]
    elif splittable:
        ranges = list(
            split_ranges(
                item.start, item.source.size, settings.range_bytes, settings.effective_workers
            )
        )
    else:
        ranges = [(item.start, None)]
    gz_index = (
        staging / gz_index_relpath(item.file_id, codec(item.source.compression).index_suffix)
        if item.source.compressed
        else None
    )
    fan_out = (
        item.source.compressed
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
            hooks=parse_hooks(settings.hooks),
        )
        for n, (start, end) in enumerate(ranges)
    ]
