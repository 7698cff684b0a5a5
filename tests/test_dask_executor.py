"""The Dask executor on a real `distributed.LocalCluster` (worker processes, loopback TCP).

Rows must be those of the local executor on the same logs; a worker killed in the middle of
a task has the task retried and the ingest succeeds; a task failing on every attempt fails
the ingest after three attempts, and the dataset stays exactly as it was.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import dask_formats
from conftest import TEST_DATA, big_log, free_port, query
from loglake.cli.main import cli
from loglake.config import Settings
from loglake.errors import ConfigError, TaskError
from loglake.formats.registry import register, unregister
from loglake.ingest.executors import open_executor
from loglake.ingest.executors.dask import MAX_ATTEMPTS, DaskExecutor
from loglake.ingest.pipeline import ingest
from loglake.store import fs as lakefs
from loglake.store.manifest import load_manifest
from s3_server import S3Server
from test_executors import Recorder

MiB = 1024 * 1024
AUTH = TEST_DATA / "mongod-4.4-auth.log"
ROWS = {
    "events": "SELECT file_id, file_offset, line_length, ts, severity, message FROM t ORDER BY 1,2",
    "connections": "SELECT file_id, file_offset, ts FROM t ORDER BY 1, 2",
    "authentications": "SELECT file_id, file_offset, ts, user FROM t ORDER BY 1, 2",
}


@pytest.fixture(scope="module")
def cluster(s3_server: S3Server) -> Iterator[str]:
    """Two worker processes (one thread each) on loopback; yields the executor URL."""
    import dask
    from distributed import LocalCluster

    # a task whose worker dies is rescheduled twice: three attempts, as for one that raises
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 2}),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            env=s3_server.env,  # the workers read s3:// sources from the test server
        ) as c,
    ):
        yield "dask://" + c.scheduler_address.removeprefix("tcp://")


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Server]:
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    lakefs._resolve.cache_clear()
    yield s3_server
    lakefs._resolve.cache_clear()


@pytest.fixture
def test_formats() -> Iterator[None]:
    """The misbehaving formats, registered in this process only (workers get them shipped)."""
    specs = (
        dask_formats.KILLS_ITS_WORKER_ONCE,
        dask_formats.ALWAYS_FAILS,
        dask_formats.KILLS_ITS_WORKER_ALWAYS,
    )
    for spec in specs:
        register(spec)
    yield
    for spec in specs:
        unregister(spec.name)


def lake_rows(root: Path) -> dict[str, list[tuple]]:
    return {stream: query(root, stream, sql) for stream, sql in ROWS.items()}


def settings_at(root: Path, executor: str = "local") -> Settings:
    return Settings(root=root, workers=2, range_bytes=MiB, chunk_rows=500, executor=executor)


def test_the_dask_executor_gives_the_rows_of_the_local_one(
    cluster: str, s3_env: S3Server, tmp_path: Path
) -> None:
    big = big_log(tmp_path / "big.log", copies=40)  # ~2.6 MB: three 1 MiB ranges
    packed = tmp_path / "days.log.gz"  # a .gz: this process deals its lines out in chunks
    packed.write_bytes(gzip.compress(big_log(tmp_path / "days.log", copies=12).read_bytes()))
    bucket = s3_env.new_bucket()
    s3_env.client().put_object(Bucket=bucket, Key="logs/auth.log", Body=AUTH.read_bytes())
    inputs = [str(big), str(packed), f"s3://{bucket}/logs/"]

    expected = ingest(inputs, settings_at(tmp_path / "local"))
    progress = Recorder()
    got = ingest(inputs, settings_at(tmp_path / "dask", cluster), progress=progress)

    assert got["rows"] == expected["rows"]
    assert got["rows"]["events"] == 52 * 225 + expected["files"][2]["events"]
    assert [f["events"] for f in got["files"]] == [f["events"] for f in expected["files"]]
    assert lake_rows(tmp_path / "dask") == lake_rows(tmp_path / "local")
    total = big.stat().st_size + packed.stat().st_size + AUTH.stat().st_size
    assert got["bytes"] == total
    progress.assert_moved(total, steps=2)
    manifest = load_manifest(tmp_path / "dask")
    assert manifest["dataset_version"] == 1
    streams = [tmp_path / "dask" / name for name in manifest["streams"]]  # not templates/
    assert sorted(manifest["artifacts"]) == sorted(
        p.relative_to(tmp_path / "dask").as_posix() for d in streams for p in d.rglob("*.parquet")
    )


def test_a_task_whose_worker_is_killed_is_retried(
    cluster: str, tmp_path: Path, test_formats: None
) -> None:
    big = big_log(tmp_path / "big.log", copies=40)
    expected = ingest([str(big)], settings_at(tmp_path / "local"), fmt="mongodb")
    got = ingest(
        [str(big)],
        settings_at(tmp_path / "dask", cluster),
        fmt=dask_formats.KILLS_ITS_WORKER_ONCE.name,
    )
    killed = Path(f"{big}.killed")
    assert killed.exists()  # a worker process really died mid-task
    assert got["rows"] == expected["rows"]
    assert lake_rows(tmp_path / "dask") == lake_rows(tmp_path / "local")


def test_a_task_failing_three_times_fails_the_ingest_and_changes_nothing(
    cluster: str, tmp_path: Path, test_formats: None
) -> None:
    settings = settings_at(tmp_path / "lake", cluster)
    ingest([str(AUTH)], settings)
    before = (tmp_path / "lake" / "manifest.json").read_bytes()
    files_before = sorted(p for p in (tmp_path / "lake").rglob("*") if p.is_file())
    setup = tmp_path / "setup.log"
    setup.write_bytes((TEST_DATA / "mongod-6.0-setup.log").read_bytes())

    with pytest.raises(TaskError, match=r"failed after 3 attempts.*the dataset was not changed"):
        ingest([str(setup)], settings, fmt=dask_formats.ALWAYS_FAILS.name)

    assert Path(f"{setup}.attempts").read_text().count("\n") == MAX_ATTEMPTS == 3
    assert (tmp_path / "lake" / "manifest.json").read_bytes() == before
    assert sorted(p for p in (tmp_path / "lake").rglob("*") if p.is_file()) == files_before
    assert not list((tmp_path / "lake" / ".staging").glob("*"))


def test_a_task_killing_its_worker_every_time_fails_the_ingest_after_three_attempts(
    cluster: str, tmp_path: Path, test_formats: None
) -> None:
    settings = settings_at(tmp_path / "lake", cluster)
    ingest([str(AUTH)], settings)
    before = (tmp_path / "lake" / "manifest.json").read_bytes()
    setup = tmp_path / "setup.log"
    setup.write_bytes((TEST_DATA / "mongod-6.0-setup.log").read_bytes())

    with pytest.raises(TaskError, match=r"KilledWorker.*the dataset was not changed"):
        ingest([str(setup)], settings, fmt=dask_formats.KILLS_ITS_WORKER_ALWAYS.name)

    assert Path(f"{setup}.attempts").read_text().count("\n") == 3
    assert (tmp_path / "lake" / "manifest.json").read_bytes() == before
    assert not list((tmp_path / "lake" / ".staging").glob("*"))
    # the cluster recovers (its nannies restart the workers) and the next ingest succeeds
    again = ingest([str(setup)], settings)
    assert again["rows"]["events"] == 225


def test_the_executor_is_chosen_by_url_or_setting(cluster: str, tmp_path: Path) -> None:
    chosen = open_executor(cluster, 2)
    assert isinstance(chosen, DaskExecutor)
    assert chosen.address == "tcp://" + cluster.removeprefix("dask://")
    with pytest.raises(ConfigError, match="dask://HOST:PORT"):
        open_executor("dask://", 2)
    out = tmp_path / "lake"
    result = CliRunner().invoke(
        cli,
        ["ingest", str(AUTH), "--out", str(out), "--json", "-q"],
        env={"LOGLAKE_EXECUTOR": cluster},
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows"]["events"] == load_manifest(out)["streams"]["events"]["rows"] > 400


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    settings = settings_at(tmp_path / "lake", f"dask://127.0.0.1:{free_port()}")
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler"):
        ingest([str(AUTH)], settings)
    assert not (tmp_path / "lake" / "manifest.json").exists()


def test_a_relative_lake_root_and_stdin_work_on_workers_elsewhere(
    cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the workers' working folder is not this one
    settings = settings_at(Path("lake"), cluster)
    with AUTH.open("rb") as stdin:
        report = ingest(["-"], settings, stdin=stdin)
    expected = ingest([str(AUTH)], settings_at(tmp_path / "local"))
    assert report["rows"] == expected["rows"]
    assert lake_rows(tmp_path / "lake") == lake_rows(tmp_path / "local")
