"""A task's stream time, kept in the metadata of its committed offsets so that it
survives restarts and rebalances (as Kafka Streams keeps it).

Every checkpoint stores the task's stream time with the offset of each of its
input partitions; a task created later resumes from the latest of them. The
metadata is a small versioned JSON object. Anything else — no metadata, another
tool's, a malformed one — means "unknown", never an error.

>>> stream_time_metadata(1_700_000_000_000)
'{"v":1,"stream_time":1700000000000}'
>>> committed_stream_time([stream_time_metadata(5), None, stream_time_metadata(9)])
9
>>> committed_stream_time([None, "written by another tool"])
-1
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TypeGuard

VERSION = 1  # later versions may add fields, never change the meaning of these
UNKNOWN = -1  # a task's stream time before it has seen any record


def stream_time_metadata(stream_time: int) -> str:
    """The commit metadata that records ``stream_time``."""
    return json.dumps({"v": VERSION, "stream_time": stream_time}, separators=(",", ":"))


def decode_stream_time(metadata: str | None) -> int | None:
    """The stream time recorded in commit metadata, or ``None`` if it holds none.

    >>> decode_stream_time('{"v":1,"stream_time":42}'), decode_stream_time("{")
    (42, None)
    """
    if not metadata:
        return None
    try:
        fields = json.loads(metadata)
    except ValueError:
        return None
    if not isinstance(fields, dict):
        return None
    version, stream_time = fields.get("v"), fields.get("stream_time")
    if not _is_int(version) or version < 1 or not _is_int(stream_time):
        return None
    return stream_time


def committed_stream_time(metadata: Iterable[str | None]) -> int:
    """The stream time a task resumes from: the latest recorded in the commit
    metadata of any of its partitions, :data:`UNKNOWN` if none records one."""
    times = (decode_stream_time(m) for m in metadata)
    return max((t for t in times if t is not None), default=UNKNOWN)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
