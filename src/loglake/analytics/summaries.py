"""Precomputed aggregates so dashboards open instantly (`summaries/` under the root).

One function computes a summary of a list of Parquet files with DuckDB (`sql/summaries_*`);
it serves the per-ingest summary and the dataset summary written after every commit (as an
after-commit listener), and `loglake rebuild-summaries`, which recomputes everything from
the Parquet files alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loglake.analytics.sql import fetch, fetch_one, load
from loglake.errors import StoreError
from loglake.layout import DATASET_SUMMARY, SUMMARIES, summary_relpath
from loglake.schema import Stream
from loglake.store.fs import LakeFS, json_bytes, register_filesystems
from loglake.store.listeners import Commit
from loglake.store.manifest import Manifest, now_iso
from loglake.store.status import require_dataset

TOP_N = 20


def _files(manifest: Manifest, stream: Stream, ingest_id: str | None) -> list[str]:
    return [
        loc.path
        for loc in manifest.locations(stream)
        if ingest_id is None or loc.ingest_id == ingest_id
    ]


def compute_summary(manifest: Manifest, ingest_id: str | None) -> dict[str, Any]:
    """Aggregates over the whole dataset, or over one ingest's files."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(load("summaries_iso"))
        register_filesystems(con, [loc.path for s in Stream for loc in manifest.locations(s)])
        return _summary(con, manifest, ingest_id)
    finally:
        con.close()


def _summary(con: Any, manifest: Manifest, ingest_id: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    slow = _files(manifest, Stream.SLOW_QUERIES, ingest_id)
    if slow:
        out["slow_queries"] = fetch_one(con, load("summaries_slow"), [slow])
        out["plans"] = fetch(con, load("summaries_plans"), [slow])
        out["ops"] = fetch(con, load("summaries_ops"), [slow])
        out["namespaces"] = fetch(con, load("summaries_namespaces"), [slow, TOP_N])
        out["heatmap"] = fetch(con, load("summaries_heatmap"), [slow])
    auth = _files(manifest, Stream.AUTHENTICATIONS, ingest_id)
    if auth:
        out["authentications"] = {
            **fetch_one(con, load("summaries_auth"), [auth]),
            "failures_by_user": fetch(con, load("summaries_auth_failures"), [auth, TOP_N]),
        }
    conns = _files(manifest, Stream.CONNECTIONS, ingest_id)
    if conns:
        out["connections"] = fetch_one(con, load("summaries_connections"), [conns])
    events = _files(manifest, Stream.EVENTS, ingest_id)
    if events:
        out["events"] = fetch_one(con, load("summaries_events"), [events])
        out["severities"] = fetch(con, load("summaries_severities"), [events])
    return out


def _meta(manifest: Manifest) -> dict[str, Any]:
    return {"dataset_version": manifest.version, "computed": now_iso()}


def _write_ingest_summary(manifest: Manifest, ingest_id: str) -> dict[str, Any]:
    mine = compute_summary(manifest, ingest_id)
    body = {"ingest_id": ingest_id, **_meta(manifest), **mine}
    LakeFS(manifest.root).replace(summary_relpath(ingest_id), json_bytes(body))
    return mine


def write_summaries(manifest: Manifest, ingest_id: str | None, busy: bool = False) -> None:
    """Write one ingest's summary (when given) and the dataset summary (left to a later
    commit when `busy`: another follows at once)."""
    dataset = None
    if ingest_id is not None:
        mine = _write_ingest_summary(manifest, ingest_id)
        if all(a["ingest_id"] == ingest_id for a in manifest.data["artifacts"].values()):
            dataset = mine  # the first ingest is the whole dataset
    if dataset is None and busy:
        return
    if dataset is None:
        dataset = compute_summary(manifest, None)
    body = {**_meta(manifest), **dataset}
    LakeFS(manifest.root).replace(DATASET_SUMMARY, json_bytes(body))  # the root may be a URL


def on_commit(commit: Commit) -> None:
    """After-commit listener: the new ingest's summary and the dataset summary."""
    write_summaries(commit.manifest, commit.ingest_id, commit.busy)


def rebuild_ingest_summaries(manifest: Manifest) -> int:
    """Recompute every ingest's summary from the Parquet files alone; how many were written.

    The dataset summary is left to the after-commit listeners (`on_commit`).
    """
    lake = LakeFS(manifest.root)
    for old in lake.files(SUMMARIES):
        if old.rsplit("/", 1)[-1].startswith("ingest-") and old.endswith(".json"):
            lake.remove(old)
    ingest_ids = sorted({a["ingest_id"] for a in manifest.data["artifacts"].values()})
    for ingest_id in ingest_ids:
        _write_ingest_summary(manifest, ingest_id)
    return len(ingest_ids)


def dataset_summary(root: Path) -> dict[str, Any]:
    """The precomputed dataset summary (recomputed when it is older than the manifest)."""
    require_dataset(root)
    manifest = Manifest.load(root)
    path = root / DATASET_SUMMARY
    try:
        summary = json.loads(LakeFS(root).read(DATASET_SUMMARY))  # the root may be a URL
    except (OSError, ValueError):
        summary = {}
    if summary.get("dataset_version") != manifest.version:
        write_summaries(manifest, None)
        summary = json.loads(LakeFS(root).read(DATASET_SUMMARY))
    if not isinstance(summary, dict):
        raise StoreError(f"{path}: unreadable summary; run `loglake rebuild-summaries`")
    return summary
