"""Run an app's topology in memory, without a broker: for testing apps (like Kafka
Streams' ``TopologyTestDriver``). The same processors run, repartitioning
included; topics are in-memory lists.

>>> from streamkit import App
>>> app = App("shout")
>>> app.stream(app.topic("in", value="string")).map(str.upper).to(
...     app.topic("out", value="string"))
>>> with TestDriver(app) as driver:
...     driver.pipe("in", "hi", key="k", timestamp=5)
...     driver.read("out")
[('k', 'HI', 5)]
"""

from __future__ import annotations

import dataclasses
import itertools
import tempfile
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from streamkit.log.errors import StreamkitError
from streamkit.log.partitioner import partition_for_key
from streamkit.log.records import Headers, Record
from streamkit.processor import StoreSpec, TaskId
from streamkit.runtime.errors.policy import ErrorPolicy
from streamkit.runtime.metrics import merge
from streamkit.runtime.task import StreamTask
from streamkit.runtime.task_state import StateFactory, TaskState
from streamkit.runtime.topics import plan_topics
from streamkit.runtime.topology import Topology


class _NoBroker:
    """Stands in for a broker: the driver's stores are in memory and unlogged."""

    url = "test-driver://"

    def __getattr__(self, name: str) -> Any:
        raise StreamkitError("the TestDriver has no broker; its stores are not logged")


def _in_memory_state(app_name: str, state_dir: Path) -> StateFactory:
    from streamkit.state import TaskStateManager

    def make(task_id: TaskId, specs: Sequence[StoreSpec]) -> TaskState:
        memory = [dataclasses.replace(s, persistent=False, logged=False) for s in specs]
        return TaskStateManager(app_name, task_id, memory, state_dir, _NoBroker())  # type: ignore[arg-type]

    return make


class TestDriver:
    """Drives an app's processors in memory: pipe records in, read outputs.

    Topics that do not declare partitions get one. Every record piped in is
    processed (through repartition topics too) before :meth:`pipe` returns, and
    state is committed after it, as a checkpoint would.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, app: Any, *, wall_clock_ms: int = 0,
                 state_factory: StateFactory | None = None) -> None:
        topology: Topology = app.topology
        self.app = app
        self.wall_clock_ms = wall_clock_ms
        self._tmp = tempfile.TemporaryDirectory(prefix="streamkit-test-driver-")
        factory = state_factory or _in_memory_state(app.name, Path(self._tmp.name))
        subs = topology.subtopologies()
        self.plan = plan_topics(app.name, topology, subs, {}, default_partitions=1,
                                dead_letter_topic=app.dead_letter_topic)
        self._specs = topology.topics
        self._logs: dict[str, list[Record]] = {}
        self._read_upto: dict[str, int] = {}
        self._offsets: dict[tuple[str, int], int] = {}
        self._queue: deque[Record] = deque()
        self._round_robin = itertools.count()
        self._tasks: dict[tuple[str, int], StreamTask] = {}
        self.tasks: list[StreamTask] = []
        policy: ErrorPolicy = app.error_policy
        for sub in subs:
            for partition in range(self.plan.tasks[sub.id]):
                task_id = TaskId(sub.id, partition)
                state = factory(task_id, list(sub.stores.values()))
                state.restore()
                task = StreamTask(app.name, task_id, sub, state, self._send, error_policy=policy,
                                  clock=lambda: self.wall_clock_ms, sleep=lambda s: None)
                task.init()
                self.tasks.append(task)
                for topic in sub.source_topics:
                    self._tasks[(topic.name, partition)] = task

    # -- input -----------------------------------------------------------------------

    def pipe(self, topic: str, value: Any, key: Any = None, *, timestamp: int | None = None,
             headers: Headers = ()) -> None:
        """Serialize ``key``/``value`` with the topic's serdes, append the record to the
        topic and process everything it causes. ``timestamp`` defaults to the wall clock."""
        spec = self._spec(topic)
        self.pipe_bytes(topic, spec.value_serde.serialize(value),
                        spec.key_serde.serialize(key), timestamp=timestamp, headers=headers)

    def pipe_bytes(self, topic: str, value: bytes | None, key: bytes | None = None, *,
                   timestamp: int | None = None, headers: Headers = ()) -> None:
        """Append raw bytes (e.g. a malformed record) and process what it causes."""
        self._spec(topic)
        ts = self.wall_clock_ms if timestamp is None else timestamp
        self._append(topic, key, value, ts, headers)
        self._drain()

    def advance_wall_clock(self, ms: int) -> None:
        """Move the wall clock forward and fire the wall-clock punctuations due."""
        self.wall_clock_ms += ms
        for task in self.tasks:
            task.punctuate_wall_clock(self.wall_clock_ms)
        self._drain()

    # -- output ----------------------------------------------------------------------

    def read(self, topic: str) -> list[tuple[Any, Any, int]]:
        """``(key, value, timestamp)`` of the records written to ``topic`` since the last
        read, deserialized with the topic's serdes (raw bytes for undeclared topics)."""
        spec = self._specs.get(topic)
        records = self.read_records(topic)
        if spec is None:
            return [(r.key, r.value, r.timestamp) for r in records]
        kd, vd = spec.key_serde.deserialize, spec.value_serde.deserialize
        return [(kd(r.key), vd(r.value), r.timestamp) for r in records]

    def read_records(self, topic: str) -> list[Record]:
        """The raw records written to ``topic`` since the last read."""
        log = self._logs.get(topic, [])
        start = self._read_upto.get(topic, 0)
        self._read_upto[topic] = len(log)
        return log[start:]

    def store(self, name: str, partition: int = 0) -> Any:
        """Store ``name`` of task ``partition`` (of the sub-topology that owns it)."""
        for task in self.tasks:
            if name in task.subtopology.stores and task.task_id.partition == partition:
                return task.state.get_store(name)
        raise StreamkitError(f"no store {name!r} in partition {partition} of app "
                             f"{self.app.name!r}")

    def store_items(self, name: str) -> dict[Any, Any]:
        """Every entry of key-value store ``name``, across all partitions."""
        owners = [t for t in self.tasks if name in t.subtopology.stores]
        if not owners:
            raise StreamkitError(f"app {self.app.name!r} has no store {name!r}")
        items: dict[Any, Any] = {}
        for task in owners:
            items.update(task.state.get_store(name).all())
        return items

    def metrics(self) -> dict[str, int]:
        """Counters summed over tasks (``processed``, ``dead_lettered``...)."""
        return merge([t.metrics_snapshot() for t in self.tasks])

    def close(self) -> None:
        for task in self.tasks:
            task.close()
            task.state.close()
        self.tasks.clear()
        self._tmp.cleanup()

    def __enter__(self) -> TestDriver:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------

    def _spec(self, topic: str) -> Any:
        spec = self._specs.get(topic)
        if spec is None:
            raise StreamkitError(f"app {self.app.name!r} declares no topic {topic!r}")
        return spec

    def _send(self, topic: str, value: bytes | None, key: bytes | None, partition: int | None,
              timestamp: int, headers: Headers) -> None:
        """A :data:`SendFn`: outputs are appended as they are sent."""
        assert partition is None, "stream tasks let the key pick the partition"
        self._append(topic, key, value, timestamp, headers)

    def _append(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
                headers: Headers) -> None:
        partitions = self.plan.partitions.get(topic, 1)
        if key is None:
            partition = next(self._round_robin) % partitions
        else:
            partition = partition_for_key(key, partitions)
        offset = self._offsets.get((topic, partition), 0)
        self._offsets[(topic, partition)] = offset + 1
        record = Record(topic, partition, offset, timestamp, key, value, tuple(headers))
        self._logs.setdefault(topic, []).append(record)
        if (topic, partition) in self._tasks:
            self._queue.append(record)

    def _drain(self) -> None:
        queue = self._queue
        while queue:
            record = queue.popleft()
            self._tasks[(record.topic, record.partition)].process(record)
        for task in self.tasks:  # a checkpoint: state written since the last one commits
            task.before_checkpoint()
            task.state.commit()
