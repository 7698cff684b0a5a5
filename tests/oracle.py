"""Independent answers computed straight from raw MongoDB JSON logs with the stdlib.

Nothing here uses loglake's parsers: lines are split on b"\\n" and read with `json`, and
the message ids are the ones the shared data README documents.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conftest import read_source

SLOW = 51803
AUTH_OK = (20250, 5286306)
AUTH_FAIL = (20249, 5286307)
CONN_ACCEPTED = 22943
CONN_ENDED = 22944


def parse_ts(value: Any) -> datetime:
    """A {"$date": ...} timestamp as an aware UTC datetime."""
    text = value["$date"] if isinstance(value, dict) else value
    if isinstance(text, dict):  # {"$numberLong": ms}
        return datetime.fromtimestamp(int(text["$numberLong"]) / 1000, UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass
class Slow:
    """One slow operation as the log states it."""

    ts: datetime
    ns: str
    duration_ms: float
    query_hash: str | None
    plan: str | None
    offset: int
    line: bytes


@dataclass
class Oracle:
    """What a set of logs contains, counted by hand."""

    lines: list[tuple[int, bytes, dict[str, Any] | None]] = field(default_factory=list)
    slow: list[Slow] = field(default_factory=list)
    auth_ok: int = 0
    auth_fail: int = 0
    auth_users: Counter[tuple[str, str]] = field(default_factory=Counter)
    accepted: int = 0
    ended: int = 0
    peak_open: int = 0
    accepted_ips: set[str] = field(default_factory=set)

    def add(self, path: Path) -> Oracle:
        """Count one more log file."""
        offset = 0
        for raw in read_source(path).split(b"\n"):
            line = raw.removesuffix(b"\r")
            record = self._record(line)
            self.lines.append((offset, line, record))
            if record is not None:
                self._count(record, offset, line)
            offset += len(raw) + 1
        return self

    @staticmethod
    def _record(line: bytes) -> dict[str, Any] | None:
        try:
            record = json.loads(line)
        except ValueError:
            return None
        return record if isinstance(record, dict) and "t" in record else None

    def _count(self, record: dict[str, Any], offset: int, line: bytes) -> None:
        mid = record.get("id")
        attr = record.get("attr") or {}
        if mid == SLOW:
            plan = attr.get("planSummary")
            self.slow.append(
                Slow(
                    parse_ts(record["t"]),
                    attr.get("ns"),
                    float(attr.get("durationMillis", 0)),
                    attr.get("queryHash"),
                    plan.split(" ")[0] if plan else None,
                    offset,
                    line,
                )
            )
        elif mid in AUTH_OK:
            self.auth_ok += 1
            self.auth_users[(attr.get("user") or attr.get("principalName"), "success")] += 1
        elif mid in AUTH_FAIL:
            self.auth_fail += 1
        elif mid == CONN_ACCEPTED:
            self.accepted += 1
            self.peak_open = max(self.peak_open, int(attr.get("connectionCount", 0)))
            self.accepted_ips.add(attr["remote"].rsplit(":", 1)[0])
        elif mid == CONN_ENDED:
            self.ended += 1
            self.peak_open = max(self.peak_open, int(attr.get("connectionCount", 0)))

    def keyword_lines(self, keyword: bytes) -> list[int]:
        """Offsets of the lines containing a keyword (case-sensitive)."""
        return [off for off, line, _ in self.lines if keyword in line]
