"""Sources on object storage: `loglake ingest s3://…` against a real S3 server over HTTP.

Every object here is also ingested from a local copy, so the counts the S3 ingest must give
are those of the local ingest of the same bytes, not numbers written into the test.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import TEST_DATA, big_log, lines_by_offset, query
from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.errors import InputError
from loglake.generate import GenSpec, generate
from loglake.ingest.pipeline import ingest
from loglake.store import fs as lakefs
from loglake.store.manifest import load_manifest
from loglake.store.raw import RawReader
from s3_server import S3Server

MiB = 1024 * 1024
AUTH = TEST_DATA / "mongod-4.4-auth.log"
ROWS = "SELECT file_id, file_offset, line_length, ts, host, message FROM t ORDER BY 1, 2"


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Server]:
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    lakefs._resolve.cache_clear()
    yield s3_server
    lakefs._resolve.cache_clear()


def put(s3: S3Server, bucket: str, key: str, path: Path) -> str:
    s3.client().put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
    return f"s3://{bucket}/{key}"


def settings_at(root: Path) -> Settings:
    # 1 MiB ranges: a 2.6 MB object is read as byte ranges by two workers
    return Settings(root=root, workers=2, range_bytes=MiB)


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {f["path"].rsplit("/", 1)[-1]: f["status"] for f in report["files"]}


def test_a_prefix_ingests_like_the_same_files_locally_and_a_rerun_takes_only_new_objects(
    s3_env: S3Server, tmp_path: Path
) -> None:
    big = big_log(tmp_path / "big.log", copies=40)
    assert big.stat().st_size > 2 * MiB  # more than one range
    bucket = s3_env.new_bucket()
    put(s3_env, bucket, "logs/big.log", big)
    put(s3_env, bucket, "logs/auth.log", AUTH)
    put(s3_env, bucket, "other/not-me.log", AUTH)

    local = settings_at(tmp_path / "local")
    expected = ingest([str(big), str(AUTH)], local)
    remote = settings_at(tmp_path / "remote")
    first = ingest([f"s3://{bucket}/logs/"], remote)

    assert first["rows"] == expected["rows"]
    assert first["bad_lines"] == expected["bad_lines"]
    by_name = {f["path"].rsplit("/", 1)[-1]: f for f in first["files"]}
    assert by_name["big.log"]["events"] == 40 * 225  # the setup log's 225 lines, 40 times
    assert by_name["auth.log"]["events"] == expected["files"][1]["events"] > 400
    assert first["bytes"] == big.stat().st_size + AUTH.stat().st_size
    assert statuses(first) == {"auth.log": "new", "big.log": "new"}
    assert query(remote.root, "events", ROWS) == query(local.root, "events", ROWS)
    files = load_manifest(remote.root)["files"]
    assert {e["path"] for e in files.values()} == {
        f"s3://{bucket}/logs/big.log",
        f"s3://{bucket}/logs/auth.log",
    }
    assert all(e["etag"] for e in files.values())

    again = ingest([f"s3://{bucket}/logs/"], remote)
    assert statuses(again) == {"auth.log": "already ingested", "big.log": "already ingested"}
    assert sum(again["rows"].values()) == 0
    assert load_manifest(remote.root)["dataset_version"] == 1

    setup = TEST_DATA / "mongod-6.0-setup.log"
    put(s3_env, bucket, "logs/2023/setup.log", setup)
    third = ingest([f"s3://{bucket}/logs/"], remote)
    alone = ingest([str(setup)], settings_at(tmp_path / "alone"))
    assert statuses(third) == {
        "auth.log": "already ingested",
        "big.log": "already ingested",
        "setup.log": "new",
    }
    assert third["rows"] == alone["rows"]
    assert load_manifest(remote.root)["streams"]["events"]["rows"] == (
        first["rows"]["events"] + alone["rows"]["events"]
    )


def test_a_gz_object_and_a_glob(s3_env: S3Server, tmp_path: Path) -> None:
    big = big_log(tmp_path / "big.log", copies=20)
    packed = tmp_path / "big.log.gz"
    packed.write_bytes(gzip.compress(big.read_bytes(), compresslevel=1))
    bucket = s3_env.new_bucket()
    put(s3_env, bucket, "a/big.log.gz", packed)
    put(s3_env, bucket, "a/auth.log", AUTH)
    put(s3_env, bucket, "a/notes.txt", AUTH)

    globbed = ingest([f"s3://{bucket}/a/*.log"], settings_at(tmp_path / "glob"))
    assert statuses(globbed) == {"auth.log": "new"}

    local = settings_at(tmp_path / "local")
    expected = ingest([str(packed)], local)
    remote = settings_at(tmp_path / "remote")
    got = ingest([f"s3://{bucket}/a/big.log.gz"], remote)
    assert got["rows"] == expected["rows"] == {**got["rows"], "events": 20 * 225}
    assert query(remote.root, "events", ROWS) == query(local.root, "events", ROWS)
    (entry,) = load_manifest(remote.root)["files"].values()
    assert entry["gzip"] and entry["gz_index"]


def remote_bytes(handle: Any) -> int:
    """The bytes an open remote source fetched so far (its fsspec cache counts them)."""
    remote = getattr(handle, "_remote", handle)
    return int(remote.cache.total_requested_bytes)


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gz"])
def test_raw_lines_of_an_object_are_range_reads(
    s3_env: S3Server, tmp_path: Path, packed: bool
) -> None:
    source = tmp_path / "gen.log"
    with source.open("wb") as out:  # seeded, varied lines: a .gz of it is ~3 MB, not tiny
        generate(GenSpec(seed=7, target_bytes=20_000_000), out)
    if packed:
        source = tmp_path / "gen.log.gz"
        source.write_bytes(gzip.compress((tmp_path / "gen.log").read_bytes(), compresslevel=1))
    bucket = s3_env.new_bucket()
    url = put(s3_env, bucket, f"logs/{source.name}", source)
    settings = Settings(root=tmp_path / "lake", workers=2, range_bytes=8 * MiB)
    ingest([url], settings)
    truth = lines_by_offset(source)
    picked = query(
        settings.root,
        "events",
        "SELECT file_id, file_offset, line_length FROM t ORDER BY file_offset DESC LIMIT 3",
    )
    assert picked[0][1] > 18_000_000
    reader = RawReader(settings.root)
    try:
        for file_id, offset, length in picked:
            assert reader.read_line(file_id, offset, length) == truth[offset]
        fetched = remote_bytes(reader._open[picked[0][0]])
    finally:
        reader.close()
    # one range near the end (and, for .gz, from the seek point before it), not the object
    assert 0 < fetched < source.stat().st_size / 2
    assert fetched < 3 * MiB


def test_a_missing_prefix_or_object_is_a_clear_error(s3_env: S3Server, tmp_path: Path) -> None:
    bucket = s3_env.new_bucket()
    settings = settings_at(tmp_path / "lake")
    with pytest.raises(InputError, match="no such object or prefix"):
        ingest([f"s3://{bucket}/nothing/here.log"], settings)
    with pytest.raises(InputError, match="the pattern matched no objects"):
        ingest([f"s3://{bucket}/*.log"], settings)
    s3_env.client().put_object(Bucket=bucket, Key="e/empty.log", Body=b"")
    with pytest.raises(InputError, match="the object is empty"):
        ingest([f"s3://{bucket}/e/empty.log"], settings)
    assert not (settings.root / "manifest.json").exists()


def test_watch_ingests_objects_as_they_arrive(s3_env: S3Server, tmp_path: Path) -> None:
    bucket = s3_env.new_bucket()
    root = tmp_path / "lake"
    put(s3_env, bucket, "in/auth.log", AUTH)
    auth_events = ingest([str(AUTH)], Settings(root=tmp_path / "local"))["rows"]["events"]
    cmd = [sys.executable, "-m", "loglake", "ingest", "--watch", "0.2", "--json", "--out"]
    proc = subprocess.Popen(
        [*cmd, str(root), f"s3://{bucket}/in/"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **s3_env.env},
    )
    try:
        assert wait_for_events(root, auth_events) == auth_events
        put(s3_env, bucket, "in/setup.log", TEST_DATA / "mongod-6.0-setup.log")
        assert wait_for_events(root, auth_events + 225) == auth_events + 225
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()
    rounds = [json.loads(line) for line in out.decode().splitlines()]
    assert [r["rows"]["events"] for r in rounds] == [auth_events, 225]
    assert b"Stopped following" in err


def wait_for_events(root: Path, at_least: int, seconds: float = 60) -> int:
    deadline = time.monotonic() + seconds
    seen = 0
    while time.monotonic() < deadline:
        if (root / "manifest.json").exists():
            seen = load_manifest(root)["streams"]["events"]["rows"]
            if seen >= at_least:
                return seen
        time.sleep(0.1)
    return seen


def test_search_and_detail_over_objects_answer_as_over_local_files(
    s3_env: S3Server, tmp_path: Path
) -> None:
    setup = TEST_DATA / "mongod-6.0-setup.log"
    packed = tmp_path / "setup.log.gz"
    packed.write_bytes(gzip.compress(setup.read_bytes()))
    bucket = s3_env.new_bucket()
    put(s3_env, bucket, "logs/auth.log", AUTH)
    put(s3_env, bucket, "logs/setup.log.gz", packed)
    local, remote = settings_at(tmp_path / "local"), settings_at(tmp_path / "remote")
    ingest([str(AUTH), str(packed)], local)
    ingest([f"s3://{bucket}/logs/"], remote)
    answers = []
    for settings in (local, remote):
        service = Analytics(settings)
        found = service.ask("search", {"q": "Connection accepted", "limit": "500"})
        row = found["rows"][-1]
        detail = service.ask(
            "detail", {"file_id": row["file_id"], "file_offset": str(row["file_offset"])}
        )
        answers.append((found["total"], found["rows"], detail["raw"]))
    assert answers[0][0] > 10
    assert {r["file_id"] for r in answers[1][1]} == {r["file_id"] for r in answers[0][1]}
    assert answers[1] == answers[0]
    assert all(r["line"] and "Connection accepted" in r["line"] for r in answers[1][1])


def test_an_object_rewritten_longer_is_appended_and_copy_source_keeps_its_bytes(
    s3_env: S3Server, tmp_path: Path
) -> None:
    setup = (TEST_DATA / "mongod-6.0-setup.log").read_bytes()
    lines = setup.splitlines(keepends=True)
    first, more = b"".join(lines[:100]), b"".join(lines[100:])
    bucket = s3_env.new_bucket()
    url = f"s3://{bucket}/logs/setup.log"
    s3_env.client().put_object(Bucket=bucket, Key="logs/setup.log", Body=first)
    settings = Settings(root=tmp_path / "lake", workers=2, copy_source=True)
    one = ingest([url], settings)
    s3_env.client().put_object(Bucket=bucket, Key="logs/setup.log", Body=first + more)
    two = ingest([url], settings)
    assert one["rows"]["events"] == 100
    assert [(f["status"], f["events"], f["bytes"]) for f in two["files"]] == [
        ("appended", 125, len(more))
    ]
    (entry,) = load_manifest(settings.root)["files"].values()
    assert entry["path"] == url and entry["size"] == len(setup)
    assert (settings.root / entry["copy"]).exists()
    # the object is gone: the raw line comes from the managed copy
    s3_env.client().delete_object(Bucket=bucket, Key="logs/setup.log")
    (file_id, offset, length), *_ = query(
        settings.root, "events", "SELECT file_id, file_offset, line_length FROM t ORDER BY 2"
    )
    reader = RawReader(settings.root)
    try:
        assert reader.read_line(file_id, offset, length) == lines[0].rstrip(b"\n")
    finally:
        reader.close()
