"""Fixtures: settings on a temporary root -> a real ingest -> the dataset on disk."""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import settings as hypothesis_settings

from loglake.config import Settings
from loglake.ingest.pipeline import ingest

# No per-example deadline: CI machines are shared and a slow example is not a failure.
hypothesis_settings.register_profile("loglake", deadline=None)
hypothesis_settings.load_profile("loglake")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


def shared(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test when the folder is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not present: ../shared/data holds the real conformance logs")
    return path


def read_source(path: Path) -> bytes:
    """The (decompressed) bytes of a log file."""
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def lines_by_offset(path: Path) -> dict[int, bytes]:
    """Every line of a log by its byte offset, split independently of loglake."""
    lines = {}
    offset = 0
    for raw in read_source(path).split(b"\n"):
        lines[offset] = raw.removesuffix(b"\r")
        offset += len(raw) + 1
    return lines


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a fresh dataset root, two workers, small ranges to exercise splitting."""
    return Settings(root=tmp_path / "lake", workers=2, range_bytes=4 * 1024 * 1024)


IngestFn = Callable[..., dict[str, Any]]


@pytest.fixture
def run_ingest(settings: Settings) -> IngestFn:
    """Ingest paths into the test dataset and return the report."""

    def run(*paths: Path | str, **options: Any) -> dict[str, Any]:
        fmt = options.pop("fmt", None)
        return ingest([str(p) for p in paths], settings.with_options(**options), fmt=fmt)

    return run


def query(root: Path, stream: str, sql: str, params: list[Any] | None = None) -> list[tuple]:
    """Run SQL over one stream's committed Parquet files (the view is called `t`)."""
    files = sorted(str(p) for p in (root / stream).rglob("*.parquet"))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if not files:
        return []
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet({files!r})")
    return con.execute(sql, params or []).fetchall()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(root: Path, **env: str) -> Iterator[str]:
    """`loglake serve` over root in its own process (waitress); yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "loglake", "serve", "--data", str(root), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **env},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
