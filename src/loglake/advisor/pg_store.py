"""A live PostgreSQL snapshot into the lake: its rows as five streams, committed as one version;
and each completed simulation, as one row of `pg_simulations` committed the same way.

The rows go through the ingest's writer (`PartitionedWriter`: one file per stream and day)
and are committed like derived rows (a manifest version of their own, under the dataset
lock), so snapshots accumulate and readers see a snapshot whole or not at all. The manifest
lists the snapshots (`pg.snapshots`: id, time, server, counts), newest last.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from loglake.config import Settings
from loglake.errors import LockError
from loglake.ingest.writer import PartitionedWriter
from loglake.layout import staging_dir
from loglake.schema import Stream, schema_id
from loglake.store.commit import commit
from loglake.store.lock import dataset_change
from loglake.store.manifest import load_manifest, recompute_totals

SNAPSHOTS_LISTED = 500
SIMULATION_LOCK_WAIT_S = 10.0
_SIMULATIONS = threading.Lock()  # one commit at a time from this process's simulations


def _commit(
    settings: Settings,
    part: str,
    host: str,
    rows: dict[Stream, list[dict[str, Any]]],
    listing: tuple[str, dict[str, Any]] | None = None,
) -> int:
    """Write `rows` as one part and commit it as a new dataset version (and list it)."""
    with dataset_change(settings.root, part):
        data = copy.deepcopy(load_manifest(settings.root))
        staging = staging_dir(settings.root, part)
        constants = {"file_id": part, "host": host}
        writer = PartitionedWriter(staging, part, constants, settings.compression, 1_000_000)
        for stream, stream_rows in rows.items():
            for row in stream_rows:
                writer.add(stream, row)
        for f in writer.close():
            data["artifacts"][f.relpath] = {
                "stream": f.stream, "date": f.date, "rows": f.rows, "bytes": f.bytes,
                "sha256": f.sha256, "schema": schema_id(Stream(f.stream)), "ingest_id": part,
            }  # fmt: skip
        if listing is not None:
            listed = data.setdefault("pg", {}).setdefault(listing[0], [])
            listed.append(listing[1])
            del listed[:-SNAPSHOTS_LISTED]
        recompute_totals(data)
        data["dataset_version"] += 1
        commit(settings.root, staging, data)
        return int(data["dataset_version"])


def commit_snapshot(
    settings: Settings,
    snapshot: dict[str, Any],
    rows: dict[Stream, list[dict[str, Any]]],
) -> int:
    """Write and commit one snapshot's rows; the new dataset version."""
    listed = {**snapshot, "rows": {s.value: len(r) for s, r in rows.items()}}
    return _commit(settings, f"pg-{snapshot['snapshot_id']}", snapshot["server"], rows,
                   ("snapshots", listed))  # fmt: skip


def commit_simulation(settings: Settings, row: dict[str, Any]) -> int:
    """Commit one simulation's row (stream `pg_simulations`); the new dataset version.

    Simulations of this process commit one at a time; a lock held by another process (an
    ingest, a collect) is waited for up to `SIMULATION_LOCK_WAIT_S`, then LockError.
    """
    deadline = time.monotonic() + SIMULATION_LOCK_WAIT_S
    part = f"pgsim-{row['simulation_id']}"
    with _SIMULATIONS:
        while True:
            try:
                return _commit(settings, part, row["server"], {Stream.PG_SIMULATIONS: [row]})
            except LockError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


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
