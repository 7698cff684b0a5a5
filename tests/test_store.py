"""The store: where a stream's files are, the filesystem seam, the versioned manifest commit."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from conftest import TEST_DATA, IngestFn, query
from loglake.analytics.engine import Lake
from loglake.analytics.polars_lake import PolarsLake
from loglake.config import Settings
from loglake.errors import StoreError
from loglake.ingest.pipeline import ingest
from loglake.schema import Stream
from loglake.store.commit import VERSIONS_KEPT, publish_manifest
from loglake.store.fs import LakeFS, local_path
from loglake.store.manifest import Manifest, Tier, load_manifest
from loglake.store.raw import RawReader
from loglake.store.status import dataset_status
from loglake.store.templates import templates_key

SETUP = TEST_DATA / "mongod-6.0-setup.log"
AUTH = TEST_DATA / "mongod-4.4-auth.log"


def versions(root: Path) -> list[str]:
    """The names in manifests/, sorted."""
    folder = root / "manifests"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def memory_root() -> Iterator[str]:
    """A fresh folder on fsspec's in-memory filesystem (an object store stand-in)."""
    url = f"memory://lake-{uuid.uuid4().hex}"
    yield url
    fs = fsspec.filesystem("memory")
    path = fsspec.core.url_to_fs(url)[1]
    if fs.exists(path):
        fs.rm(path, recursive=True)


def test_locations_are_what_every_reader_reads(run_ingest: IngestFn, settings: Settings):
    run_ingest(SETUP, AUTH)
    root = settings.root
    manifest = Manifest.load(root)
    lake, polars = Lake(root, settings), PolarsLake(root)
    version = lake.refresh()
    assert version == "1"
    views = lake.snapshot_files(version)
    frames = polars.snapshot().files
    status = dataset_status(root)["streams"]
    for stream in Stream:
        locations = manifest.locations(stream)
        on_disk = sorted(str(p) for p in (root / stream.value).rglob("*.parquet"))
        assert [loc.path for loc in locations] == on_disk
        assert [loc.path for loc in locations] == views[stream]
        assert [path for path, _day, _schema in frames[stream]] == views[stream]
        assert sum(loc.rows for loc in locations) == manifest.data["streams"][stream]["rows"]
        assert status[stream]["files"] == len(locations)
        assert status[stream]["bytes"] == sum(Path(loc.path).stat().st_size for loc in locations)
        for loc in locations:
            assert loc.path == str(root / loc.key)
            assert f"date={loc.date}" in loc.key
        assert manifest.locations(stream, Tier.HOT) == locations
    assert manifest.locations(Stream.AUTHENTICATIONS)  # the auth log has some
    lake.close()


def test_every_commit_writes_its_version_once_then_manifest_json(
    run_ingest: IngestFn, settings: Settings
):
    root = settings.root
    run_ingest(SETUP)
    first = (root / "manifest.json").read_bytes()
    run_ingest(AUTH)
    assert versions(root) == ["000000000001.json", "000000000002.json"]
    assert (root / "manifests" / "000000000001.json").read_bytes() == first
    current = (root / "manifest.json").read_bytes()
    assert (root / "manifests" / "000000000002.json").read_bytes() == current
    assert json.loads(current)["dataset_version"] == 2

    manifest = load_manifest(root)  # version 2 again: it exists, so it cannot be written
    with pytest.raises(StoreError, match="version 2 was committed by another writer"):
        publish_manifest(LakeFS(root), manifest)
    assert (root / "manifest.json").read_bytes() == current


def test_only_the_latest_versions_are_kept(run_ingest: IngestFn, settings: Settings):
    run_ingest(SETUP)
    lake = LakeFS(settings.root)
    manifest = load_manifest(settings.root)
    for _ in range(VERSIONS_KEPT + 3):
        manifest["dataset_version"] += 1
        publish_manifest(lake, manifest)
    last = manifest["dataset_version"]
    assert versions(settings.root) == [
        f"{v:012d}.json" for v in range(last - VERSIONS_KEPT + 1, last + 1)
    ]
    assert load_manifest(settings.root)["dataset_version"] == last
    fmap = json.loads((settings.root / "index" / "file_map.json").read_text())
    assert fmap["dataset_version"] == last


def test_a_lake_from_before_versioned_manifests_opens_and_goes_on(
    run_ingest: IngestFn, settings: Settings
):
    root = settings.root
    run_ingest(SETUP)
    shutil.rmtree(root / "manifests")  # what the previous release left: manifest.json only
    lake = Lake(root, settings)
    with lake.snapshot() as cur:
        assert cur.execute("SELECT count(*) FROM events").fetchall() == [(225,)]
    lake.close()
    assert dataset_status(root)["dataset_version"] == 1
    report = run_ingest(AUTH)
    assert report["dataset_version"] == 2
    assert versions(root) == ["000000000002.json"]
    assert query(root, "events", "SELECT count(*) FROM t")[0][0] == 225 + 459


# Runs loglake in a child that dies exactly between writing manifests/<version>.json and
# replacing manifest.json (os.replace is how the local filesystem swaps a file in).
KILLED_AT_THE_POINTER = """
import os, sys
from pathlib import Path

real_replace = os.replace

def replace(src, dst, *args, **kwargs):
    if Path(dst).name == "manifest.json":
        os._exit(17)
    return real_replace(src, dst, *args, **kwargs)

os.replace = replace
from loglake.cli.main import main
sys.argv = ["loglake", *sys.argv[1:]]
main()
"""


def test_a_commit_killed_between_the_two_writes_leaves_the_previous_version(
    run_ingest: IngestFn, settings: Settings
):
    root = settings.root
    run_ingest(SETUP)
    before = (root / "manifest.json").read_bytes()
    cli = ["ingest", "--quiet", "--workers", "2", "--out", str(root), str(AUTH)]
    killed = subprocess.run([sys.executable, "-c", KILLED_AT_THE_POINTER, *cli], check=False)
    assert killed.returncode == 17
    # it died after publishing its files and writing version 2, before the pointer
    assert versions(root) == ["000000000001.json", "000000000002.json"]
    assert (root / "manifest.json").read_bytes() == before
    listed = set(load_manifest(root)["artifacts"])
    on_disk = {str(p.relative_to(root)) for p in root.rglob("*.parquet")}
    assert on_disk - listed, "the killed commit published no data file"

    # readable and consistent: every reader sees version 1 exactly
    lake = Lake(root, settings)
    assert lake.refresh() == "1"
    with lake.snapshot() as cur:
        assert cur.execute("SELECT count(*) FROM events").fetchall() == [(225,)]
        assert cur.execute("SELECT count(*) FROM authentications").fetchall() == [(0,)]
        row = cur.execute("SELECT file_id, file_offset, line_length FROM slow_queries").fetchone()
    lake.close()
    assert b'"id":51803' in RawReader(root).read_line(*row)
    assert dataset_status(root)["streams"]["events"]["rows"] == 225

    warnings: list[str] = []
    report = ingest([str(AUTH)], settings, warn=warnings.append)
    assert any("manifests/000000000002.json" in w for w in warnings)
    assert any("stale" in w for w in warnings)  # the killed process's lock
    assert report["dataset_version"] == 2
    on_disk = {str(p.relative_to(root)) for p in root.rglob("*.parquet")}
    manifest = load_manifest(root)  # its data files and its templates table, nothing else
    assert on_disk == set(manifest["artifacts"]) | {templates_key(manifest)}
    assert (root / "manifests" / "000000000002.json").read_bytes() == (
        root / "manifest.json"
    ).read_bytes()
    assert query(root, "events", "SELECT count(*) FROM t")[0][0] == 225 + 459


def test_lake_fs_on_an_object_store(memory_root: str, tmp_path: Path):
    lake = LakeFS(memory_root)
    assert not lake.local
    assert lake.path("manifest.json").startswith("memory://")
    assert lake.stamp("manifest.json") == (0, 0, 0)
    lake.write_once("manifests/000000000001.json", b"{}")
    with pytest.raises(FileExistsError):
        lake.write_once("manifests/000000000001.json", b"{}")
    lake.replace("manifest.json", b'{"v": 1}')
    first = lake.stamp("manifest.json")
    lake.replace("manifest.json", b'{"v": 22}')
    assert lake.read("manifest.json") == b'{"v": 22}'
    assert lake.stamp("manifest.json") != first
    staged = tmp_path / "part.parquet"
    staged.write_bytes(b"PAR1")
    lake.publish(staged, "events/date=2024-01-01/part-x-00000.parquet")
    assert not staged.exists()
    assert lake.files("events") == ["events/date=2024-01-01/part-x-00000.parquet"]
    assert lake.files("nothing") == []
    lake.remove("events/date=2024-01-01/part-x-00000.parquet")
    lake.remove("events/date=2024-01-01/part-x-00000.parquet")  # already gone: no error
    assert lake.files("events") == []
    assert lake.exists("manifest.json")
    with pytest.raises(FileNotFoundError):
        lake.read("missing.json")


def test_raw_lines_of_sources_elsewhere_come_through_the_seam(
    tmp_path: Path, memory_root: str, run_ingest: IngestFn, settings: Settings
):
    plain = tmp_path / "mongod.log"
    plain.write_bytes(SETUP.read_bytes())
    packed = tmp_path / "auth.log.gz"
    packed.write_bytes(gzip.compress(AUTH.read_bytes()))
    run_ingest(plain, packed)
    fs = fsspec.filesystem("memory")
    fmap_path = settings.root / "index" / "file_map.json"
    fmap = json.loads(fmap_path.read_text())
    for entry in fmap["files"].values():  # the sources move to an object store
        url = f"{memory_root}/{Path(entry['path']).name}"
        fs.pipe_file(url, Path(entry["path"]).read_bytes())
        Path(entry["path"]).unlink()
        entry["path"] = url
        assert local_path(url) is None
    fmap_path.write_text(json.dumps(fmap))
    reader = RawReader(settings.root)
    setup_lines = set(SETUP.read_bytes().split(b"\n"))
    auth_lines = set(AUTH.read_bytes().split(b"\n"))
    rows = query(settings.root, "events", "SELECT file_id, file_offset, line_length FROM t")
    gz_id = next(f for f, e in fmap["files"].items() if e["gzip"])
    for file_id, offset, length in rows[::7]:
        line = reader.read_line(file_id, offset, length)
        assert line in (auth_lines if file_id == gz_id else setup_lines)
    reader.close()
    assert local_path(str(SETUP)) == SETUP
    assert local_path(f"file://{SETUP}") == SETUP


def test_an_unreadable_manifest_says_where_the_versions_are(settings: Settings):
    settings.root.mkdir(parents=True)
    (settings.root / "manifest.json").write_text("{torn")
    with pytest.raises(StoreError, match="manifests/"):
        load_manifest(settings.root)
    (settings.root / "manifest.json").unlink()
    assert load_manifest(settings.root)["dataset_version"] == 0
