"""What alerts keep in the lake, under `<root>/alerts/`.

- `rules.json`: the rules added through the API (the rules file stays where it is);
- `state.json`: where evaluation stands (each stream's marks, each rule's windows);
- `log/<seq>.jsonl`: the alert log, append-safe: every change (alerts an evaluation fired
  or resolved, an acknowledgement, deliveries) is one new file written once, durably,
  never rewritten. An evaluation writes its log file first and its state second (the
  state replaced atomically), so a run killed between them evaluates the same rows again
  and logs the same alerts (the same ids): readers keep the first record of each.
Changes hold `alerts/.lock` (an exclusive `flock`, released if the process dies) on a
local root; every write goes through the filesystem seam (`store/fs.LakeFS`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from loglake.config import is_remote
from loglake.errors import StoreError
from loglake.layout import ALERT_LOG, ALERT_RULES, ALERT_STATE, ALERTS
from loglake.store.fs import LakeFS, json_bytes

STATE_FORMAT = 1


@contextlib.contextmanager
def alerts_lock(root: Path) -> Iterator[None]:
    """Hold the alerts' lock: one writer of `alerts/` at a time (waits for the holder)."""
    if is_remote(root):  # the ingest lock keeps evaluations apart on object storage
        yield
        return
    import fcntl

    folder = Path(root) / ALERTS
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _read_json(root: Path, rel: str) -> Any:
    try:
        return json.loads(LakeFS(root).read(rel))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StoreError(f"{rel} is unreadable ({exc}); restore it or remove it") from None


def load_state(root: Path) -> dict[str, Any]:
    """The evaluation state (empty before the first evaluation)."""
    data = _read_json(root, ALERT_STATE)
    if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
        return {"format": STATE_FORMAT, "marks": {}, "rules": {}}
    return data


def save_state(root: Path, state: dict[str, Any]) -> None:
    """Replace the evaluation state atomically (compact JSON: it holds the windows' times)."""
    LakeFS(root).replace(ALERT_STATE, orjson.dumps(state))


def load_lake_rules(root: Path) -> list[dict[str, Any]]:
    """The rules added through the API, as their JSON."""
    data = _read_json(root, ALERT_RULES)
    rules = data.get("rules") if isinstance(data, dict) else None
    return rules if isinstance(rules, list) else []


def save_lake_rules(root: Path, rules: list[dict[str, Any]]) -> None:
    """Replace the API's rules atomically."""
    LakeFS(root).replace(ALERT_RULES, json_bytes({"rules": rules}))


def _log_files(lake: LakeFS) -> list[str]:
    return [rel for rel in lake.files(ALERT_LOG) if rel.endswith(".jsonl")]


def append(root: Path, records: list[dict[str, Any]]) -> None:
    """Add records to the alert log: one new file, written once (hold `alerts_lock`)."""
    if not records:
        return
    lake = LakeFS(root)
    files = _log_files(lake)
    last = int(files[-1].rsplit("/", 1)[-1].removesuffix(".jsonl")) if files else 0
    body = b"".join(json.dumps(r, sort_keys=True).encode() + b"\n" for r in records)
    lake.write_once(f"{ALERT_LOG}/{last + 1:012d}.jsonl", body)


def log_files(root: Path) -> list[str]:
    """The alert log's files, in the order written."""
    return _log_files(LakeFS(root))


def read_log_file(root: Path, rel: str) -> list[dict[str, Any]]:
    """The records of one log file."""
    out = []
    for line in LakeFS(root).read(rel).splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue  # a file is written whole; a torn one would be a disk's fault
    return out


def records(root: Path) -> list[dict[str, Any]]:
    """Every record of the alert log in the order written, the first of each alert
    transition only (an evaluation run again after a crash logs the same ones)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for rel in log_files(root):
        for record in read_log_file(root, rel):
            if record.get("kind") == "alert":
                key = (record["id"], record["status"])
                if key in seen:
                    continue
                seen.add(key)
            out.append(record)
    return out
