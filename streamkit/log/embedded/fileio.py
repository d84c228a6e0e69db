"""Small file primitives the embedded log is built from: locks, atomic writes."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def locked(path: str) -> Iterator[int]:
    """Hold an exclusive ``flock`` on ``path`` (created if missing) for the block.

    ``flock`` locks belong to the open file description, so they exclude other
    processes and other descriptors in this process alike, and the kernel drops
    them when the holder dies.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)


def try_lock(path: str) -> int | None:
    """Open ``path`` and take an exclusive lock without waiting; the descriptor,
    or ``None`` if another holder has it. Close the descriptor to release."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def fsync_dir(path: str) -> None:
    """Make a rename, create or unlink in directory ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data``: all or nothing, durable when this returns."""
    tmp = f"{path}.tmp-{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(os.path.dirname(path) or ".")


def write_json_atomic(path: str, value: Any) -> None:
    """:func:`write_atomic` of ``value`` as JSON."""
    write_atomic(path, json.dumps(value, sort_keys=True).encode())


def read_json(path: str, default: Any = None) -> Any:
    """The JSON in ``path``, or ``default`` if the file does not exist."""
    try:
        with open(path, "rb") as f:
            return json.loads(f.read())
    except FileNotFoundError:
        return default
