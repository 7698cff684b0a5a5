"""What to generate (`GenSpec`) and what was generated (`GenStats`)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from loglake.errors import ConfigError

# the server versions the generator imitates, with the build each one reports
VERSIONS = {"4.4": "4.4.29", "5.0": "5.0.28", "6.0": "6.0.16", "7.0": "7.0.14", "8.0": "8.0.4"}


@dataclass
class GenSpec:
    """What to generate; the same spec always gives the same bytes."""

    seed: int = 42
    target_bytes: int = 50_000_000
    start: str = "2024-03-18T00:00:00"  # UTC
    tz_offsets: tuple[str, ...] = ("+00:00",)  # "+05:30", "-04:00" or "Z"; rotated if several
    faults: bool = False
    mongo_version: str = "7.0"
    days: float = 4.0  # time span of the log
    fault_rate: float = 1 / 3000  # faults per generated line, with faults=True
    huge_lines: int | None = None  # multi-MB valid lines; None: one per 300 MB from 100 MB on
    huge_line_bytes: int = 4_000_000
    truncation_rate: float = 1 / 2000  # slow queries logged with mongod's truncated attr


@dataclass
class GenStats:
    """What was written, counted the way a correct parser counts it."""

    lines: int = 0
    bytes: int = 0
    events: int = 0
    slow: int = 0
    auth_ok: int = 0
    auth_fail: int = 0
    conn_accepted: int = 0
    conn_ended: int = 0
    metadata: int = 0
    bad_lines: dict[str, int] = field(default_factory=dict)  # by BadReason value
    blank_lines: int = 0
    total_duration_ms: int = 0
    per_namespace: dict[str, int] = field(default_factory=dict)  # slow queries by attr.ns
    per_query_hash: dict[str, int] = field(default_factory=dict)  # slow queries by queryHash

    def to_dict(self) -> dict[str, Any]:
        """The stats as plain JSON-able data."""
        return asdict(self)


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes in a size like 200MB, 1GB, 3G or 5000 (decimal units)."""
    m = _SIZE.fullmatch(text.strip())
    if not m:
        raise ConfigError(f"size {text!r} is not like 200MB, 1GB or 3GB")
    scale = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}[m[2].upper()]
    return int(float(m[1]) * scale)
