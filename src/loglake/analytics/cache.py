"""An LRU of query results keyed by (dataset version, question, parameters).

Results are stored under the dataset version they were computed from, so a new ingest
(a new `dataset_version` in the manifest) makes every older entry unreachable; unreachable
entries age out of the LRU like any other. Cached results are shared: callers must not
modify them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

Key = tuple[str | None, str, tuple[tuple[str, Any], ...]]


def cache_key(version: str | None, question: str, params: dict[str, Any]) -> Key:
    """A hashable key for a question's result at one dataset version."""
    return version, question, tuple(sorted(params.items()))


class ResultCache:
    """A thread-safe LRU of at most `size` results (size 0 disables it)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Key, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Key) -> Any | None:
        """The cached result, or None."""
        with self._lock:
            value = self._items.get(key)
            if value is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Key, value: Any) -> None:
        """Remember a result, forgetting the least recently used beyond `size`."""
        if self.size == 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
