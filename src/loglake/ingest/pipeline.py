"""An ingest from end to end: lock, recover, plan, run tasks on an executor, commit.

`ingest()` returns the report printed by `loglake ingest --json` (PRODUCT.md §2).
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace as with_fields
from pathlib import Path
from typing import Any, BinaryIO

from loglake.config import Settings
from loglake.errors import InputError
from loglake.ingest.executors import open_executor
from loglake.ingest.executors.base import Executor, task_bytes
from loglake.ingest.hooks import check_hooks, parse_hooks
from loglake.ingest.hooks import summary as hooks_summary
from loglake.ingest.plan import (
    PlannedFile,
    build_tasks,
    copy_source,
    plan_inputs,
)
from loglake.ingest.push import Payload, plan_payloads, record_keys
from loglake.ingest.templates import Template, reconcile, rewrite_ids
from loglake.ingest.worker import Task, TaskResult
from loglake.ingest.writer import file_digest
from loglake.layout import gz_index_relpath, staging_dir
from loglake.schema import LOG_STREAMS, Stream
from loglake.sources.compression import codec
from loglake.store.commit import commit, recover
from loglake.store.listeners import Commit, Listener, notify
from loglake.store.lock import dataset_change
from loglake.store.manifest import (
    Manifest,
    load_manifest,
    now_iso,
    recompute_totals,
    replaced_manifest,
)
from loglake.store.pending import drop_replaced_cold
from loglake.store.templates import (
    MANIFEST_KEY,
    drop_superseded,
    load_templates,
    stage_templates,
    templates_key,
)

ProgressFn = Callable[[str, int, int], None]  # (phase, done bytes, total bytes)
MAX_SAMPLES = 20


def _noop(*_args: Any) -> None:
    return None


def new_ingest_id() -> str:
    """A sortable, unique ingest id: UTC time plus a random suffix."""
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:6]


def ingest(
    inputs: list[str],
    settings: Settings,
    fmt: str | None = None,
    force: bool = False,
    progress: ProgressFn = _noop,
    warn: Callable[[str], None] = _noop,
    stdin: BinaryIO | None = None,
    complete_only: bool = False,
    replace: bool = False,
    listeners: Sequence[Listener] = (),
    payloads: Sequence[Payload] = (),
    on_commit: Callable[[dict[str, Any]], None] | None = None,
    executor: Executor | None = None,
) -> dict[str, Any]:
    """Ingest files into the dataset at `settings.root` and commit them atomically.

    With `complete_only`, a last line without its newline is left for the next run. With
    `replace`, the new files replace the whole dataset in the same atomic commit (the
    version keeps counting up; the old files are removed after the commit). `listeners`
    run after the commit (`analytics.listeners.after_commit` for summaries and answers).
    `payloads` are pushed bodies (ingest/push.py): new sources of their own, never an error
    for having no readable line; the report's `duplicates` holds those already committed.
    `on_commit(report)` is called once the commit is durable, before the listeners (a push
    is acknowledged then: its records are in the lake). `executor`: where the tasks run
    (the settings' executor when None).
    """
    if not inputs and not payloads:
        raise InputError("nothing to ingest: give one or more files, directories, globs or '-'")
    check_hooks(parse_hooks(settings.hooks))
    root = settings.root
    ingest_id = new_ingest_id()
    started = time.perf_counter()
    if executor is None:
        executor = open_executor(settings.executor, settings.effective_workers)
    with dataset_change(root, ingest_id, force, warn):
        manifest = previous = load_manifest(root)
        if replace:
            manifest = replaced_manifest(manifest)
        staging = staging_dir(root, ingest_id)
        staging.mkdir(parents=True)
        try:
            progress("plan", 0, 0)
            planned = plan_inputs(inputs, manifest, staging, stdin, complete_only)
            pushed, duplicates = plan_payloads(payloads, manifest, staging)
            planned += pushed
            tasks = _plan_tasks(
                planned, fmt, settings, staging, ingest_id, warn, must_find=not payloads
            )
            known = [Template(**row) for row in load_templates(root, manifest)]
            known_key = templates_key(manifest)
            seed = tuple((t.template_id, t.source, t.template) for t in known)
            tasks = [with_fields(t, templates=seed) for t in tasks]
            parse_started = time.perf_counter()
            results = run_tasks(tasks, executor, progress)
            parse_seconds = time.perf_counter() - parse_started
            report = _report(ingest_id, planned, results, manifest)
            if settings.hooks:
                report["hooks"] = hooks_summary([r.hooks for r in results if r.hooks])
            if payloads:
                report["duplicates"] = duplicates
            elif tasks and not sum(r.rows["events"] for r in results):
                raise InputError(
                    "no log lines could be read: "
                    + ", ".join(f"{k}: {v}" for k, v in report["bad_lines"].items() if k != "total")
                    + "; check the files, or pass --format"
                )
            if tasks:
                progress("commit", 0, 0)
                _stage_templates(manifest, staging, ingest_id, known, results, settings.compression)
                _update_manifest(manifest, ingest_id, planned, results, report, settings, fmt)
                record_keys(manifest, payloads, report)
                manifest["ingests"][-1]["timings"] = {
                    "parse": round(parse_seconds, 3),
                    "total": round(time.perf_counter() - started, 3),
                }
                commit(root, staging, manifest)
                drop_superseded(root, known_key, manifest)
                if replace:
                    recover(root)  # the replaced files are no longer in the manifest
                    drop_replaced_cold(previous, manifest)  # nor the archived ones
                report["dataset_version"] = manifest["dataset_version"]
                if on_commit is not None:
                    on_commit(report)
                progress("summaries", 0, 0)
                notify(listeners, Commit(Manifest(root, manifest), ingest_id), warn)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # committed files have left it already
    report["seconds"] = round(time.perf_counter() - started, 3)
    return report


def _stage_templates(
    manifest: dict[str, Any],
    staging: Path,
    ingest_id: str,
    known: list[Template],
    results: list[TaskResult],
    compression: str,
) -> None:
    """Reconcile the templates the tasks created or generalized with the lake's and stage the
    table for the commit (left as it is when no task changed a template). Where two workers
    created one template under two ids, the staged events files get the first id."""
    if not any(r.templates for r in results):
        return
    merged, aliases = reconcile(known, (r.templates for r in results), ingest_id)
    if aliases:
        codec = None if compression == "none" else compression
        for r in results:
            if not any(t.template_id in aliases for t in r.templates):
                continue
            for n, f in enumerate(r.files):
                if f.stream == Stream.EVENTS.value:
                    path = staging / f.relpath
                    if rewrite_ids(path, aliases, codec):
                        size, digest = path.stat().st_size, file_digest(path)
                        r.files[n] = with_fields(f, bytes=size, sha256=digest)
    manifest[MANIFEST_KEY] = stage_templates(staging, ingest_id, [t.as_row() for t in merged])


def _plan_tasks(
    planned: list[PlannedFile],
    fmt: str | None,
    settings: Settings,
    staging: Path,
    ingest_id: str,
    warn: Callable[[str], None],
    must_find: bool = True,
) -> list[Task]:
    """The tasks that read the planned files (and managed copies, with --copy-source)."""
    tasks: list[Task] = []
    for planned_file in planned:
        if not planned_file.to_read:
            continue
        tasks.extend(build_tasks(planned_file, fmt, settings, staging, ingest_id, len(tasks)))
        if not planned_file.to_read:
            warn(f"{planned_file.display_path}: {planned_file.status}")
            continue
        if settings.copy_source and "copy" not in planned_file.entry:
            copy_source(planned_file, staging)
    skipped = all(p.status.startswith("skipped:") for p in planned)
    if must_find and not tasks and planned and skipped:
        raise InputError(
            "nothing to ingest: no file is a log of a known format "
            f"({len(planned)} skipped); pass --format to read them anyway"
        )
    return tasks


def run_tasks(tasks: list[Task], executor: Executor, progress: ProgressFn) -> list[TaskResult]:
    """Run tasks on an executor, reporting bytes read as the results tell of them."""
    total = sum(task_bytes(t) for t in tasks)
    done = 0

    def advance(nbytes: int) -> None:
        nonlocal done
        done += nbytes
        progress("parse", done, total)

    results = executor.run(tasks, advance)
    progress("parse", total, total)
    return sorted(results, key=lambda r: r.task_no)


def _report(
    ingest_id: str,
    planned: list[PlannedFile],
    results: list[TaskResult],
    manifest: dict[str, Any],
) -> dict[str, Any]:
    rows: Counter[str] = Counter()
    bad: Counter[str] = Counter()
    for r in results:
        rows.update(r.rows)
        bad.update(r.bad)
    by_file: dict[str, list[TaskResult]] = {}
    for r in results:
        by_file.setdefault(r.file_id, []).append(r)
    files = []
    for item in planned:
        mine = by_file.get(item.file_id, []) if item.to_read else []
        file_bad: Counter[str] = Counter()
        for r in mine:
            file_bad.update(r.bad)
        dropped = sum(r.hooks.dropped for r in mine if r.hooks)
        files.append(
            {
                "file_id": item.file_id,
                "path": item.display_path,
                "format": item.format,
                **({"fields": item.entry["fields"]} if "fields" in item.entry else {}),
                "status": item.status,
                "lines": sum(r.lines for r in mine),
                "events": sum(r.rows["events"] for r in mine),
                "blank_lines": sum(r.blank for r in mine),
                "bad_lines": sum(file_bad.values()),
                "bad_reasons": dict(sorted(file_bad.items())),
                "dropped": dropped,
                "bytes": sum(r.bytes for r in mine),
            }
        )
    return {
        "ingest_id": ingest_id,
        "dataset_version": manifest["dataset_version"],
        "bytes": sum(r.bytes for r in results),
        "seconds": 0.0,
        "rows": {s.value: rows[s.value] for s in LOG_STREAMS},
        "bad_lines": {"total": sum(bad.values()), **dict(sorted(bad.items()))},
        "files": files,
    }


def _samples(results: Iterable[TaskResult]) -> list[dict[str, Any]]:
    samples: list[dict[str, Any]] = []
    per_reason: Counter[str] = Counter()
    for r in results:
        for s in r.samples:
            if per_reason[s["reason"]] < 3 and len(samples) < MAX_SAMPLES:
                per_reason[s["reason"]] += 1
                samples.append(s)
    return samples


def _update_manifest(
    manifest: dict[str, Any],
    ingest_id: str,
    planned: list[PlannedFile],
    results: list[TaskResult],
    report: dict[str, Any],
    settings: Settings,
    fmt: str | None,
) -> None:
    for r in results:
        for f in r.files:
            manifest["artifacts"][f.relpath] = {
                "stream": f.stream,
                "date": f.date,
                "rows": f.rows,
                "bytes": f.bytes,
                "sha256": f.sha256,
                "schema": f.schema,
                "ingest_id": ingest_id,
            }
    recompute_totals(manifest)
    for item in planned:
        if not item.to_read:
            continue
        entry = manifest["files"].setdefault(item.file_id, {})
        mine = [r for r in results if r.file_id == item.file_id]
        entry.update(
            {
                "path": None if item.display_path.startswith("<") else item.source.location,
                "size": item.source.size,
                "gzip": item.source.compression == "gzip",
                **({"compression": item.source.compression} if item.source.compressed else {}),
                "format": item.format,
                "ingested_bytes": item.source.size,
                "lines": entry.get("lines", 0) + sum(r.lines for r in mine),
                "ingest_ids": [*entry.get("ingest_ids", []), ingest_id],
                **item.entry,
            }
        )
        if item.source.compressed:
            suffix = codec(item.source.compression).index_suffix
            entry["gz_index"] = gz_index_relpath(item.file_id, suffix)
    first = [r.first_ts for r in results if r.first_ts is not None]
    last = [r.last_ts for r in results if r.last_ts is not None]
    manifest["dataset_version"] += 1
    manifest["ingests"].append(
        {
            "ingest_id": ingest_id,
            "finished": now_iso(),
            "options": {
                "format": fmt,
                "workers": settings.effective_workers,
                "chunk_rows": settings.chunk_rows,
                "compression": settings.compression,
                "copy_source": settings.copy_source,
            },
            "bytes": report["bytes"],
            "rows": report["rows"],
            "bad_lines": report["bad_lines"],
            "bad_samples": _samples(results),
            **({"hooks": report["hooks"]} if "hooks" in report else {}),
            "files": report["files"],
            "first_ts_us": min(first) if first else None,
            "last_ts_us": max(last) if last else None,
        }
    )
