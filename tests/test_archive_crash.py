"""kill -9 of `loglake archive` at each of its steps: the lake is then in exactly the old or
the new state, never both nor neither, and a re-run completes.

The archive runs in its own process against the real S3 server (moto's server mode);
`LOGLAKE_TEST_STOP_AFTER=N` makes it SIGKILL itself right after step N (1 staged, 2 pending
uploads recorded, 3 first object uploaded, 4 verified, 5 committed).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import TEST_DATA
from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.ingest.pipeline import ingest
from loglake.schema import Stream
from loglake.store import fs as lakefs
from loglake.store.manifest import Manifest, Tier
from s3_server import S3Server

LOGS = [
    TEST_DATA / "mongod-4.4-auth.log",
    TEST_DATA / "mongod-6.0-setup.log",
    *sorted((TEST_DATA / "advisor").glob("mongod-collscan-*.log")),
]
CUT = dt.date(2024, 4, 15)


@pytest.fixture(scope="module")
def s3(s3_server: S3Server) -> Iterator[S3Server]:
    with pytest.MonkeyPatch.context() as mp:
        for name, value in s3_server.env.items():
            mp.setenv(name, value)
        lakefs._resolve.cache_clear()
        yield s3_server
    lakefs._resolve.cache_clear()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crash") / "lake"
    ingest([str(p) for p in LOGS], Settings(root=root, workers=1, chunk_rows=50))
    return root


def _archive(root: Path, cold: str, s3: S3Server, stop_after: int = 0) -> Any:
    days = (dt.date.today() - CUT).days
    env = {**os.environ, **s3.env, "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    env.pop("LOGLAKE_TEST_STOP_AFTER", None)
    if stop_after:
        env["LOGLAKE_TEST_STOP_AFTER"] = str(stop_after)
    args = ["archive", "--data", str(root), "--older-than", f"{days}d", "--to", cold, "--json"]
    return subprocess.run(
        [sys.executable, "-m", "loglake", *args],
        check=False,
        env=env,
        capture_output=True,
        timeout=300,
    )


def _view(root: Path) -> dict[str, Any]:
    """What a reader sees: the summary answer and per-stream counts through the views."""
    analytics = Analytics(Settings(root=root, precomputed_answers=False))
    summary = analytics.ask("summary", {})
    counts = analytics.ask("connections", {})
    return json.loads(json.dumps({"summary": summary, "connections": counts}, default=str))


def _cold_keys(s3: S3Server, bucket: str) -> set[str]:
    found = s3.client().list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"].removeprefix("cold/") for o in found}


def _listed(manifest: Manifest) -> set[str]:
    keys = {k for k, a in manifest.data["artifacts"].items() if a.get("tier") == Tier.COLD}
    for entry in manifest.data["files"].values():
        keys.update(seg["path"] for seg in (entry.get("cold") or {}).get("segments", ()))
    return keys


@pytest.mark.parametrize("step", [1, 2, 3, 4, 5])
def test_a_killed_archive_leaves_the_old_or_the_new_state(
    step: int, pristine: Path, s3: S3Server, tmp_path: Path
) -> None:
    root = tmp_path / "lake"
    shutil.copytree(pristine, root)
    old_manifest = (root / "manifest.json").read_bytes()
    before = _view(root)
    old = Manifest.load(root)
    bucket = s3.new_bucket()
    cold = f"s3://{bucket}/cold"

    killed = _archive(root, cold, s3, stop_after=step)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()

    manifest = Manifest.load(root)
    if step < 5:  # not committed: exactly the old state
        assert (root / "manifest.json").read_bytes() == old_manifest
        streams = old.data["streams"]
        assert all(loc.tier == Tier.HOT for s in streams for loc in manifest.locations(s))
    else:  # committed: exactly the new state, every archived row in the cold tier only
        assert manifest.version == old.version + 1
        assert manifest.cold_root == cold
        assert _listed(manifest) <= _cold_keys(s3, bucket)
        for stream in manifest.data["streams"]:
            for loc in manifest.locations(stream):
                assert (loc.tier == Tier.COLD) == (loc.date < CUT.isoformat())
    assert _view(root) == before  # either way a reader sees every row once

    rerun = _archive(root, cold, s3)
    assert rerun.returncode == 0, rerun.stderr.decode()
    done = Manifest.load(root)
    assert done.version == old.version + 1  # one commit in all, whatever was interrupted
    assert _cold_keys(s3, bucket) == _listed(done)  # no upload of the killed run is left
    # the streams' own files (rollups/ and templates/ hold derived tables, not artifacts)
    hot_files = {
        str(p.relative_to(root)) for s in Stream for p in (root / s.value).rglob("*.parquet")
    }
    hot_listed = {k for k, a in done.data["artifacts"].items() if a.get("tier", "hot") == "hot"}
    assert hot_files == hot_listed  # the moved hot copies are gone
    assert not (root / "index" / "archive-pending.json").exists()
    assert _view(root) == before
