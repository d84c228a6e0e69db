"""Errors raised by the built-in operators. Each says what to change."""

from __future__ import annotations

from streamkit.log.errors import StreamkitError


class InvalidWindowSpec(StreamkitError, ValueError):
    """A window size, step, gap or grace that cannot work, e.g. a hopping step
    larger than the window."""


class InvalidAggregation(StreamkitError, ValueError):
    """An aggregation built with arguments it cannot use."""
