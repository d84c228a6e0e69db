"""Committed state in RocksDB (through rocksdict), one database per store and task.

On disk (``state_dir/<task_id>/<store>/``, see :mod:`.layout`) a store is a RocksDB
database in raw (bytes) mode with these column families:

* ``default``: the data table, keyed exactly as the changelog is;
* one per extra table (a window store's ``by_end`` index);
* ``streamkit-meta``: ``changelog-offset`` → the changelog offset (8 bytes,
  big-endian) the data corresponds to.

Every :meth:`RocksDBBackend.apply` is one ``WriteBatch`` across those column
families, so data and offset can never disagree. The WAL stays on (without
fsync): we write one batch per checkpoint, so it costs one sequential append per
commit, and it means a killed process restarts from its last commit rather than
its last memtable flush. (Disabling it would still be *correct*, since the offset
travels in the same batch, but only with ``atomic_flush`` across the column
families, and at the price of longer replays.)
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import cast

from rocksdict import AccessType, Options, Rdict, ReadOptions, WriteBatch

from streamkit.state.backend import DATA, Changes
from streamkit.state.errors import StateError

META = "streamkit-meta"
OFFSET_KEY = b"changelog-offset"
_OFFSET = struct.Struct(">q")


def _options() -> Options:
    options = Options(raw_mode=True)
    options.create_if_missing(True)
    options.create_missing_column_families(True)
    return options


def open_rdict(path: Path, tables: Sequence[str], *, read_only: bool = False) -> Rdict:
    """Open (creating unless ``read_only``) the database of a store at ``path``."""
    families = {name: Options(raw_mode=True) for name in (*tables, META) if name != DATA}
    try:
        if read_only:
            return Rdict(str(path), Options(raw_mode=True), column_families=families,
                         access_type=AccessType.read_only())
        path.mkdir(parents=True, exist_ok=True)
        return Rdict(str(path), _options(), column_families=families)
    except Exception as exc:  # rocksdict raises plain Exceptions with RocksDB's message
        raise StateError(_open_failure(path, str(exc))) from exc


def _open_failure(path: Path, message: str) -> str:
    """What to tell a user whose store at ``path`` RocksDB would not open.

    >>> _open_failure(Path("s"), "IO error: While lock file: s/LOCK: Resource temporarily "
    ...               "unavailable").startswith("the state store at s is in use by another process")
    True
    >>> "ulimit -n" in _open_failure(Path("s"), "IO error: while open a file for lock: s/LOCK: Too many open files")
    True
    """
    # RocksDB's words for a LOCK file another process (or this one) holds.
    if "While lock file" in message or "lock hold by current process" in message:
        return (f"the state store at {path} is in use by another process: stop the other "
                "`streamkit run` of this app, or give this one its own state directory")
    if "Too many open files" in message:
        return (f"cannot open the state store at {path}: this process has too many files "
                "open (each task's stores keep some): raise the limit (`ulimit -n`) or run "
                f"fewer tasks per process ({message})")
    return f"cannot open the state store at {path}: {message}"


def read_offset(meta: Rdict) -> int | None:
    """The changelog offset stored in a store's meta column family."""
    raw = meta.get(OFFSET_KEY)
    return None if raw is None else _OFFSET.unpack(raw)[0]


def scan_rdict(db: Rdict, start: bytes | None, end: bytes | None) -> Iterator[tuple[bytes, bytes]]:
    """Entries of ``db`` with ``start <= key < end`` (``None``: unbounded)."""
    options = ReadOptions()
    if end is not None:
        options.set_iterate_upper_bound(end)
    items = db.items(read_opt=options) if start is None else db.items(from_key=start, read_opt=options)
    # rocksdict (0.3.29) iterators do not own their upper bound: the ReadOptions
    # and the bound must outlive the iteration, or RocksDB reads freed memory and
    # stops early. This generator's frame keeps both alive until it is done.
    for key, value in items:
        yield cast(bytes, key), value  # raw_mode: keys and values are bytes
    del options, end


class RocksDBBackend:
    """A :class:`~streamkit.state.backend.StoreBackend` in one RocksDB database,
    with the given ``tables``; ``read_only`` for queries, which may run beside the
    app that writes it."""

    def __init__(self, path: Path, tables: Sequence[str] = (DATA,), *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.tables = tuple(tables)
        self._read_only = read_only
        self._open()

    def _open(self) -> None:
        self._db = open_rdict(self.path, self.tables, read_only=self._read_only)
        self._families = {
            name: self._db if name == DATA else self._db.get_column_family(name)
            for name in self.tables
        }
        self._handles = {
            name: self._db.get_column_family_handle("default" if name == DATA else name)
            for name in self.tables
        }
        self._meta = self._db.get_column_family(META)
        self._meta_handle = self._db.get_column_family_handle(META)

    def get(self, table: str, key: bytes) -> bytes | None:
        """The committed value of ``key``."""
        return self._families[table].get(key)

    def reader(self, table: str) -> Callable[[bytes], bytes | None]:
        """The column family's ``Rdict.get``."""
        return self._families[table].get  # type: ignore[no-any-return]

    def scan(self, table: str, start: bytes | None, end: bytes | None) -> Iterator[tuple[bytes, bytes]]:
        """Committed entries with ``start <= key < end`` in byte order."""
        return scan_rdict(self._families[table], start, end)

    def last_key(self, table: str) -> bytes | None:
        """The greatest committed key of ``table``."""
        last = next(iter(self._families[table].keys(backwards=True)), None)
        return cast(bytes | None, last)  # raw_mode: keys are bytes

    def apply(self, changes: Changes, changelog_offset: int | None) -> None:
        """Write ``changes`` and the offset in one ``WriteBatch``."""
        batch = WriteBatch(raw_mode=True)
        for table, entries in changes.items():
            handle = self._handles[table]
            # In key order: RocksDB inserts a sorted batch into a large memtable
            # about a third faster than a random one, more than the sort costs.
            for key in sorted(entries):
                value = entries[key]
                if value is None:
                    batch.delete(key, handle)
                else:
                    batch.put(key, value, handle)
        if changelog_offset is not None:
            batch.put(OFFSET_KEY, _OFFSET.pack(changelog_offset), self._meta_handle)
        if not batch.is_empty():
            self._db.write(batch)

    def changelog_offset(self) -> int | None:
        """The offset stored by the last :meth:`apply`."""
        return read_offset(self._meta)

    def is_empty(self) -> bool:
        """Whether the data table is empty."""
        return next(iter(self._db.keys()), None) is None

    def wipe(self) -> None:
        """Delete the database directory and start an empty one."""
        self.close()
        shutil.rmtree(self.path, ignore_errors=True)
        self._open()

    def close(self) -> None:
        """Flush and close the database (idempotent)."""
        db = getattr(self, "_db", None)
        if db is None:
            return
        for family in self._families.values():
            if family is not db:
                family.close()
        self._meta.close()
        # Column family handles keep RocksDB open (and locked): drop them all.
        self._families, self._handles = {}, {}
        self._meta = self._meta_handle = None  # type: ignore[assignment]
        db.close()
        self._db = None  # type: ignore[assignment]
