"""Fixtures: settings on a temporary root -> a real ingest -> the lake -> app -> client.

A test module chooses its dataset by overriding `lake_logs` (or `lake`, when it needs
settings of its own); `analytics`, `app`, `client` and `server` then serve that dataset.
`runner` invokes the CLI in-process and `golden` compares a result with its golden file.
"""

from __future__ import annotations

import bz2
import gzip
import json
import os
import re
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
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings

from loglake.analytics.service import Analytics
from loglake.cli.main import cli
from loglake.config import Settings
from loglake.ingest.pipeline import ingest
from loglake.web import create_app
from pg_server import PgCluster, running_pg_cluster, unavailable
from s3_server import S3Server, running_s3_server

# No per-example deadline: CI machines are shared and a slow example is not a failure.
hypothesis_settings.register_profile("loglake", deadline=None)
hypothesis_settings.load_profile("loglake")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"
GOLDEN = Path(__file__).resolve().parent / "golden"
REGEN_GOLDEN = os.environ.get("LOGLAKE_REGEN_GOLDEN") == "1"


def big_log(path: Path, copies: int) -> Path:
    """A large valid log: the setup log's 225 lines repeated, day after day (`copies` times)."""
    setup = TEST_DATA / "mongod-6.0-setup.log"
    lines = [line for line in setup.read_bytes().split(b"\n") if line.strip()]
    with path.open("wb") as out:
        for n in range(copies):
            day = f"2023-01-{1 + n % 28:02d}".encode()
            out.write(b"\n".join(line.replace(b"2022-11-28", day) for line in lines) + b"\n")
    return path


def days_log(path: Path, days: list[str]) -> Path:
    """The setup log's lines once on each of `days` (YYYY-MM-DD), in order: one source whose
    rows span many date partitions (the tiers tests archive part of it). Durations grow by
    a millisecond a day, so no slow query ties with the setup log's own (a tie would make
    "the slowest execution" depend on scan order)."""
    lines = (TEST_DATA / "mongod-6.0-setup.log").read_bytes().splitlines()
    with path.open("wb") as out:
        for n, day in enumerate(days, 1):

            def slower(m: re.Match[bytes], n: int = n) -> bytes:
                return b'"durationMillis":%d' % (int(m[1]) + n)

            for line in lines:
                dated = re.sub(rb'"durationMillis":(\d+)', slower, line)
                out.write(dated.replace(b"2022-11-28", day.encode()) + b"\n")
    return path


def shared(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test when the folder is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not present: ../shared/data holds the real conformance logs")
    return path


def read_source(path: Path) -> bytes:
    """The (decompressed) bytes of a log file."""
    data = path.read_bytes()
    if data[:3] == b"BZh":
        return bz2.decompress(data)
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


@pytest.fixture(scope="module")
def lake_logs() -> list[Path]:
    """The logs a module's lake is ingested from; a module overrides this to pick its own."""
    return [TEST_DATA / "mongod-6.0-setup.log", TEST_DATA / "mongod-4.4-auth.log"]


@pytest.fixture(scope="module")
def lake(lake_logs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The settings of a dataset ingested once per module from `lake_logs` (a real ingest)."""
    settings = Settings(root=tmp_path_factory.mktemp("lake") / "lake", workers=2)
    ingest([str(p) for p in lake_logs], settings)
    return settings


@pytest.fixture(scope="module")
def analytics(lake: Settings) -> Analytics:
    """The service layer over the lake."""
    return Analytics(lake)


@pytest.fixture
def app(lake: Settings) -> Flask:
    """The web application over the lake (one per test: its CSRF token and caches are fresh)."""
    return create_app(lake)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app (real WSGI requests, no server process)."""
    return app.test_client()


ClientFor = Callable[[Settings], FlaskClient]


@pytest.fixture
def client_for() -> ClientFor:
    """A test client of a new app over other settings (a token, the Polars fallback, …)."""
    return lambda settings: create_app(settings).test_client()


class Runner(CliRunner):
    """click's test runner for the `loglake` command."""

    def run(self, *args: str, env: dict[str, str] | None = None, catch: bool = False) -> Result:
        """`loglake ARGS…` in-process; unless `catch`, an unexpected exception is raised."""
        return self.invoke(cli, list(args), env=env, catch_exceptions=catch)


@pytest.fixture
def runner() -> Runner:
    """Runs `loglake` commands in-process."""
    return Runner()


Golden = Callable[[str, Any], None]


@pytest.fixture
def golden() -> Golden:
    """Compare a JSON-ready result with golden/<name>.json; LOGLAKE_REGEN_GOLDEN=1 rewrites it."""

    def check(name: str, result: Any) -> None:
        path = GOLDEN / f"{name}.json"
        got = json.loads(json.dumps(result))  # as a reader of the JSON would see it
        if REGEN_GOLDEN:
            path.parent.mkdir(parents=True, exist_ok=True)
            # sorted keys: a golden file's diff shows changed values, not a new key order
            path.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
        if not path.exists():
            pytest.fail(f"{path} is missing: run with LOGLAKE_REGEN_GOLDEN=1 and review it")
        assert got == json.loads(path.read_text()), f"differs from {path}"

    return check


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


@pytest.fixture(scope="module")
def server(lake: Settings) -> Iterator[str]:
    """`loglake serve` over the lake in its own process (waitress); yields its base URL."""
    with served(lake.root) as url:
        yield url


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A real S3-compatible server (moto's server mode) on loopback, one per test session."""
    with running_s3_server() as server:
        yield server


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A real throwaway PostgreSQL 15 cluster on loopback (tests/pg_server.py), one per session."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    with running_pg_cluster() as cluster:
        yield cluster
