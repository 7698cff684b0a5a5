"""The local executor: worker processes forked on this machine (inline with one worker).

Workers die with their parent (`worker.init_worker`), so a killed ingest leaves no writer
behind. At most one task more than there are workers is in flight: the chunks a `.gz`
is dealt out in wait in this process until a worker is free, which bounds memory.

`KeptPool` is the same for a long-lived, threaded process (the server's push ingest): its
workers are started once by a fork server (forking a process that runs threads is unsafe)
and serve every ingest until `close()`.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from loglake.ingest.executors.base import Executor, Progress, dealt
from loglake.ingest.worker import Task, TaskResult, init_worker, run_task


class LocalExecutor(Executor):
    """Runs tasks in `workers` forked processes, or in this one."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, tasks: Sequence[Task], progress: Progress) -> list[TaskResult]:
        """Run every task; progress comes from inside a task inline, per task in the pool."""
        if self.workers <= 1 or (len(tasks) <= 1 and not any(t.fan_out for t in tasks)):
            return [run_task(t, progress) for t in dealt(tasks)]
        return self._pool(tasks, progress)

    def _pool(self, tasks: Sequence[Task], progress: Progress) -> list[TaskResult]:
        fan_out = any(t.fan_out for t in tasks)
        with ProcessPoolExecutor(
            max_workers=self.workers if fan_out else min(self.workers, len(tasks)),
            mp_context=mp.get_context("fork"),
            initializer=init_worker,
            initargs=(os.getpid(),),
        ) as pool:
            return run_on(pool, self.workers, tasks, progress)


def run_on(
    pool: ProcessPoolExecutor, workers: int, tasks: Sequence[Task], progress: Progress
) -> list[TaskResult]:
    """Every task's result from a pool, at most one task more than `workers` in flight."""
    results: list[TaskResult] = []
    pending: set[Future[TaskResult]] = set()

    def collect() -> None:
        nonlocal pending
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            result = future.result()
            progress(result.bytes)
            results.append(result)

    for task in dealt(tasks):
        while len(pending) > workers:  # bounded memory: the rest waits here
            collect()
        pending.add(pool.submit(run_task, task))
    while pending:
        collect()
    return results


class KeptPool(Executor):
    """`workers` processes started once (by a fork server) that run every ingest's tasks
    until `close()`; thread-safe for one ingest at a time."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def run(self, tasks: Sequence[Task], progress: Progress) -> list[TaskResult]:
        """Run every task in the kept processes (started on first use)."""
        if self._pool is None:
            context = mp.get_context("forkserver")
            context.set_forkserver_preload(["loglake.ingest.executors.forkserver_init"])
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=context,
                initializer=init_worker,
                initargs=(None,),  # their parent is the fork server, which dies with us
            )
        return run_on(self._pool, self.workers, tasks, progress)

    def close(self) -> None:
        """Stop the processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def executor(_url: str, workers: int) -> LocalExecutor:
    """The local executor (`local`, the default): nothing to configure but `workers`."""
    return LocalExecutor(workers)
