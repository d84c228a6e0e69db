"""The window store (:class:`~streamkit.processor.WindowStore`) of one task.

Layout: see :mod:`.window_keys`. The data table is keyed by the primary key
(key, start, end) and is what the changelog carries; the ``by_end`` index is
derived from it, written in the same batches, and rebuilt from the changelog on
restore.

Retention: when the spec has ``retention_ms``, windows with
``end < stream_time - retention_ms`` are dropped. The store cannot see the task's
stream time, so it uses the largest window start it was given (never later than
the stream time, since a window starts no later than the records in it) and
expires at every checkpoint, before the changelog is written, so the deletes
reach the changelog as tombstones. Operators that know the stream time may call
:meth:`CachedWindowStore.expire` themselves to drop windows sooner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from streamkit.log.records import Record
from streamkit.processor import StoreKind, StoreSpec
from streamkit.state.backend import DATA, Changes, StoreBackend
from streamkit.state.cache import DEFAULT_CAPACITY, WriteBackCache
from streamkit.state.store import ManagedStore, serialize_key, store_serdes, value_codec
from streamkit.state.window_keys import (
    TIME_BIAS,
    TIME_MAX,
    TIME_MIN,
    decode_index_key,
    decode_primary_key,
    encode_time,
    index_key,
    index_key_of_prefix,
    index_key_of_primary,
    key_prefix,
    prefix_upper_bound,
    primary_key,
    primary_key_of_prefix,
    two_times,
)

BY_END = "by_end"
WINDOW_TABLES = (DATA, BY_END)

_MISSING = object()
_join = b"".join
_MEMO_KEY_TYPES = frozenset((str, int, bytes))
# Exact types only: for these, equal keys always serialize alike (unlike 1 == 1.0
# == True, or str subclasses with their own encoding).
MEMO_LIMIT = 100_000
"""Serialized keys a window store remembers (then it starts over)."""


class CachedWindowStore(ManagedStore):
    """Per-key windows ``[start, end)`` behind write-back caches; reads see own
    uncommitted writes. ``put(key, start, end, None)`` deletes."""

    kind = StoreKind.WINDOW

    def __init__(self, spec: StoreSpec, backend: StoreBackend, *, cache_capacity: int = DEFAULT_CAPACITY) -> None:
        data = WriteBackCache(backend, DATA, cache_capacity)
        # Index values are empty, and scans never use the clean cache: keep none.
        index = WriteBackCache(backend, BY_END, 0)
        super().__init__(spec, backend, (data, index))
        self._windows, self._index = data, index
        self._keys, self._values = store_serdes(spec)
        self._serialize, self._deserialize = self._values.serialize, self._values.deserialize
        self._encode, self._decode = value_codec(self._values)
        self._prefixes: dict[Any, bytes] = {}
        self._times: dict[int, tuple[int, bytes]] = {}  # start -> (end, packed start and end)
        self.retention_ms = spec.retention_ms
        self._latest_start = TIME_MIN
        # No committed window starts later than this. A window starting later
        # is new unless written since the last commit, so reading it skips the
        # backend (a RocksDB miss): most new windows are such.
        self._backend_starts_to = self._latest_committed_start()
        self._sealed_starts_to = TIME_MIN
        # No window ends before this (expire() deleted every one): index scans
        # start here instead of stepping over the tombstones of every window
        # expired so far. Its values as of the last seal and commit let an abort,
        # which brings expired windows back, restore it.
        self._live_from = self._sealed_live_from = self._committed_live_from = TIME_MIN

    # get(), put() and update() run once per window per record; update(), the
    # read-fold-write of windowed aggregations, inlines _latest() and _write():
    # the two calls would cost a twentieth of the per-record work.

    def get(self, key: Any, start: int, end: int) -> Any | None:
        """The value of ``key``'s window ``[start, end)``, ``None`` if absent."""
        data = self._latest(key, start, end)
        return None if data is None else self._deserialize(data)

    def put(self, key: Any, start: int, end: int, value: Any) -> None:
        """Store ``value`` for ``key``'s window ``[start, end)`` (``None`` deletes)."""
        if value is None:
            self.delete(key, start, end)
            return
        prefix = self._prefix_of(key)
        primary = prefix + two_times(start + TIME_BIAS, end + TIME_BIAS)
        windows = self._windows
        previous = windows.dirty.get(primary, _MISSING)
        # has_recent() may say "absent" for a committed window it has not
        # cached: rewriting its index entry is harmless.
        exists = windows.has_recent(primary) if previous is _MISSING else previous is not None
        self._write(prefix, primary, start, end, value, exists)

    def update(self, key: Any, start: int, end: int, fn: Callable[[Any], Any]) -> Any:
        """Replace the value of ``key``'s window ``[start, end)`` with ``fn(value)``
        (``value`` is ``None`` when the window is absent) and return it; ``None``
        deletes the window. :meth:`get` then :meth:`put`, finding the window once."""
        prefix = self._prefixes.get(key) if type(key) is str else None
        if prefix is None:
            prefix = self._prefix_of(key)
        # The packed (start, end) of recent windows: few are open at a time, and
        # packing two 64-bit times costs more than finding them again.
        times = self._times.get(start)
        if times is None or times[0] != end:
            if len(self._times) >= MEMO_LIMIT:
                self._times.clear()
            times = self._times[start] = (end, two_times(start + TIME_BIAS, end + TIME_BIAS))
        primary = prefix + times[1]
        windows = self._windows
        dirty = windows.dirty
        data: Any = dirty.get(primary, _MISSING)
        in_dirty = data is not _MISSING
        if not in_dirty:
            if start <= self._backend_starts_to:
                data = windows.get(primary)
            else:
                data = windows.sealed.get(primary) if windows.sealed else None
        if data is not None:
            try:
                data = self._decode(data)
            except ValueError:
                data = self._deserialize(data)  # says what is wrong with it
        value = fn(data)
        if value is None:
            self.delete(key, start, end)
            return None
        try:
            new = _join((self._encode(value), b""))  # compact(), inlined
        except TypeError:  # e.g. non-string keys: the serde knows more, or says why not
            new = _join((self._serialize(value), b""))  # type: ignore[arg-type]
            # A store's values share a shape: ask the serde first from now on
            # rather than fail orjson's plain dumps on every update.
            self._encode = self._serialize  # type: ignore[assignment]
        if in_dirty:
            dirty[primary] = new
        else:
            windows.put(primary, new)
        if data is None:
            self._index.put(index_key_of_prefix(prefix, start, end), b"")
            if end < self._live_from:  # noqa: PLR1730
                self._live_from = end
        if start > self._latest_start:  # noqa: PLR1730
            self._latest_start = start
        return value

    def delete(self, key: Any, start: int, end: int) -> None:
        """Remove ``key``'s window ``[start, end)``."""
        prefix = self._prefix_of(key)
        self._windows.put(primary_key_of_prefix(prefix, start, end), None)
        self._index.put(index_key_of_prefix(prefix, start, end), None)

    def _latest(self, key: Any, start: int, end: int) -> bytes | None:
        """The window's latest value bytes, ``None`` if absent."""
        prefix = self._prefixes.get(key) if type(key) is str else None
        if prefix is None:
            prefix = self._prefix_of(key)
        primary = prefix + two_times(start + TIME_BIAS, end + TIME_BIAS)  # primary_key_of_prefix()
        windows = self._windows
        data: Any = windows.dirty.get(primary, _MISSING)
        if data is _MISSING:
            if start <= self._backend_starts_to:
                data = windows.get(primary)
            else:  # newer than every committed window: no backend read
                data = windows.sealed.get(primary) if windows.sealed else None
        return data  # type: ignore[no-any-return]

    def _write(self, prefix: bytes, primary: bytes, start: int, end: int, value: Any,
               exists: bool) -> None:
        """Store ``value`` (not None) for a window found at ``primary``."""
        data = _join((self._serialize(value), b""))  # type: ignore[arg-type]  # compact(), inlined
        # Index entries are written with their window's first put; an existing
        # window (written since the last checkpoint, or committed) has one.
        if not exists:
            self._index.put(index_key_of_prefix(prefix, start, end), b"")
            if end < self._live_from:  # noqa: PLR1730
                self._live_from = end
        windows = self._windows
        if primary in windows.dirty:
            windows.dirty[primary] = data  # all that windows.put() would do
        else:
            windows.put(primary, data)
        if start > self._latest_start:  # noqa: PLR1730
            self._latest_start = start

    def _prefix_of(self, key: Any) -> bytes:
        """The :func:`key_prefix` of ``key``'s windows, remembered for keys of the
        common exact types (the per-record path serializes each key once)."""
        memo = type(key) in _MEMO_KEY_TYPES
        if memo:
            prefix = self._prefixes.get(key)
            if prefix is not None:
                return prefix
        prefix = key_prefix(serialize_key(self._keys, key, self.name))
        if memo:
            if len(self._prefixes) >= MEMO_LIMIT:
                self._prefixes.clear()
            self._prefixes[key] = prefix
        return prefix

    def fetch(self, key: Any, start_from: int, start_to: int) -> Iterator[tuple[int, int, Any]]:
        """``(start, end, value)`` of ``key``'s windows with ``start_from <= start <=
        start_to``, by start (then end)."""
        prefix = self._prefix_of(key)
        low = prefix + encode_time(start_from)
        high = prefix + encode_time(start_to + 1) if start_to < TIME_MAX else prefix_upper_bound(prefix)
        values = self._values.deserialize
        for data, value in self._windows.scan(low, high):
            _, start, end = decode_primary_key(data)
            yield start, end, values(value)

    def windows_ending_by(self, end_to: int) -> Iterator[tuple[Any, int, int, Any]]:
        """``(key, start, end, value)`` of every window with ``end <= end_to``, by end.
        Deleting the windows while iterating is safe."""
        high = encode_time(end_to + 1) if end_to < TIME_MAX else None
        keys, values = self._keys.deserialize, self._values.deserialize
        for entry, _ in self._index.scan(encode_time(self._live_from), high):
            raw_key, start, end = decode_index_key(entry)
            value = self._windows.get(primary_key(raw_key, start, end))
            if value is not None:
                yield keys(raw_key), start, end, values(value)

    def expire(self, before_end: int) -> int:
        """Delete every window with ``end < before_end``; returns how many."""
        if before_end <= TIME_MIN:
            return 0
        expired = [
            (raw_key, start, end)
            for entry, _ in self._index.scan(encode_time(self._live_from), encode_time(before_end))
            for raw_key, start, end in (decode_index_key(entry),)
        ]
        for raw_key, start, end in expired:
            self._windows.put(primary_key(raw_key, start, end), None)
            self._index.put(index_key(raw_key, start, end), None)
        if before_end > self._live_from:  # noqa: PLR1730
            self._live_from = before_end
        return len(expired)

    def prepare_checkpoint(self) -> None:
        """Apply retention before the checkpoint seals this store's writes."""
        if self.retention_ms is not None and self._latest_start > TIME_MIN:
            self.expire(self._latest_start - self.retention_ms)
        self._sealed_starts_to = self._latest_start  # every window sealed next starts by then
        self._sealed_live_from = self._live_from

    def committed(self) -> None:
        """The sealed windows are on disk."""
        super().committed()
        self._backend_starts_to = max(self._backend_starts_to, self._sealed_starts_to)
        self._committed_live_from = self._sealed_live_from

    def abort(self) -> None:
        """Drop every uncommitted write (and the retention they moved)."""
        self._live_from = self._committed_live_from
        self._latest_start = self._backend_starts_to  # the latest committed start
        super().abort()

    def invalidate(self) -> None:
        """The backend changed underneath (restore, wipe)."""
        self._live_from = self._sealed_live_from = self._committed_live_from = TIME_MIN
        super().invalidate()
        self._backend_starts_to = self._latest_committed_start()

    def _latest_committed_start(self) -> int:
        """The latest start of a committed window (one pass over the index, at
        open and after a restore: the window store holds only retained windows)."""
        latest = TIME_MIN
        for entry, _ in self.backend.scan(BY_END, None, None):
            start = decode_index_key(entry)[1]
            if start > latest:  # noqa: PLR1730
                latest = start
        return latest

    def restore_changes(self, records: list[Record]) -> Changes:
        """Replay changelog records into both the windows and their index."""
        windows: dict[bytes, bytes | None] = {}
        index: dict[bytes, bytes | None] = {}
        for record in records:
            if record.key is None:
                continue
            windows[record.key] = record.value
            index[index_key_of_primary(record.key)] = None if record.value is None else b""
            if record.value is not None:
                start = decode_primary_key(record.key)[1]
                self._latest_start = max(self._latest_start, start)
                self._backend_starts_to = max(self._backend_starts_to, start)
        return {DATA: windows, BY_END: index}
