"""Executors: chosen by name or URL, same rows wherever tasks run, progress that moves."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import TEST_DATA, big_log, query
from loglake.cli.main import cli
from loglake.config import Settings
from loglake.errors import ConfigError
from loglake.ingest.executors import EXECUTORS, open_executor
from loglake.ingest.executors.base import Executor, Progress, dealt
from loglake.ingest.executors.local import LocalExecutor
from loglake.ingest.pipeline import ingest
from loglake.ingest.worker import Task, TaskResult, run_task

SETUP = TEST_DATA / "mongod-6.0-setup.log"
MiB = 1024 * 1024


class Recorder:
    """An ingest progress callback that keeps what the parse phase reported."""

    def __init__(self) -> None:
        self.parse: list[tuple[int, int]] = []

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase == "parse":
            self.parse.append((done, total))

    def assert_moved(self, total: int, steps: int) -> None:
        """Bytes done only grow, reach the total, and took at least `steps` steps before."""
        done = [d for d, _t in self.parse]
        assert done == sorted(done)
        assert {t for _d, t in self.parse} == {total}
        assert done[-1] == total
        assert len({d for d in done if 0 < d < total}) >= steps, done


def events(root: Path) -> list[tuple]:
    return query(
        root, "events", "SELECT file_id, file_offset, line_length, ts FROM t ORDER BY 1, 2"
    )


def test_executors_are_chosen_by_name_or_url(tmp_path: Path) -> None:
    assert isinstance(open_executor("local", 3), LocalExecutor)
    assert open_executor("LOCAL", 3).workers == 3  # type: ignore[attr-defined]
    with pytest.raises(
        ConfigError, match="unknown executor 'ray://h:6379': choose one of dask, local"
    ):
        open_executor("ray://h:6379", 2)
    out = str(tmp_path / "lake")
    result = CliRunner().invoke(cli, ["ingest", str(SETUP), "--out", out, "--executor", "nope"])
    assert result.exit_code == 1
    assert "unknown executor 'nope'" in result.stderr


def test_byte_ranges_report_progress_as_they_finish(tmp_path: Path) -> None:
    log = big_log(tmp_path / "big.log", copies=100)  # ~6 MB: six 1 MiB ranges
    settings = Settings(root=tmp_path / "lake", workers=2, range_bytes=MiB)
    progress = Recorder()
    report = ingest([str(log)], settings, progress=progress)
    assert report["rows"]["events"] == 100 * 225
    progress.assert_moved(log.stat().st_size, steps=3)


def packed_log(tmp_path: Path) -> Path:
    """A ~25 MB log gzipped (fast: 3 MB, more than a read-ahead of compressed input)."""
    log = big_log(tmp_path / "big.log", copies=400)
    packed = tmp_path / "big.log.gz"
    packed.write_bytes(gzip.compress(log.read_bytes(), compresslevel=1))
    return packed


def test_a_single_task_reports_progress_from_inside(tmp_path: Path) -> None:
    packed = packed_log(tmp_path)
    settings = Settings(root=tmp_path / "lake", workers=1)  # a .gz with one worker: one task
    progress = Recorder()
    ingest([str(packed)], settings, progress=progress)
    progress.assert_moved(packed.stat().st_size, steps=1)  # before the only task finished


def test_a_dealt_out_gzip_gives_the_rows_of_one_worker_and_moves_the_bar(tmp_path: Path):
    packed = packed_log(tmp_path)
    one = Settings(root=tmp_path / "one", workers=1)
    ingest([str(packed)], one)
    dealt_out = Settings(root=tmp_path / "two", workers=2, range_bytes=4 * MiB)  # 4 MiB chunks
    progress = Recorder()
    ingest([str(packed)], dealt_out, progress=progress)
    progress.assert_moved(packed.stat().st_size, steps=1)
    assert events(dealt_out.root) == events(one.root)
    assert len(list((dealt_out.root / "events").rglob("*.parquet"))) > 1  # many chunks ran


class ThreadExecutor(Executor):
    """A test executor: the tasks one after another on a thread of its own."""

    def __init__(self, url: str) -> None:
        self.url = url

    def run(self, tasks: Sequence[Task], progress: Progress) -> list[TaskResult]:
        results: list[TaskResult] = []

        def work() -> None:
            for task in dealt(tasks):
                results.append(run_task(task))
                progress(results[-1].bytes)

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        return results


USED: list[str] = []


def executor(url: str, workers: int) -> Executor:
    """This module as an executor module: what `EXECUTORS` imports for `threads://`."""
    del workers
    USED.append(url)
    return ThreadExecutor(url)


def test_an_executor_is_one_module_and_one_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(EXECUTORS, "threads", __name__)
    log = big_log(tmp_path / "big.log", copies=60)
    local = Settings(root=tmp_path / "local", workers=2, range_bytes=MiB)
    ingest([str(log)], local)
    threads = local.with_options(root=tmp_path / "threads", executor="threads://any")
    progress = Recorder()
    report = ingest([str(log)], threads, progress=progress)
    assert USED == ["threads://any"]
    assert report["rows"]["events"] == 60 * 225
    progress.assert_moved(log.stat().st_size, steps=2)
    assert events(threads.root) == events(local.root)
