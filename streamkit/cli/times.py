"""Times as users type them: epoch milliseconds, ISO 8601, or an age like ``15m``.

>>> to_epoch_ms(1700000000123)
1700000000123
>>> to_epoch_ms("2023-11-14T22:13:20Z")
1700000000000
>>> to_epoch_ms("10s", now_ms=1_000_000)
990000
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from streamkit.log import StreamkitError

_AGE = re.compile(r"^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


class InvalidTime(StreamkitError, ValueError):
    """A value that is not a time streamkit understands."""


def to_epoch_ms(value: object, *, now_ms: int | None = None) -> int:
    """Milliseconds since the epoch for an int/float (ms), a digit string (ms), an
    ISO 8601 date-time (UTC unless it says otherwise) or an age (``500ms``, ``30s``,
    ``15m``, ``2h``, ``7d``) meaning that long before now."""
    if isinstance(value, bool):
        raise InvalidTime(f"{value!r} is not a time")
    if isinstance(value, int | float):
        return int(value)
    if not isinstance(value, str):
        raise InvalidTime(f"{value!r} is not a time: use epoch ms or an ISO 8601 string")
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    if age := _AGE.match(text):
        now = int(time.time() * 1000) if now_ms is None else now_ms
        return now - int(float(age.group(1)) * _UNIT_MS[age.group(2)])
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidTime(
            f"{value!r} is not a time: use epoch milliseconds, ISO 8601 "
            "(2024-05-01T12:00:00Z) or an age such as 15m, 2h, 7d"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)
