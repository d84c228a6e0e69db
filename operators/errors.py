"""Errors raised by the built-in operators. Each says what to change."""

from __future__ import annotations

from streamkit.log.errors import StreamkitError


class InvalidWindowSpec(StreamkitError, ValueError):
    """A window size, step, gap or grace that cannot work, e.g. a hopping step
    larger than the window."""


class InvalidAggregation(StreamkitError, ValueError):
    """An aggregation built with arguments it cannot use."""


def none_accumulator(aggregator: object, method: str) -> InvalidAggregation:
    """The error for an aggregation whose ``method`` returned ``None`` as an
    accumulator. A window store reads ``None`` as "no window", so the window would
    silently lose what it held; the record goes to the dead letters instead.

    >>> print(none_accumulator("Tags()", "add"))  # doctest: +ELLIPSIS
    'Tags()'.add() returned None: it must return the accumulator, never None ... [*accumulator, value] ...
    """
    return InvalidAggregation(
        f"{aggregator!r:.80}.{method}() returned None: it must return the accumulator, "
        "never None (a window store reads None as no window). list.append(), "
        "list.extend() and dict.update() return None: return [*accumulator, value] "
        "or {**accumulator, ...} instead"
    )
