"""The Dask executor: an ingest's tasks on a Dask distributed cluster (`dask://host:port`).

The client (this process) plans, hands the tasks to the scheduler and commits once, exactly
as with the local executor; workers only run `worker.run_task`. So every worker must reach
what a task names: the source (an `s3://` object, with the same `LOGLAKE_S3_ENDPOINT_URL`
and AWS credentials in the workers' environment, or a path they all mount) and the staging
area under the lake root (a shared path), where they write Parquet and return their row
counts and file list. Formats registered in this process but not on the workers (a plugin's)
travel with the tasks and are registered there on first use.

Failures: a task that raises is tried `MAX_ATTEMPTS` times in all (Dask's `retries`); a task
whose worker dies is rescheduled by the scheduler on another worker, as often as the
scheduler's `distributed.scheduler.allowed-failures` says (Dask's default 3; 2 gives three
attempts in all, like a task that raises: the tests' cluster). A task that still fails fails the
ingest: no new task is handed out, the ones running are waited for (so nothing writes into
the staging area once it is removed), and the previous dataset stays as it was. At most
one task more than the cluster has threads is in flight, so the `.gz` chunks this process
deals out wait here, as with the local executor. Progress is reported per finished task.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from loglake.errors import ConfigError, TaskError
from loglake.formats.base import FormatSpec
from loglake.formats.registry import format_names, format_spec, register
from loglake.ingest.executors.base import Executor, Progress, dealt
from loglake.ingest.worker import Task, TaskResult, run_task

MAX_ATTEMPTS = 3  # tries of a task that raises, before the ingest fails
CONNECT_TIMEOUT = "10s"
_REGISTERING = threading.Lock()


def run_on_worker(task: Task, specs: tuple[FormatSpec, ...]) -> TaskResult:
    """What a Dask worker runs: register formats it does not know, then the task."""
    with _REGISTERING:
        known = set(format_names())
        for spec in specs:
            if spec.name not in known:
                register(spec)
    return run_task(task)


class DaskExecutor(Executor):
    """Runs tasks on the Dask cluster whose scheduler listens at `address`."""

    def __init__(self, address: str) -> None:
        self.address = address

    def _client(self) -> Any:
        from distributed import Client

        try:
            return Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(
                f"cannot reach the Dask scheduler at {self.address}: {exc}; "
                "start one (dask scheduler) or choose another --executor"
            ) from None

    def run(self, tasks: Sequence[Task], progress: Progress) -> list[TaskResult]:
        """Submit every task, collect the results as they finish."""
        from distributed import as_completed

        if not tasks:
            return []
        specs = tuple(format_spec(name) for name in sorted({t.format for t in tasks}))
        results: list[TaskResult] = []
        client = self._client()
        try:
            limit = sum(client.nthreads().values()) + 1
            running = as_completed(loop=client.loop)
            names: dict[str, Task] = {}
            failure: BaseException | None = None

            def collect() -> None:
                nonlocal failure
                future = next(running)
                task = names.pop(future.key)
                try:
                    result: TaskResult = future.result()
                except Exception as exc:  # noqa: BLE001 - any task error fails the ingest
                    if failure is None:
                        failure = _failed(task, exc)
                    return
                progress(result.bytes)
                results.append(result)

            for task in dealt(tasks):
                while running.count() >= limit and failure is None:
                    collect()
                if failure is not None:
                    break
                future = client.submit(
                    run_on_worker,
                    _absolute(task),
                    specs,
                    key=f"loglake-{task.part_prefix}-{task.task_no:05d}",
                    retries=MAX_ATTEMPTS - 1,
                    pure=False,
                )
                names[future.key] = task
                running.add(future)
            while running.count():
                collect()
            if failure is not None:
                raise failure
        finally:
            client.close()
        return results


def _absolute(task: Task) -> Task:
    """The task with absolute paths: a worker's working folder is not this process's."""
    gz_index = task.gz_index.absolute() if task.gz_index is not None else None
    source = task.source
    if not source.url:
        source = replace(source, path=source.path.absolute())
    return replace(task, source=source, staging=task.staging.absolute(), gz_index=gz_index)


def _failed(task: Task, exc: BaseException) -> TaskError:
    where = f"{task.source.location} bytes {task.start}-{task.end if task.end else 'end'}"
    kind = type(exc).__name__
    return TaskError(
        f"ingest task {task.task_no} ({where}) failed after {MAX_ATTEMPTS} attempts "
        f"or lost workers: {kind}: {exc}; the dataset was not changed"
    )


def executor(url: str, _workers: int) -> DaskExecutor:
    """`dask://host:port`: the cluster's scheduler (its workers decide the parallelism)."""
    address = url.split("://", 1)[1].strip().rstrip("/")
    if not address or ":" not in address:
        raise ConfigError(f"{url!r}: give the scheduler as dask://HOST:PORT")
    return DaskExecutor(f"tcp://{address}")
