"""loglake: turn large server logs into a partitioned-Parquet log lake."""

from __future__ import annotations

__version__ = "0.1.0"
