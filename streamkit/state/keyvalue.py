"""The key-value store (:class:`~streamkit.processor.KeyValueStore`) of one task."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from streamkit.processor import StoreKind, StoreSpec
from streamkit.state.backend import DATA, StoreBackend
from streamkit.state.cache import DEFAULT_CAPACITY, WriteBackCache
from streamkit.state.store import (
    ManagedStore,
    compact,
    serialize_key,
    serialize_prefix,
    store_serdes,
)
from streamkit.state.window_keys import prefix_upper_bound


class CachedKeyValueStore(ManagedStore):
    """Key-value entries behind a write-back cache; reads see own uncommitted writes.

    Keys are ordered by their serialized bytes. ``put(key, None)`` deletes.
    """

    kind = StoreKind.KEY_VALUE

    def __init__(self, spec: StoreSpec, backend: StoreBackend, *, cache_capacity: int = DEFAULT_CAPACITY) -> None:
        cache = WriteBackCache(backend, DATA, cache_capacity)
        super().__init__(spec, backend, (cache,))
        self._cache = cache
        self._keys, self._values = store_serdes(spec)

    def get(self, key: Any) -> Any | None:
        """The latest value of ``key``, ``None`` if absent."""
        return self._values.deserialize(self._cache.get(serialize_key(self._keys, key, self.name)))

    def put(self, key: Any, value: Any) -> None:
        """Set ``key`` to ``value`` (``None`` deletes it)."""
        data = self._values.serialize(value)
        self._cache.put(serialize_key(self._keys, key, self.name),
                        None if data is None else compact(data))

    def delete(self, key: Any) -> None:
        """Remove ``key`` (a no-op if absent, but still logged as a tombstone)."""
        self._cache.put(serialize_key(self._keys, key, self.name), None)

    def range(self, start: Any = None, end: Any = None) -> Iterator[tuple[Any, Any]]:
        """Entries with ``start <= key < end`` in serialized-key order."""
        low = None if start is None else serialize_key(self._keys, start, self.name)
        high = None if end is None else serialize_key(self._keys, end, self.name)
        return self._decoded(self._cache.scan(low, high))

    def prefix(self, prefix: Any) -> Iterator[tuple[Any, Any]]:
        """Entries whose serialized key starts with the serialized ``prefix``; for a
        string prefix under the json serde, keys that start with that string."""
        low = serialize_prefix(self._keys, prefix, self.name)
        return self._decoded(self._cache.scan(low, prefix_upper_bound(low)))

    def all(self) -> Iterator[tuple[Any, Any]]:
        """Every entry, in serialized-key order."""
        return self._decoded(self._cache.scan(None, None))

    def _decoded(self, entries: Iterator[tuple[bytes, bytes]]) -> Iterator[tuple[Any, Any]]:
        keys, values = self._keys.deserialize, self._values.deserialize
        for key, value in entries:
            yield keys(key), values(value)
