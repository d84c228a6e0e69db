"""Committed state held in memory (``StoreSpec(persistent=False)``): lost when the
process ends, so a logged in-memory store is rebuilt from its whole changelog."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from sortedcontainers import SortedList

from streamkit.state.backend import DATA, Changes


class _Table:
    """A dict for look-ups, and its keys in a ``SortedList`` for scans. The list
    is built at the first scan and kept up to date from then on, at O(log n) a
    write, whatever the commit rate (the test driver commits after every record).
    A table never scanned (most key-value stores) pays nothing for it."""

    __slots__ = ("_keys", "entries")

    def __init__(self) -> None:
        self.entries: dict[bytes, bytes] = {}
        self._keys: SortedList | None = None

    def write(self, key: bytes, value: bytes | None) -> None:
        keys = self._keys
        if value is None:
            if self.entries.pop(key, None) is not None and keys is not None:
                keys.remove(key)
        else:
            if keys is not None and key not in self.entries:
                keys.add(key)
            self.entries[key] = value

    def sorted_keys(self) -> SortedList:
        if self._keys is None:
            self._keys = SortedList(self.entries)
        return self._keys

    def scan(self, start: bytes | None, end: bytes | None) -> Iterator[tuple[bytes, bytes]]:
        # A copy of the range: commits during iteration are safe.
        keys = list(self.sorted_keys().irange(start, end, inclusive=(True, False)))
        entries = self.entries
        for key in keys:
            value = entries.get(key)
            if value is not None:
                yield key, value


class MemoryBackend:
    """A :class:`~streamkit.state.backend.StoreBackend` in Python dicts."""

    def __init__(self, tables: Sequence[str] = (DATA,)) -> None:
        self._table_names = tuple(tables)
        self._tables = {name: _Table() for name in self._table_names}
        self._offset: int | None = None

    def get(self, table: str, key: bytes) -> bytes | None:
        """The committed value of ``key``."""
        return self._tables[table].entries.get(key)

    def reader(self, table: str) -> Callable[[bytes], bytes | None]:
        """The table's ``dict.get``."""
        return self._tables[table].entries.get

    def scan(self, table: str, start: bytes | None, end: bytes | None) -> Iterator[tuple[bytes, bytes]]:
        """Committed entries with ``start <= key < end`` in byte order."""
        return self._tables[table].scan(start, end)

    def last_key(self, table: str) -> bytes | None:
        """The greatest committed key of ``table``."""
        keys = self._tables[table].sorted_keys()
        return keys[-1] if keys else None

    def apply(self, changes: Changes, changelog_offset: int | None) -> None:
        """Write ``changes`` and the offset (a Python call cannot half-fail here)."""
        for table, entries in changes.items():
            target = self._tables[table]
            for key, value in entries.items():
                target.write(key, value)
        if changelog_offset is not None:
            self._offset = changelog_offset

    def changelog_offset(self) -> int | None:
        """The offset stored by the last :meth:`apply`."""
        return self._offset

    def is_empty(self) -> bool:
        """Whether the data table is empty."""
        return not self._tables[DATA].entries

    def wipe(self) -> None:
        """Forget everything."""
        self._tables = {name: _Table() for name in self._table_names}
        self._offset = None

    def close(self) -> None:
        """Drop the entries."""
        self.wipe()
