"""The write-back cache in front of a store's committed state.

Writes land in ``dirty`` (key → new value bytes, ``None`` for a delete) and stay
there until a checkpoint: reads see them at once, RocksDB never does until the
checkpoint commits. A checkpoint first :meth:`~WriteBackCache.seal`\\ s them (what
goes to the changelog), then, once the checkpoint is durable,
:meth:`~WriteBackCache.committed` hands them to the backend's clean read cache.
Writes made after a seal stay dirty for the next checkpoint, so the state on disk
is always exactly what the changelog holds. :meth:`~WriteBackCache.abort` drops
sealed and dirty entries alike.

A bounded cache of committed values (absent keys included) spares hot keys a
RocksDB round trip. It is two generations of plain dicts rather than an LRU: a
checkpoint hands its tens of thousands of entries over with one ``dict.update``,
a hit in the old generation moves the entry to the young one, and when the young
one is full it becomes the old one (the previous old one is dropped). Recently
written or read entries stay; the per-entry bookkeeping of an LRU does not exist.

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

from collections.abc import Iterator

from sortedcontainers import SortedList

from streamkit.state.backend import StoreBackend

_MISSING = object()
DEFAULT_CAPACITY = 50_000
"""Committed entries each cache keeps in memory (dirty entries are never evicted)."""


class WriteBackCache:
    """Uncommitted writes and recently read committed values of one table."""

    __slots__ = (
        "_added", "_capacity", "_old", "_overlay", "_read", "_young", "backend", "dirty",
        "sealed", "table",
    )

    def __init__(self, backend: StoreBackend, table: str, capacity: int = DEFAULT_CAPACITY) -> None:
        self.backend = backend
        self.table = table
        self.dirty: dict[bytes, bytes | None] = {}
        self.sealed: dict[bytes, bytes | None] = {}
        # Committed values: young holds up to half the capacity, then ages.
        self._young: dict[bytes, bytes | None] = {}
        self._old: dict[bytes, bytes | None] = {}
        self._capacity = capacity
        # The keys of dirty | sealed in order, for scans: built by the first scan
        # after a commit, then kept up to date (the window operators of sessions
        # and sliding windows scan once per record). Keys written since the last
        # scan wait in _added, so a table written but not scanned before the
        # next commit (the per-record path of most stores) pays nothing for it.
        self._overlay: SortedList | None = SortedList()
        self._added: list[bytes] = []
        self._read = backend.reader(table)

    def get(self, key: bytes) -> bytes | None:
        """The latest value of ``key``: uncommitted if any, else committed."""
        value = self.dirty.get(key, _MISSING)
        if value is not _MISSING:
            return value  # type: ignore[return-value]
        if self.sealed:
            value = self.sealed.get(key, _MISSING)
            if value is not _MISSING:
                return value  # type: ignore[return-value]
        if self._capacity <= 0:
            return self._read(key)  # type: ignore[no-any-return]
        value = self._young.get(key, _MISSING)
        if value is not _MISSING:
            return value  # type: ignore[return-value]
        value = self._old.pop(key, _MISSING)
        if value is _MISSING:
            value = self._read(key)
        young = self._young  # remember it (inline: this runs on every cache miss)
        young[key] = value  # type: ignore[assignment]
        if 2 * len(young) > self._capacity:
            self._old, self._young = young, {}
        return value  # type: ignore[return-value]

    def has_recent(self, key: bytes) -> bool:
        """Whether ``key`` is present in the latest state, as far as known without
        a backend read (sealed, or committed and cached; with no cache, the
        backend is read). ``False`` may mean "unknown"; dirty writes are the
        caller's to check."""
        if self.sealed:
            value = self.sealed.get(key, _MISSING)
            if value is not _MISSING:
                return value is not None
        if self._capacity <= 0:
            return self._read(key) is not None
        value = self._young.get(key, _MISSING)
        if value is _MISSING:
            value = self._old.get(key)
        return value is not None

    def put(self, key: bytes, value: bytes | None) -> None:
        """Record a new value (``None``: delete) for the next checkpoint. For a key
        already in :attr:`dirty` this is ``dirty[key] = value``, which per-record
        callers may do themselves."""
        dirty = self.dirty
        if key not in dirty and self._overlay is not None and key not in self.sealed:
            self._added.append(key)
        dirty[key] = value

    def delete(self, key: bytes) -> None:
        """Record a delete for the next checkpoint."""
        self.put(key, None)

    def scan(self, start: bytes | None, end: bytes | None) -> Iterator[tuple[bytes, bytes]]:
        """Latest entries with ``start <= key < end`` in byte order: committed state
        merged with uncommitted writes. Writes made while iterating are safe; keys
        added meanwhile may or may not be seen."""
        keys = self._overlay
        if keys is None:
            keys = self._overlay = SortedList(self.dirty.keys() | self.sealed.keys())
            self._added = []
        elif self._added:
            keys.update(self._added)
            self._added = []
        overlay = list(keys.irange(start, end, inclusive=(True, False)))
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
        sealed = self.sealed
        if sealed and self._capacity > 0:
            # Older copies of these keys in the old generation are shadowed by
            # the young one, and dropped with it.
            self._young.update(sealed)
            self._age()
        self.sealed = {}
        self._overlay, self._added = None, []  # rebuilt from the dirty keys at the next scan

    def abort(self) -> None:
        """Forget every uncommitted write."""
        self.dirty = {}
        self.sealed = {}
        self._overlay, self._added = SortedList(), []

    def invalidate(self) -> None:
        """Forget cached committed values (after the backend changed underneath)."""
        self._young, self._old = {}, {}
        self._read = self.backend.reader(self.table)

    def _age(self) -> None:
        if 2 * len(self._young) > self._capacity:
            self._old, self._young = self._young, {}
