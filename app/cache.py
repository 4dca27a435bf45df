"""One cache for what is derived from a loaded vintage of comuni or from one state of a wave.

Keys say what is derived and from what: the vintage and the time it was loaded, and for a
wave's figures its data fingerprint (every current revision). Reloading a vintage or writing a
response changes the key, so nothing kept can be stale; the least recently used values go
first. Values are computed outside the lock: two threads may both compute a missing value, and
the second simply replaces the first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Any, TypeVar

T = TypeVar("T")


class Cache:
    """A bounded, thread-safe map from keys to derived values."""

    def __init__(self, size: int = 48) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Return the value kept for `key`, computing and keeping it if there is none."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = compute()
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value

    def drop(self, kind: str) -> None:
        """Forget every value of one kind (the first element of its key)."""
        with self._lock:
            for key in [k for k in self._values if isinstance(k, tuple) and k[:1] == (kind,)]:
                del self._values[key]

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


CACHE = Cache()
