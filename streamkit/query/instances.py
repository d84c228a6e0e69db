"""Which instance of an app serves which task: how one instance answers "not
here, ask host:port" for a key another instance holds.

Mechanism: every instance started with ``--serve`` publishes one record to the
app's compacted topic ``<app>-instances`` (one partition), keyed by its instance
id, whenever the set of tasks it holds changes::

    key:   b"<instance_id>"
    value: {"instance_id": ..., "address": "host:port", "tasks": ["1_0", "1_3"],
            "published_ms": 1700000000000}

and a tombstone when it stops cleanly. Each instance also reads that topic from
the beginning, forever, into an :class:`OwnerMap`. Compaction keeps the topic at
one record per instance. A crashed instance's last record stays until a restart
under the same id replaces it, so when two instances claim a task, the latest
claim wins (a task is only ever handed to one live member at a time, and the new
owner publishes after it gets it). The map is eventually consistent: right after
a rebalance, a query can be sent to the previous owner, which answers with its
own (newer or older) view; clients retry.

Pure logic first (tested without a broker), then :class:`InstanceMembership`,
the thread that publishes and reads.

>>> from streamkit.processor import TaskId
>>> owners = OwnerMap()
>>> owners.apply(*encode_instance(InstanceInfo("a", "h1:80", frozenset({TaskId(1, 0)}), 10)))
>>> owners.apply(*encode_instance(InstanceInfo("b", "h2:80", frozenset({TaskId(1, 0)}), 20)))
>>> owners.owner_of(TaskId(1, 0)).address
'h2:80'
>>> owners.apply(b"b", None)   # b stopped
>>> owners.owner_of(TaskId(1, 0)).address
'h1:80'
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from streamkit.log.broker import Broker, Consumer, Producer
from streamkit.log.errors import BrokerUnavailable, TopicAlreadyExists
from streamkit.log.records import TopicPartition
from streamkit.processor import TaskId
from streamkit.query.catalog import StoreRoute
from streamkit.query.directory import StoreDirectory
from streamkit.state.layout import parse_task_dir

log = logging.getLogger("streamkit.query")

INSTANCES_CONFIG = {"cleanup.policy": "compact"}


def instances_topic(app_name: str) -> str:
    """The compacted topic where an app's serving instances announce themselves.

    >>> instances_topic("wordcount")
    'wordcount-instances'
    """
    return f"{app_name}-instances"


@dataclass(frozen=True, slots=True)
class InstanceInfo:
    """One serving instance: where it answers queries and the tasks it holds."""

    instance_id: str
    address: str | None
    tasks: frozenset[TaskId]
    published_ms: int


def encode_instance(info: InstanceInfo) -> tuple[bytes, bytes]:
    """The record (key, value) announcing ``info``."""
    value = {"instance_id": info.instance_id, "address": info.address,
             "tasks": sorted(str(t) for t in info.tasks), "published_ms": info.published_ms}
    return info.instance_id.encode(), orjson.dumps(value)


def decode_instance(value: bytes) -> InstanceInfo | None:
    """The instance a record announces; ``None`` for a record we cannot read
    (written by a different version: ignored rather than fatal)."""
    try:
        raw = orjson.loads(value)
        tasks = frozenset(t for t in (parse_task_dir(s) for s in raw["tasks"]) if t is not None)
        return InstanceInfo(str(raw["instance_id"]), raw.get("address"), tasks,
                            int(raw["published_ms"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


class OwnerMap:
    """The instances of an app as read from ``<app>-instances``. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._instances: dict[str, InstanceInfo] = {}

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """Apply one record of the instances topic (``None`` value: a tombstone)."""
        if key is None:
            return
        instance_id = key.decode("utf-8", "replace")
        with self._lock:
            if value is None:
                self._instances.pop(instance_id, None)
                return
            info = decode_instance(value)
            held = self._instances.get(instance_id)
            # Our own publish is applied before its echo arrives: never step back.
            if info is not None and (held is None or info.published_ms >= held.published_ms):
                self._instances[instance_id] = info

    def instances(self) -> list[InstanceInfo]:
        """Every known instance, by id."""
        with self._lock:
            return [self._instances[i] for i in sorted(self._instances)]

    def owner_of(self, task_id: TaskId) -> InstanceInfo | None:
        """The instance that most recently claimed ``task_id``, if any."""
        return latest_claim(task_id, self.instances())


def latest_claim(task_id: TaskId, instances: Iterable[InstanceInfo]) -> InstanceInfo | None:
    """Of the instances claiming ``task_id``, the one that published last.

    >>> a = InstanceInfo("a", "h1:1", frozenset({TaskId(0, 0)}), 5)
    >>> latest_claim(TaskId(0, 1), [a]) is None
    True
    """
    claims = [i for i in instances if task_id in i.tasks]
    return max(claims, key=lambda i: (i.published_ms, i.instance_id), default=None)


@dataclass(frozen=True, slots=True)
class KeyLocation:
    """Where a key lives: its partition, the task holding it, and the serve
    address of the instance that (last) claimed that task, if known."""

    partition: int
    task_id: TaskId
    owner: str | None


def locate_key(route: StoreRoute, key: object, partitions: int,
               instances: Iterable[InstanceInfo]) -> KeyLocation:
    """Key → partition (murmur2, as the producer of the store's topic chose it)
    → task → the instance serving that task.

    >>> from streamkit.processor import StoreSpec
    >>> from streamkit.serde import get_serde
    >>> route = StoreRoute(StoreSpec("counts"), 1, "words", get_serde("json"))
    >>> there = InstanceInfo("b", "h2:8080", frozenset({TaskId(1, 1)}), 1)
    >>> locate_key(route, "world", 2, [there])
    KeyLocation(partition=1, task_id=TaskId(subtopology=1, partition=1), owner='h2:8080')
    """
    task_id = route.task_of(key, partitions)
    owner = latest_claim(task_id, instances)
    return KeyLocation(task_id.partition, task_id, None if owner is None else owner.address)


class InstanceMembership:
    """Publishes this instance's tasks to ``<app>-instances`` when the directory
    changes and keeps :attr:`owners` up to date, from one daemon thread with its
    own producer and consumer (never touching the processing thread's clients)."""

    def __init__(self, broker: Broker, app_name: str, instance_id: str, address: str | None,
                 directory: StoreDirectory, *, poll_timeout_s: float = 0.2) -> None:
        self.broker = broker
        self.topic = instances_topic(app_name)
        self.instance_id = instance_id
        self.address = address
        self.directory = directory
        self.owners = OwnerMap()
        self._poll_timeout_s = poll_timeout_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._published_version = -1

    def start(self) -> None:
        """Create the topic if needed and start publishing and reading."""
        admin = self.broker.admin()
        try:
            admin.create_topic(self.topic, 1, INSTANCES_CONFIG)
        except TopicAlreadyExists:
            pass
        finally:
            admin.close()
        self._thread = threading.Thread(target=self._run, name="streamkit-instances", daemon=True)
        self._thread.start()

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the thread; it withdraws this instance (a tombstone) on its way out."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        producer = self.broker.producer()
        consumer = self.broker.consumer(group_id=None, isolation_level="read_uncommitted")
        try:
            partition = TopicPartition(self.topic, 0)
            consumer.assign([partition])
            consumer.seek(partition, 0)  # offset 0 may be compacted away: reads the first kept
            while not self._stop.is_set():
                try:
                    self._publish_if_changed(producer)
                    self._read(consumer)
                except BrokerUnavailable as error:
                    log.warning("instances topic %s: broker unavailable (%s); retrying",
                                self.topic, error)
                    self._stop.wait(1.0)
            producer.send(self.topic, None, self.instance_id.encode())
            producer.flush(5.0)
        except Exception:
            log.exception("instances topic %s: publishing/reading stopped", self.topic)
        finally:
            for client in (consumer, producer):
                try:
                    client.close()
                except Exception:  # noqa: BLE001, S110 - closing goes on regardless
                    pass

    def _publish_if_changed(self, producer: Producer) -> None:
        version = self.directory.version
        if version == self._published_version:
            return
        tasks = frozenset(self.directory.owned_tasks())
        info = InstanceInfo(self.instance_id, self.address, tasks, int(time.time() * 1000))
        key, value = encode_instance(info)
        producer.send(self.topic, value, key)
        producer.flush(5.0)
        self.owners.apply(key, value)  # our own view is current before the echo arrives
        self._published_version = version
        log.info("instance %s serves tasks %s", self.instance_id, sorted(str(t) for t in tasks))

    def _read(self, consumer: Consumer) -> None:
        for record in consumer.poll_batch(500, self._poll_timeout_s):
            self.owners.apply(record.key, record.value)
