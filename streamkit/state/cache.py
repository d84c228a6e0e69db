"""The write-back cache in front of a store's committed state.

Writes land in ``dirty`` (key → new value bytes, ``None`` for a delete) and stay
there until a checkpoint: reads see them at once, RocksDB never does until the
checkpoint commits. A checkpoint first :meth:`~WriteBackCache.seal`\\ s them (what
goes to the changelog), then, once the checkpoint is durable,
:meth:`~WriteBackCache.committed` hands them to the backend's clean read cache.
Writes made after a seal stay dirty for the next checkpoint, so the state on disk
is always exactly what the changelog holds. :meth:`~WriteBackCache.abort` drops
sealed and dirty entries alike.

A bounded LRU of committed values (absent keys included) spares hot keys a
RocksDB round trip.

>>> from streamkit.state.memory_backend import MemoryBackend
>>> backend = MemoryBackend()
>>> backend.apply({"data": {b"a": b"1", b"c": b"3"}}, None)
>>> cache = WriteBackCache(backend, "data")
>>> cache.put(b"b", b"2"); cache.delete(b"c")
>>> list(cache.scan(None, None))
[(b'a', b'1'), (b'b', b'2')]
>>> cache.abort(); list(cache.scan(None, None))
[(b'a', b'1'), (b'c', b'3')]
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Iterator

from streamkit.state.backend import StoreBackend

_MISSING = object()
DEFAULT_CAPACITY = 50_000
"""Committed entries each cache keeps in memory (dirty entries are never evicted)."""


class WriteBackCache:
    """Uncommitted writes and recently read committed values of one table."""

    __slots__ = ("backend", "table", "dirty", "sealed", "_clean", "_capacity", "_overlay_keys")

    def __init__(self, backend: StoreBackend, table: str, capacity: int = DEFAULT_CAPACITY) -> None:
        self.backend = backend
        self.table = table
        self.dirty: dict[bytes, bytes | None] = {}
        self.sealed: dict[bytes, bytes | None] = {}
        self._clean: OrderedDict[bytes, bytes | None] = OrderedDict()
        self._capacity = capacity
        self._overlay_keys: list[bytes] | None = []  # sorted keys of dirty | sealed

    def get(self, key: bytes) -> bytes | None:
        """The latest value of ``key``: uncommitted if any, else committed."""
        value = self.dirty.get(key, _MISSING)
        if value is not _MISSING:
            return value  # type: ignore[return-value]
        if self.sealed:
            value = self.sealed.get(key, _MISSING)
            if value is not _MISSING:
                return value  # type: ignore[return-value]
        value = self._clean.get(key, _MISSING)
        if value is not _MISSING:
            self._clean.move_to_end(key)
            return value  # type: ignore[return-value]
        value = self.backend.get(self.table, key)
        self._remember(key, value)
        return value

    def put(self, key: bytes, value: bytes | None) -> None:
        """Record a new value (``None``: delete) for the next checkpoint."""
        if key not in self.dirty:
            self._overlay_keys = None
        self.dirty[key] = value

    def delete(self, key: bytes) -> None:
        """Record a delete for the next checkpoint."""
        self.put(key, None)

    def scan(self, start: bytes | None, end: bytes | None) -> Iterator[tuple[bytes, bytes]]:
        """Latest entries with ``start <= key < end`` in byte order: committed state
        merged with uncommitted writes. Writes made while iterating are safe; keys
        added meanwhile may or may not be seen."""
        keys = self._overlay_keys
        if keys is None:
            keys = self._overlay_keys = sorted(self.dirty.keys() | self.sealed.keys())
        low = 0 if start is None else bisect.bisect_left(keys, start)
        high = len(keys) if end is None else bisect.bisect_left(keys, end)
        overlay = keys[low:high]
        committed = self.backend.scan(self.table, start, end)
        return self._merge(overlay, committed)

    def _latest(self, key: bytes) -> object:
        value = self.dirty.get(key, _MISSING)
        if value is _MISSING:
            value = self.sealed.get(key, _MISSING)
        return value

    def _merge(
        self, overlay: list[bytes], committed: Iterator[tuple[bytes, bytes]]
    ) -> Iterator[tuple[bytes, bytes]]:
        position, count = 0, len(overlay)
        for key, value in committed:
            while position < count and overlay[position] < key:
                pending = overlay[position]
                position += 1
                latest = self._latest(pending)
                if latest is not None and latest is not _MISSING:
                    yield pending, latest  # type: ignore[misc]
            if position < count and overlay[position] == key:
                position += 1
            latest = self._latest(key)
            if latest is _MISSING:
                yield key, value
            elif latest is not None:
                yield key, latest  # type: ignore[misc]
        for pending in overlay[position:]:
            latest = self._latest(pending)
            if latest is not None and latest is not _MISSING:
                yield pending, latest  # type: ignore[misc]

    def seal(self) -> dict[bytes, bytes | None]:
        """Close the current batch of writes for a checkpoint: every entry written
        since the last commit (one per key, the latest), to send to the changelog."""
        if self.dirty:
            if self.sealed:
                self.sealed.update(self.dirty)
            else:
                self.sealed = self.dirty
            self.dirty = {}
        return self.sealed

    def committed(self) -> None:
        """The sealed entries are now on disk: keep them as clean cached values."""
        for key, value in self.sealed.items():
            self._remember(key, value)
        self.sealed = {}
        self._overlay_keys = None

    def abort(self) -> None:
        """Forget every uncommitted write."""
        self.dirty = {}
        self.sealed = {}
        self._overlay_keys = []

    def invalidate(self) -> None:
        """Forget cached committed values (after the backend changed underneath)."""
        self._clean.clear()

    def _remember(self, key: bytes, value: bytes | None) -> None:
        if self._capacity <= 0:
            return
        clean = self._clean
        clean[key] = value
        clean.move_to_end(key)
        if len(clean) > self._capacity:
            clean.popitem(last=False)
