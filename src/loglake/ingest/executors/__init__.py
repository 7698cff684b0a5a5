"""Executors: where an ingest's tasks run, chosen by name or URL (`--executor`).

`local` (the default) forks worker processes on this machine; `dask://host:port` runs the
tasks on a Dask distributed cluster (`dask.py`). An executor is one module with an
`executor(url, workers)` factory returning an `Executor` (`base.py`), and its URL scheme in
`EXECUTORS`.
"""

from __future__ import annotations

from importlib import import_module

from loglake.errors import ConfigError
from loglake.ingest.executors.base import Executor

# URL scheme -> the module whose `executor(url, workers)` builds it; imported when chosen,
# so a cluster client's heavy imports cost nothing to a local ingest
EXECUTORS = {
    "local": "loglake.ingest.executors.local",
    "dask": "loglake.ingest.executors.dask",
}


def open_executor(url: str, workers: int) -> Executor:
    """The executor a name or URL such as `local` or `dask://host:8786` names."""
    scheme = url.split("://", 1)[0].strip().lower()
    module = EXECUTORS.get(scheme)
    if module is None:
        raise ConfigError(f"unknown executor {url!r}: choose one of {', '.join(sorted(EXECUTORS))}")
    built: Executor = import_module(module).executor(url, workers)
    return built
