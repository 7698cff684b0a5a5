"""The local executor: worker processes forked on this machine (inline with one worker).

Workers die with their parent (`worker.init_worker`), so a killed ingest leaves no writer
behind. At most one task more than there are workers is in flight: the chunks a `.gz`
is dealt out in wait in this process until a worker is free, which bounds memory.
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
        results: list[TaskResult] = []
        pending: set[Future[TaskResult]] = set()

        def collect() -> None:
            nonlocal pending
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                result = future.result()
                progress(result.bytes)
                results.append(result)

        with ProcessPoolExecutor(
            max_workers=self.workers if fan_out else min(self.workers, len(tasks)),
            mp_context=mp.get_context("fork"),
            initializer=init_worker,
            initargs=(os.getpid(),),
        ) as pool:
            for task in dealt(tasks):
                while len(pending) > self.workers:  # bounded memory: the rest waits here
                    collect()
                pending.add(pool.submit(run_task, task))
            while pending:
                collect()
        return results


def executor(_url: str, workers: int) -> LocalExecutor:
    """The local executor (`local`, the default): nothing to configure but `workers`."""
    return LocalExecutor(workers)
