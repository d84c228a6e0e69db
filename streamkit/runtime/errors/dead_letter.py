"""Dead letters: a failed record's original bytes, sent to ``<app>-dlq`` (or the
configured topic) with headers that say where it came from and why."""

from __future__ import annotations

import time
from collections.abc import Callable

from streamkit.log.records import Headers, Record

HEADER_PREFIX = "streamkit.error."

SendFn = Callable[[str, bytes | None, bytes | None, int | None, int, Headers], None]
"""``send(topic, value, key, partition, timestamp, headers)``: a producer's
:meth:`~streamkit.log.broker.Producer.send`, called positionally."""


def dead_letter_topic(app_name: str, configured: str | None = None) -> str:
    """The dead-letter topic of an app: the configured name, else ``<app>-dlq``."""
    return configured or f"{app_name}-dlq"


def dead_letter_headers(record: Record, error: BaseException, step: str = "") -> Headers:
    """The record's own headers plus ``streamkit.error.topic/partition/offset/
    timestamp/type/message``, and ``streamkit.error.step``, the name of the step
    that failed, when known.

    >>> r = Record("clicks", 2, 41, 0, b"k", b"{oops")
    >>> headers = dict(dead_letter_headers(r, ValueError("bad"), "source-clicks-1"))
    >>> headers["streamkit.error.offset"], headers["streamkit.error.step"]
    (b'41', b'source-clicks-1')
    """
    message = str(error)[:1000]
    step_header = ((HEADER_PREFIX + "step", step.encode()),) if step else ()
    return tuple(record.headers) + step_header + (
        (HEADER_PREFIX + "topic", record.topic.encode()),
        (HEADER_PREFIX + "partition", str(record.partition).encode()),
        (HEADER_PREFIX + "offset", str(record.offset).encode()),
        (HEADER_PREFIX + "timestamp", str(record.timestamp).encode()),
        (HEADER_PREFIX + "type", type(error).__name__.encode()),
        (HEADER_PREFIX + "message", message.encode("utf-8", "replace")),
    )


class DeadLetterWriter:
    """Sends failed records through the task's record sender (so that, under
    exactly-once, a dead letter commits atomically with the input offset)."""

    __slots__ = ("_send",)

    def __init__(self, send: SendFn) -> None:
        self._send = send

    def write(self, topic: str, record: Record, error: BaseException, step: str = "") -> None:
        """Send ``record`` to ``topic``, stamped with the time it failed: its own
        timestamp (event time, maybe long past) would let time-based retention
        delete the dead letter at once; that timestamp travels in a header."""
        self._send(topic, record.value, record.key, None, int(time.time() * 1000),
                   dead_letter_headers(record, error, step))
