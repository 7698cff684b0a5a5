"""Pushed records (`POST /api/ingest`): bodies that become sources of an ordinary ingest.

Each pushed body is a `Payload`: the ingest writes it under the staging area as a managed
copy (`source/<file_id>.log`, published by the commit like stdin's), plans it as a new file
of its own (a body is new data even when its bytes equal an earlier one's), sniffs its
format like any file's and reads it with the same tasks, hooks and commit. A body's
`Idempotency-Key` is recorded in the manifest it commits (`push_keys`, the newest
PUSH_KEYS_KEPT), so the key and the rows it added are one atomic change: a key found there
adds nothing again, after a restart too. `batcher.PushBatcher` groups the bodies of
concurrent requests into one ingest.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loglake.ingest.plan import PlannedFile
from loglake.layout import SOURCE_DIR
from loglake.sources.files import open_source

PUSH_KEYS = "push_keys"
PUSH_KEYS_KEPT = 5_000
MAX_KEY = 200


def new_file_id() -> str:
    """A pushed body's file_id: unique, whatever its bytes."""
    return uuid.uuid4().hex[:16]


@dataclass
class Payload:
    """One pushed body: its records' bytes, the client's idempotency key, a label."""

    data: bytes
    key: str | None = None
    name: str = "push"
    file_id: str = field(default_factory=new_file_id)

    @property
    def records(self) -> int:
        """The number of lines the body holds (a last line without newline counts)."""
        return self.data.count(b"\n") + (not self.data.endswith(b"\n") and bool(self.data))


def known_keys(manifest: dict[str, Any]) -> dict[str, Any]:
    """The idempotency keys committed so far: key -> what its push added."""
    keys: dict[str, Any] = manifest.get(PUSH_KEYS, {})
    return keys


def plan_payloads(
    payloads: Sequence[Payload], manifest: dict[str, Any], staging: Path
) -> tuple[list[PlannedFile], dict[str, Any]]:
    """Planned files for the bodies whose key is not committed yet (written to staging),
    and the outcome recorded for each body whose key is, by file_id."""
    committed = known_keys(manifest)
    planned: list[PlannedFile] = []
    duplicates: dict[str, Any] = {}
    for payload in payloads:
        if payload.key is not None and payload.key in committed:
            duplicates[payload.file_id] = committed[payload.key]
            continue
        relpath = f"{SOURCE_DIR}/{payload.file_id}.log"
        target = staging / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(payload.data)
        entry = {"fingerprint": f"push:{payload.file_id}", "head": "", "copy": relpath}
        item = PlannedFile(
            payload.file_id, open_source(target), f"<{payload.name}>", "new", entry=entry
        )
        item.explicit = False  # a body of no known format is skipped, not an error
        planned.append(item)
    return planned, duplicates


NOT_A_LOG = "not_a_log"


def outcome(report: dict[str, Any], file_id: str, records: int = 0) -> dict[str, Any]:
    """What one pushed body (of `records` lines) added: accepted and rejected, and why."""
    for item in report["files"]:
        if item["file_id"] != file_id:
            continue
        rejected = item["bad_lines"]
        reasons = dict(item.get("bad_reasons", {}))
        if item["status"] not in ("new", "appended"):  # no format read it
            rejected, reasons = records, {NOT_A_LOG: records}
        accepted = item["lines"] - item["blank_lines"] - rejected - item.get("dropped", 0)
        return {
            "accepted": max(accepted, 0),
            "rejected": rejected,
            "reasons": reasons,
            "dropped": item.get("dropped", 0),
            "format": item["format"],
            "ingest_id": report["ingest_id"],
        }
    raise KeyError(file_id)


def record_keys(
    manifest: dict[str, Any], payloads: Sequence[Payload], report: dict[str, Any]
) -> None:
    """Remember, in the manifest about to be committed, the keys of the bodies it adds."""
    keys = dict(known_keys(manifest))
    for payload in payloads:
        if payload.key is None or payload.key in keys:
            continue
        try:
            done = outcome(report, payload.file_id, payload.records)
        except KeyError:
            continue
        keys[payload.key] = {k: done[k] for k in ("accepted", "rejected", "ingest_id")}
    if len(keys) > PUSH_KEYS_KEPT:
        keys = dict(list(keys.items())[-PUSH_KEYS_KEPT:])
    manifest[PUSH_KEYS] = keys
