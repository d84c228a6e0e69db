"""What a store keeps its committed state in: the :class:`StoreBackend` protocol.

A backend holds named *tables* of byte keys and values (a key-value store uses
one, ``"data"``; a window store adds its by-end index) plus the changelog offset
its contents correspond to. :meth:`StoreBackend.apply` writes a set of changes
and that offset atomically: this is what lets a restart replay only the
changelog's tail. Two backends exist: RocksDB (:mod:`.rocksdb_backend`) and memory
(:mod:`.memory_backend`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Protocol

DATA = "data"
"""The table every store has: its entries, keyed as in its changelog."""

Changes = Mapping[str, Mapping[bytes, bytes | None]]
"""Per table, the new value of each changed key (``None``: deleted)."""


class StoreBackend(Protocol):
    """Committed state of one store of one task."""

    def get(self, table: str, key: bytes) -> bytes | None:
        """The committed value of ``key``, ``None`` if absent."""

    def reader(self, table: str) -> Callable[[bytes], bytes | None]:
        """A function returning the committed value of a key of ``table`` (what
        :meth:`get` does, without the table lookup: for per-record paths). Valid
        until :meth:`wipe` or :meth:`close`."""

    def scan(self, table: str, start: bytes | None, end: bytes | None) -> Iterator[tuple[bytes, bytes]]:
        """Entries with ``start <= key < end`` (``None``: unbounded) in byte order."""

    def last_key(self, table: str) -> bytes | None:
        """The greatest committed key of ``table``, ``None`` if it is empty."""

    def apply(self, changes: Changes, changelog_offset: int | None) -> None:
        """Write ``changes`` and (unless ``None``) the changelog offset they
        correspond to, all or nothing."""

    def changelog_offset(self) -> int | None:
        """The changelog offset stored by the last :meth:`apply`, ``None`` if never."""

    def is_empty(self) -> bool:
        """Whether the data table holds no entry."""

    def wipe(self) -> None:
        """Drop every entry and the stored offset."""

    def close(self) -> None:
        """Release the backend; committed state stays on disk if it is persistent."""
