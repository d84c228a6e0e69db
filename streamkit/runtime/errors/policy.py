"""Error policies: per app and per step, what to do with a record that cannot be
decoded or whose processing raises."""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass

from streamkit.log.errors import StreamkitError


class OnError(enum.Enum):
    """The action for a failing record."""

    DEAD_LETTER = "dead-letter"  # send the original bytes to the dead-letter topic
    RETRY = "retry"  # retry with exponential backoff and jitter, then dead-letter
    SKIP = "skip"  # drop it, counted in the task's metrics
    STOP = "stop"  # stop the app with the error


class ProcessingStopped(StreamkitError):
    """A record failed under the ``stop`` policy; the app stops without committing it."""


@dataclass(frozen=True, slots=True)
class ErrorPolicy:
    """What to do with a record whose decoding or processing raises.

    >>> ErrorPolicy.parse("retry").action
    <OnError.RETRY: 'retry'>
    >>> ErrorPolicy(OnError.RETRY, attempts=3, backoff_ms=100).backoff_for(2, jitter=0.0)
    0.2
    """

    action: OnError = OnError.DEAD_LETTER
    attempts: int = 3  # retry: total attempts, the first included
    backoff_ms: int = 100  # retry: first delay; doubles each attempt
    max_backoff_ms: int = 10_000
    dead_letter_topic: str | None = None  # default: "<app>-dlq"

    @classmethod
    def parse(cls, policy: ErrorPolicy | OnError | str | None) -> ErrorPolicy:
        """Accept an :class:`ErrorPolicy`, an :class:`OnError` or its name."""
        if policy is None:
            return cls()
        if isinstance(policy, ErrorPolicy):
            return policy
        if isinstance(policy, OnError):
            return cls(policy)
        try:
            return cls(OnError(policy))
        except ValueError:
            names = ", ".join(repr(a.value) for a in OnError)
            raise StreamkitError(
                f"unknown error policy {policy!r}: use one of {names} or an ErrorPolicy(...)"
            ) from None

    def backoff_for(self, attempt: int, *, jitter: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based): exponential,
        capped, with up to 50% random jitter (``jitter`` in [0, 1) overrides it)."""
        delay_ms = min(self.backoff_ms * (2 ** (attempt - 1)), self.max_backoff_ms)
        spread = random.random() if jitter is None else jitter
        return delay_ms * (1 + spread / 2) / 1000.0
