"""Running workers in threads, and handing them wrapped clients, in runtime tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from streamkit.log import Broker
from streamkit.runtime.loop.worker import Worker


def run_worker(worker: Worker, failures: list[BaseException],
               stop: threading.Event | None = None, *, until_idle_s: float | None = None,
               name: str | None = None) -> threading.Thread:
    """Start ``worker`` in a daemon thread (named ``name``) that runs until ``stop``
    is set or, with ``until_idle_s``, it is idle; what it raises goes to ``failures``."""

    def target() -> None:
        try:
            worker.run(stop or threading.Event(), until_idle_s=until_idle_s)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            failures.append(error)

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


def _as_is(client: Any) -> Any:
    return client


class WrappingBroker:
    """``broker``, whose producers and consumers come wrapped by ``producer`` and
    ``consumer`` (a test's spy or fault), each kept in ``producers`` or ``consumers``."""

    def __init__(self, broker: Broker, *, producer: Callable[[Any], Any] = _as_is,
                 consumer: Callable[[Any], Any] = _as_is) -> None:
        self._broker = broker
        self._wrap_producer, self._wrap_consumer = producer, consumer
        self.producers: list[Any] = []
        self.consumers: list[Any] = []

    def producer(self, **options: Any) -> Any:
        producer = self._wrap_producer(self._broker.producer(**options))
        self.producers.append(producer)
        return producer

    def consumer(self, **options: Any) -> Any:
        consumer = self._wrap_consumer(self._broker.consumer(**options))
        self.consumers.append(consumer)
        return consumer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._broker, name)
