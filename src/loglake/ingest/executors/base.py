"""What an executor is: something that runs an ingest's tasks and returns their results.

Tasks (`worker.Task`) are picklable and self-contained, and `worker.run_task` turns one
into a `TaskResult`, so an executor only decides where that call happens: in worker
processes on this machine (`local.py`) or, later, on a cluster. It reports bytes read as it
learns of them through `progress` (the deltas add up to the bytes the tasks read): from
finished results, or more often where it can.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence

from loglake.ingest.worker import Task, TaskResult, gzip_chunks

Progress = Callable[[int], None]  # bytes read since the last call


class Executor(ABC):
    """Runs tasks somewhere and returns every result (in any order)."""

    @abstractmethod
    def run(self, tasks: Sequence[Task], progress: Progress) -> list[TaskResult]:
        """Run the tasks of an ingest (`dealt` says in which order they are handed out)."""


def dealt(tasks: Sequence[Task]) -> Iterator[Task]:
    """The tasks as they are handed out: byte ranges, largest first, then the chunks of
    complete lines this process reads out of each `.gz` it deals out (lazily, so an
    executor that holds back while its workers are busy bounds the memory they take)."""
    direct = [t for t in tasks if not t.fan_out]
    yield from sorted(direct, key=task_bytes, reverse=True)
    number = len(tasks)
    for task in (t for t in tasks if t.fan_out):
        for part in gzip_chunks(task, number):
            yield part
            number += 1


def task_bytes(task: Task) -> int:
    """The input bytes a task reads (for a `.gz`, the compressed size)."""
    if task.source.compressed or task.end is None:
        return task.source.size - (0 if task.source.compressed else task.start)
    return task.end - task.start
