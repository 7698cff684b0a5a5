"""A live PostgreSQL snapshot into the lake: its rows as five streams, committed as one version.

The rows go through the ingest's writer (`PartitionedWriter`: one file per stream and day)
and are committed like derived rows (a manifest version of their own, under the dataset
lock), so snapshots accumulate and readers see a snapshot whole or not at all. The manifest
lists the snapshots (`pg.snapshots`: id, time, server, counts), newest last.
"""

from __future__ import annotations

import copy
from typing import Any

from loglake.config import Settings
from loglake.ingest.writer import PartitionedWriter
from loglake.layout import staging_dir
from loglake.schema import Stream, schema_id
from loglake.store.commit import commit
from loglake.store.lock import dataset_change
from loglake.store.manifest import load_manifest, recompute_totals

SNAPSHOTS_LISTED = 500


def commit_snapshot(
    settings: Settings,
    snapshot: dict[str, Any],
    rows: dict[Stream, list[dict[str, Any]]],
) -> int:
    """Write and commit one snapshot's rows; the new dataset version."""
    part = f"pg-{snapshot['snapshot_id']}"
    with dataset_change(settings.root, part):
        data = copy.deepcopy(load_manifest(settings.root))
        staging = staging_dir(settings.root, part)
        constants = {"file_id": part, "host": snapshot["server"]}
        writer = PartitionedWriter(staging, part, constants, settings.compression, 1_000_000)
        for stream, stream_rows in rows.items():
            for row in stream_rows:
                writer.add(stream, row)
        for f in writer.close():
            data["artifacts"][f.relpath] = {
                "stream": f.stream, "date": f.date, "rows": f.rows, "bytes": f.bytes,
                "sha256": f.sha256, "schema": schema_id(Stream(f.stream)), "ingest_id": part,
            }  # fmt: skip
        listed = data.setdefault("pg", {}).setdefault("snapshots", [])
        listed.append({**snapshot, "rows": {s.value: len(r) for s, r in rows.items()}})
        del listed[:-SNAPSHOTS_LISTED]
        recompute_totals(data)
        data["dataset_version"] += 1
        commit(settings.root, staging, data)
        return int(data["dataset_version"])


def snapshots(settings: Settings) -> list[dict[str, Any]]:
    """The snapshots the lake holds, oldest first."""
    return list(load_manifest(settings.root).get("pg", {}).get("snapshots", []))


def read(settings: Settings, name: str, values: list[Any]) -> list[dict[str, Any]]:
    """Rows of `analytics/sql/<name>.sql` over the lake (one snapshot of it)."""
    from loglake.analytics import sql
    from loglake.analytics.engine import Lake

    lake = Lake(settings.root, settings)
    try:
        with lake.snapshot() as cur:
            return sql.fetch(cur, sql.load(name), values)
    finally:
        lake.close()
