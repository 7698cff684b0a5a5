"""Pre-ingest hooks the tests name as `push_hooks:<function>` (tests/ is on sys.path)."""

from __future__ import annotations

from typing import Any

import orjson


def enrich(row: dict[str, Any]) -> dict[str, Any]:
    """Add the owning team (into attrs) and upper-case the service (a column)."""
    row["team"] = "payments" if row.get("component") == "billing" else "core"
    row["component"] = (row.get("component") or "").upper()
    return row


def drop_debug(row: dict[str, Any]) -> dict[str, Any] | None:
    """Drop DEBUG records."""
    return None if row.get("level") == "DEBUG" else row


def explode_on_warn(row: dict[str, Any]) -> dict[str, Any]:
    """Raise on every WARN record (which must then be kept as it was)."""
    if row.get("level") == "WARN":
        raise RuntimeError(f"cannot enrich {orjson.loads(row['attrs'])['rid']}")
    row["checked"] = True
    return row


def not_a_dict(row: dict[str, Any]) -> str:
    """A broken hook: returns text."""
    return "oops"


def drop_network(row: dict[str, Any]) -> dict[str, Any] | None:
    """Drop the records of the NETWORK component (MongoDB logs)."""
    return None if row.get("component") == "NETWORK" else row
