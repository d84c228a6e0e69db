"""What every store offers its task's :class:`~streamkit.state.manager.TaskStateManager`:
the checkpoint steps (seal, apply, commit, abort) and changelog replay."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson

from streamkit.log.records import Record
from streamkit.processor import StoreSpec
from streamkit.serde import get_serde
from streamkit.serde.json_serde import JsonSerde
from streamkit.serde.protocol import Serde
from streamkit.state.backend import DATA, Changes, StoreBackend
from streamkit.state.cache import WriteBackCache
from streamkit.state.errors import StateError


def store_serdes(spec: StoreSpec) -> tuple[Serde, Serde]:
    """The key and value serdes a store's spec names."""
    return get_serde(spec.key_serde, is_key=True), get_serde(spec.value_serde)


_join = b"".join


def value_codec(serde: Serde) -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    """A store's per-value encode and decode (of values that are not ``None``):
    ``orjson.dumps`` and ``orjson.loads`` themselves for a plain
    :class:`~streamkit.serde.json_serde.JsonSerde` (a Python call less per
    value), else the serde's own. When orjson's raise (``TypeError``,
    ``ValueError``), ask the serde: it accepts more (non-string keys) or says
    what is wrong.

    >>> from streamkit.serde import get_serde
    >>> value_codec(get_serde("json"))[0] is orjson.dumps
    True
    """
    if type(serde) is JsonSerde and serde.default is None:
        return orjson.dumps, orjson.loads
    return serde.serialize, serde.deserialize  # type: ignore[return-value]


def compact(data: bytes) -> bytes:
    """``data`` in a bytes object of its own size, for bytes a store keeps.

    ``orjson.dumps`` returns bytes that keep its whole output buffer (4 KiB in
    orjson 3.11+, whatever the length): a cache of 100,000 JSON values would pin
    400 MiB, and the page faults made keeping them 5-10x slower than copying.

    >>> import orjson
    >>> compact(orjson.dumps([1, 2])) == b"[1,2]"
    True
    """
    return _join((data, b""))  # a new object even when data is exact (4x cheaper than bytes(memoryview))


def serialize_key(serde: Serde, key: Any, store_name: str) -> bytes:
    """``key`` as store-key bytes; ``None`` is refused (it could not be found again)."""
    data = serde.serialize(key)
    if data is None:
        raise StateError(
            f"store {store_name!r} cannot hold the key None: give the record a key "
            "(e.g. with .group_by) before a stateful step"
        )
    return compact(data)  # caches keep keys


def serialize_prefix(serde: Serde, prefix: Any, store_name: str) -> bytes:
    """The bytes that keys starting with ``prefix`` start with: the serialized
    prefix, less the closing quote of a JSON string (so ``"ab"`` matches
    ``"abc"``: ``b'"ab'`` is a prefix of ``b'"abc"'``).

    >>> from streamkit.serde import get_serde
    >>> serialize_prefix(get_serde("json"), "ab", "s"), serialize_prefix(get_serde("string"), "ab", "s")
    (b'"ab', b'ab')
    """
    data = serialize_key(serde, prefix, store_name)
    # A string serde writes the text itself (no quotes to drop): data == text.
    if (isinstance(prefix, str) and data != prefix.encode()
            and len(data) >= 2 and data[:1] == b'"' and data[-1:] == b'"'):
        return data[:-1]
    return data


class ManagedStore:
    """Base of the store classes: one :class:`WriteBackCache` per backend table.

    The data table's keys and values are exactly the changelog's records."""

    def __init__(self, spec: StoreSpec, backend: StoreBackend, caches: Iterable[WriteBackCache]) -> None:
        self.name = spec.name
        self.spec = spec
        self.backend = backend
        self.caches = tuple(caches)
        self._data = next(cache for cache in self.caches if cache.table == DATA)

    def prepare_checkpoint(self) -> None:
        """Hook run before sealing (a window store expires old windows here)."""

    def seal(self) -> Mapping[bytes, bytes | None]:
        """Seal every table's writes; returns the data table's, for the changelog."""
        self.prepare_checkpoint()
        for cache in self.caches:
            if cache is not self._data:
                cache.seal()
        return self._data.seal()

    def sealed_changes(self) -> Changes:
        """What :meth:`seal` closed, per table, for the backend's WriteBatch."""
        return {cache.table: cache.sealed for cache in self.caches if cache.sealed}

    def committed(self) -> None:
        """The sealed changes are on disk."""
        for cache in self.caches:
            cache.committed()

    def abort(self) -> None:
        """Drop every uncommitted write."""
        for cache in self.caches:
            cache.abort()

    def has_uncommitted(self) -> bool:
        """Whether anything was written since the last commit."""
        return any(cache.dirty or cache.sealed for cache in self.caches)

    def restore_changes(self, records: list[Record]) -> Changes:
        """The backend writes that replay changelog ``records`` (in offset order)."""
        return {DATA: {record.key: record.value for record in records if record.key is not None}}

    def invalidate(self) -> None:
        """The backend changed underneath (restore, wipe): drop cached values."""
        for cache in self.caches:
            cache.invalidate()
