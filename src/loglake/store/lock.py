"""The ingest lock: one change at a time per dataset root (ingest, compaction, retention,
archive): a file created exclusively on a local disk, an object created only if absent on
object storage (a check then a PUT: writers on one machine, or a store with conditional
PUTs, are kept apart; see `store/fs.LakeFS.write_once`)."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from loglake.config import is_remote
from loglake.errors import LockError
from loglake.layout import LOCK, lock_path
from loglake.store.commit import recover
from loglake.store.fs import LakeFS


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ignore(_message: str) -> None:
    return None


def _read_lock(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


@contextmanager
def ingest_lock(
    root: Path, ingest_id: str, force: bool, warn: Callable[[str], None]
) -> Iterator[None]:
    """Hold the lock for the duration of an ingest.

    A lock left by a process that no longer runs on this host is stale and is taken over
    with a warning; any other lock is only overridden with `force`.
    """
    if is_remote(root):
        with _object_lock(root, ingest_id, force, warn):
            yield
        return
    path = lock_path(root)
    root.mkdir(parents=True, exist_ok=True)
    body = json.dumps(
        {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "ingest_id": ingest_id,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    ).encode()
    for _attempt in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read_lock(path)
            pid = holder.get("pid")
            same_host = holder.get("host") == socket.gethostname()
            stale = same_host and isinstance(pid, int) and not _pid_alive(pid)
            what = f"pid {pid} on {holder.get('host')}, since {holder.get('started')}"
            if stale:
                warn(f"removing a stale ingest lock left by {what} (the process is gone)")
            elif force:
                warn(f"--force: overriding the ingest lock held by {what}")
            else:
                raise LockError(
                    f"another ingest holds {path} ({what}); wait for it to finish, or pass "
                    "--force if you are sure it is not running"
                ) from None
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "wb") as f:
            f.write(body)
        break
    else:
        raise LockError(f"could not take the ingest lock {path}")
    try:
        yield
    finally:
        if _read_lock(path).get("ingest_id") == ingest_id:
            path.unlink(missing_ok=True)


@contextmanager
def _object_lock(
    root: Path, ingest_id: str, force: bool, warn: Callable[[str], None]
) -> Iterator[None]:
    """The ingest lock of a root on object storage: an object created only if absent
    (`LakeFS.write_once`), with the same stale-lock rules as on a local disk."""
    lake = LakeFS(root)
    body = json.dumps(
        {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "ingest_id": ingest_id,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    ).encode()
    for _attempt in range(3):
        try:
            lake.write_once(LOCK, body)
            break
        except FileExistsError:
            try:
                holder = json.loads(lake.read(LOCK))
            except (OSError, ValueError):
                holder = {}
            pid = holder.get("pid")
            same_host = holder.get("host") == socket.gethostname()
            stale = same_host and isinstance(pid, int) and not _pid_alive(pid)
            what = f"pid {pid} on {holder.get('host')}, since {holder.get('started')}"
            if stale:
                warn(f"removing a stale ingest lock left by {what} (the process is gone)")
            elif force:
                warn(f"--force: overriding the ingest lock held by {what}")
            else:
                raise LockError(
                    f"another ingest holds {lake.path(LOCK)} ({what}); wait for it to finish, "
                    "or pass --force if you are sure it is not running"
                ) from None
            lake.remove(LOCK)
    else:
        raise LockError(f"could not take the ingest lock {lake.path(LOCK)}")
    try:
        yield
    finally:
        try:
            mine = json.loads(lake.read(LOCK)).get("ingest_id") == ingest_id
        except (OSError, ValueError):
            mine = False
        if mine:
            lake.remove(LOCK)


@contextmanager
def dataset_change(
    root: Path, owner: str, force: bool = False, warn: Callable[[str], None] = _ignore
) -> Iterator[None]:
    """Hold the ingest lock for a change, after cleaning up what a killed change left."""
    with ingest_lock(root, owner, force, warn):
        for item in recover(root):
            warn(f"cleaned up after an interrupted ingest: {item}")
        yield
