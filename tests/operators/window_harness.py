"""A tiny in-memory harness for operator tests: a dict-backed WindowStore, a
ProcessorContext that records what is forwarded, and a driver that runs an
OperatorPlan over messages in arrival order.

Not a mock of anything external: it implements streamkit's processor protocols
the simplest correct way, so operator logic is tested without a runtime.
"""

from __future__ import annotations

import copy
import dataclasses
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamkit.processor import (
    Message,
    OperatorPlan,
    Punctuation,
    SourceInfo,
    StoreKind,
    StoreSpec,
    TaskId,
    WindowStore,
)
from streamkit.runtime.punctuation import Schedule


class DictWindowStore:
    """WindowStore over a dict; values deep-copied on the way in and out, as a
    serializing store would."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.windows: dict[tuple[Any, int, int], Any] = {}
        self.committed: dict[tuple[Any, int, int], Any] = {}

    def commit(self) -> None:
        self.committed = dict(self.windows)  # values are never mutated in place

    def abort(self) -> None:
        self.windows = dict(self.committed)

    def get(self, key: Any, start: int, end: int) -> Any | None:
        return copy.deepcopy(self.windows.get((key, start, end)))

    def put(self, key: Any, start: int, end: int, value: Any) -> None:
        self.windows[(key, start, end)] = copy.deepcopy(value)

    def update(self, key: Any, start: int, end: int, fn: Callable[[Any], Any]) -> Any:
        value = fn(self.get(key, start, end))
        if value is None:
            self.delete(key, start, end)
        else:
            self.put(key, start, end, value)
        return value

    def delete(self, key: Any, start: int, end: int) -> None:
        self.windows.pop((key, start, end), None)

    def fetch(self, key: Any, start_from: int, start_to: int) -> Iterator[tuple[int, int, Any]]:
        found = sorted(
            (s, e, copy.deepcopy(v))
            for (k, s, e), v in self.windows.items()
            if k == key and start_from <= s <= start_to
        )
        return iter(found)

    def windows_ending_by(self, end_to: int) -> Iterator[tuple[Any, int, int, Any]]:
        found = [
            (k, s, e, copy.deepcopy(v)) for (k, s, e), v in self.windows.items() if e <= end_to
        ]
        found.sort(key=lambda w: (w[2], repr(w[0]), w[1]))
        return iter(found)


assert isinstance(DictWindowStore("x"), WindowStore)


class DictKeyValueStore:
    """KeyValueStore over a dict, with the same commit and abort as DictWindowStore."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.entries: dict[Any, Any] = {}
        self.committed: dict[Any, Any] = {}

    def commit(self) -> None:
        self.committed = dict(self.entries)

    def abort(self) -> None:
        self.entries = dict(self.committed)

    def get(self, key: Any) -> Any | None:
        return copy.deepcopy(self.entries.get(key))

    def put(self, key: Any, value: Any) -> None:
        self.entries[key] = copy.deepcopy(value)

    def delete(self, key: Any) -> None:
        self.entries.pop(key, None)


_DICT_STORES = (DictWindowStore, DictKeyValueStore)


@dataclass
class Forwarded:
    key: Any
    value: Any
    timestamp: int | None
    to: str | None


@dataclass
class FakeContext:
    stores: dict[str, Any]
    stream_time_ms: int = -1
    forwarded: list[Forwarded] = field(default_factory=list)
    metrics: Counter[str] = field(default_factory=Counter)
    schedules: list[Schedule] = field(default_factory=list)
    current: Message | None = None

    @property
    def app_name(self) -> str:
        return "test-app"

    @property
    def task_id(self) -> TaskId:
        return TaskId(0, 0)

    @property
    def stream_time(self) -> int:
        return self.stream_time_ms

    def advance_stream_time(self, time_ms: int) -> None:
        self.stream_time_ms = max(self.stream_time_ms, time_ms)

    @property
    def source(self) -> SourceInfo:
        return SourceInfo("input", 0, None)

    def forward(self, key, value, timestamp=None, headers=None, *, to=None) -> None:  # type: ignore[no-untyped-def]
        if timestamp is None and self.current is not None:
            timestamp = self.current.timestamp
        self.forwarded.append(Forwarded(key, value, timestamp, to))

    def forward_fields(self) -> Callable[[Any, Any, int, Any], None]:
        return self.forward

    def get_store(self, name: str) -> Any:
        return self.stores[name]

    def schedule(
        self, interval_ms: int, kind: Punctuation, callback: Callable[[int], None]
    ) -> Schedule:
        schedule = Schedule(interval_ms, kind, callback, None)
        if kind is Punctuation.STREAM_TIME and self.stream_time_ms >= 0:
            # As the runtime: after a restart, measured from the restored stream time.
            schedule.next_ms = self.stream_time_ms + interval_ms
        self.schedules.append(schedule)
        return schedule

    def on_checkpoint(self, callback: Callable[[], None]) -> None:
        pass

    def count(self, metric: str, amount: int = 1) -> None:
        self.metrics[metric] += amount

    def fire_wall_clock(self, now_ms: int) -> None:
        for schedule in self.schedules:
            if schedule.kind is Punctuation.WALL_CLOCK and not schedule.cancelled:
                schedule.callback(now_ms)

    def fire_stream_time(self) -> None:
        # As the runtime: intervals missed by a jump of stream time fire once.
        for schedule in self.schedules:
            if schedule.kind is Punctuation.STREAM_TIME and schedule.due(self.stream_time_ms):
                schedule.callback(self.stream_time_ms)


def make_store(spec: StoreSpec, kind: str, state_dir: Path | None) -> Any:
    """``dict``: :class:`DictWindowStore` (or :class:`DictKeyValueStore`);
    ``memory``/``rocksdb``: streamkit's real store on that backend (unlogged)."""
    if kind == "dict":
        return (DictWindowStore if spec.kind is StoreKind.WINDOW else DictKeyValueStore)(spec.name)
    from streamkit.state import open_store

    persistent = kind == "rocksdb"
    assert not persistent or state_dir is not None, "rocksdb stores need a state_dir"
    real = dataclasses.replace(spec, persistent=persistent, logged=False)
    return open_store(real, state_dir or Path("/nonexistent"), TaskId(0, 0))


class Harness:
    """Runs an OperatorPlan's processor over messages; keeps its stores, so a
    second processor can be started on the same state (a restart)."""

    def __init__(
        self,
        plan: OperatorPlan,
        *,
        store: str = "dict",
        state_dir: Path | None = None,
        stream_time_punctuation: bool = True,
    ) -> None:
        self.plan = plan
        self._scratch = None
        if store == "rocksdb" and state_dir is None:  # a directory of its own, gone at close()
            self._scratch = tempfile.TemporaryDirectory()
            state_dir = Path(self._scratch.name)
        self.stores = {spec.name: make_store(spec, store, state_dir) for spec in plan.stores}
        self.punctuate = stream_time_punctuation
        self.restart()

    def checkpoint(self) -> None:
        """Commit the stores' writes (the real ones to their backends, expiring old
        windows), as the runtime's checkpoint does, and with them what was
        forwarded so far."""
        for store in self.stores.values():
            if isinstance(store, _DICT_STORES):
                store.commit()
                continue
            store.seal()
            store.backend.apply(store.sealed_changes(), None)
            store.committed()
        context = getattr(self, "context", None)
        if context is not None:
            self._committed = (len(context.forwarded), Counter(context.metrics),
                               context.stream_time_ms)

    def crash(self) -> None:
        """A crash under exactly-once: the stores, what was forwarded, the metrics
        and stream time go back to the last checkpoint, and a fresh processor
        starts on that state (streamkit's stores opened again on their backend).
        The caller sends again what came after it."""
        outputs, metrics, stream_time = self._committed
        for name, store in self.stores.items():
            store.abort()
            if not isinstance(store, _DICT_STORES):
                # As the runtime: the store is opened again on what is on disk.
                self.stores[name] = type(store)(store.spec, store.backend, cache_capacity=0)
        self._start(stream_time, self.context.forwarded[:outputs], Counter(metrics))

    def close(self) -> None:
        for store in self.stores.values():
            if not isinstance(store, _DICT_STORES):
                store.backend.close()
        if self._scratch is not None:
            self._scratch.cleanup()

    def window_keys(self, name: str) -> list[tuple[Any, int, int]]:
        """``(key, start, end)`` of every window in store ``name``."""
        return [(k, s, e) for k, s, e, _v in self.stores[name].windows_ending_by(2**62)]

    def restart(self) -> None:
        """A fresh processor and context on the same stores (state restored)."""
        self.checkpoint()
        previous = getattr(self, "context", None)
        if previous is None:
            self._start(-1, [], Counter())
        else:
            self._start(previous.stream_time_ms, previous.forwarded, previous.metrics)
        self.checkpoint()  # what it starts from is committed

    def _start(self, stream_time: int, forwarded: list[Forwarded], metrics: Counter[str]) -> None:
        self.context = FakeContext(self.stores)
        self.context.stream_time_ms = stream_time
        self.context.forwarded = forwarded
        self.context.metrics = metrics
        self.processor = self.plan.supplier()
        self.processor.init(self.context)

    def send(self, key: Any, value: Any, timestamp: int) -> None:
        message = Message(key, value, timestamp)
        self.context.current = message
        self.context.stream_time_ms = max(self.context.stream_time_ms, timestamp)
        self.processor.process(message)
        if self.punctuate:
            self.context.fire_stream_time()
        self.context.current = None

    def send_all(self, records: Iterable[tuple[Any, Any, int]]) -> None:
        for key, value, timestamp in records:
            self.send(key, value, timestamp)

    @property
    def results(self) -> list[Forwarded]:
        return [f for f in self.context.forwarded if f.to is None]

    @property
    def late(self) -> list[Forwarded]:
        return [f for f in self.context.forwarded if f.to == "late"]

    def result_tuples(self) -> list[tuple[Any, int, int, Any]]:
        return [(f.value.key, f.value.start, f.value.end, f.value.value) for f in self.results]
