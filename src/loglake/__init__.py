"""loglake: turn large server logs into a partitioned-Parquet log lake."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Lake", "__version__"]


def __getattr__(name: str) -> Any:
    """`loglake.Lake`, the Python API (loglake/lake.py), imported on first use."""
    if name == "Lake":
        from loglake.lake import Lake

        return Lake
    raise AttributeError(f"module 'loglake' has no attribute {name!r}")
