"""Counting one kind of request a librdkafka client makes, in Kafka-only tests."""

from __future__ import annotations

from typing import Any


class CountingCalls:
    """``native`` (a confluent-kafka client), counting the calls of its method
    ``name`` in ``calls``; everything else passes through."""

    def __init__(self, native: Any, name: str) -> None:
        self._native = native
        self._name = name
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._native, name)
        if name != self._name:
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return attribute(*args, **kwargs)

        return counted
