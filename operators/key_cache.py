"""A window processor's per-key cache of decoded state.

The hopping (panes), session and sliding processors keep each key's state
decoded in memory, mirroring their stores (the store is the only truth: a
processor starts with an empty cache, and reads a key's state back on first
use). :class:`KeyCache` bounds that memory and leaves out keys that cannot be
hashed, whose state is read from the store each time instead.

>>> cache = KeyCache()
>>> cache.remember("u1", [1, 2])
>>> cache.lookup("u1"), cache.lookup(["not", "hashable"])
([1, 2], None)
>>> cache.remember(["not", "hashable"], [3])  # not kept
>>> cache.forget("u1"); cache.lookup("u1") is None
True
"""

from __future__ import annotations

import itertools
from typing import Any, Generic, TypeVar

V = TypeVar("V")

LIMIT = 50_000
"""Keys a cache keeps; past it, the older half is dropped (and read back from
the store when next used)."""


class KeyCache(dict[Any, V], Generic[V]):
    """Key -> decoded state, at most :data:`LIMIT` keys. A ``dict``: a hot path
    may call ``get`` itself, which raises ``TypeError`` for an unhashable key."""

    def lookup(self, key: Any) -> V | None:
        """``key``'s state, or ``None`` if it is not kept (or cannot be)."""
        try:
            return self.get(key)
        except TypeError:  # an unhashable key (a list, a dict)
            return None

    def remember(self, key: Any, state: V) -> None:
        """Keep ``state`` for ``key``, dropping the older half of the keys when
        full; a key that cannot be hashed is not kept."""
        try:
            if key not in self and len(self) >= LIMIT:
                for old in list(itertools.islice(self, LIMIT // 2)):
                    del self[old]
            self[key] = state
        except TypeError:
            pass

    def forget(self, key: Any) -> None:
        """Drop ``key``'s state (after a failure left it unknown)."""
        try:
            self.pop(key, None)
        except TypeError:
            pass
