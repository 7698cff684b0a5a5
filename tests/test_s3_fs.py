"""The filesystem seam on object storage: a LakeFS and open_location over a real S3 server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from loglake.store import fs as lakefs
from s3_server import S3Server


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Server]:
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    lakefs._resolve.cache_clear()
    yield s3_server
    lakefs._resolve.cache_clear()


def test_a_lakefs_on_s3_writes_reads_and_replaces(s3_env: S3Server) -> None:
    bucket = s3_env.new_bucket()
    store = lakefs.LakeFS(f"s3://{bucket}/lake")
    assert not store.local
    store.write_once("manifests/1.json", b'{"v": 1}')
    assert store.read("manifests/1.json") == b'{"v": 1}'
    assert store.files("manifests") == ["manifests/1.json"]
    before = store.stamp("manifests/1.json")
    assert before[1] == 8
    keys = [o["Key"] for o in s3_env.client().list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["lake/manifests/1.json"]


def test_open_location_reads_a_byte_range_of_an_object(s3_env: S3Server) -> None:
    bucket = s3_env.new_bucket()
    body = b"".join(b"line %06d\n" % i for i in range(10_000))
    s3_env.client().put_object(Bucket=bucket, Key="logs/a.log", Body=body)
    with lakefs.open_location(f"s3://{bucket}/logs/a.log") as f:
        f.seek(12 * 5000)
        assert f.read(12) == b"line 005000\n"
