"""Transactions: fencing by epoch, and atomic commit through a durable intent.

Per transactional id, ``<root>/__transactions/<id>/`` holds ``state.json``
(``producer_id``, ``epoch``, last committed ``seq``), a ``lock`` and, only while
a commit is in flight, ``intent``.

A transaction's records stay in the producer's memory until commit. Commit,
under the id's lock: check the epoch (a newer producer fences this one), write
the intent (all batches, the offsets with their metadata, the partitions' end
offsets) and fsync it — this is the commit point — then append to each
partition and commit the offsets, then delete the intent. Whoever finds an
intent whose lock is free (the committer died) rolls it forward; each batch
carries ``(producer_id, seq)`` so a partition that already has it is skipped.
The log therefore only ever holds committed data, and read_committed needs no
filtering.
"""

from __future__ import annotations

import json
import logging
import os
import random
import struct
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from streamkit.log.embedded.batch import BatchBuilder, SealedBatch
from streamkit.log.embedded.fileio import fsync_dir, locked, read_json, try_lock, write_json_atomic
from streamkit.log.embedded.offsets import GroupOffsets
from streamkit.log.embedded.partition_log import PartitionLog
from streamkit.log.embedded.topics import TopicStore
from streamkit.log.errors import ProducerFenced
from streamkit.log.records import TopicPartition

log = logging.getLogger("streamkit.log.embedded")

_INTENT_MAGIC = b"SKTX"
_U32 = struct.Struct("<I")
WriterFor = Callable[[TopicPartition], PartitionLog]


@dataclass(frozen=True)
class ProducerIdentity:
    """What ``init_transactions`` hands a producer."""

    transactional_id: str
    producer_id: int
    epoch: int


def _txn_dir(root: str, transactional_id: str) -> str:
    safe = transactional_id.replace("%", "%25").replace("/", "%2F")
    if safe in (".", ".."):
        safe = safe.replace(".", "%2E")
    return os.path.join(root, "__transactions", safe)


class TransactionCoordinator:
    """Commits transactions of one data directory; one per broker object."""

    def __init__(self, root: str, topics: TopicStore) -> None:
        self.root = root
        self.topics = topics
        os.makedirs(os.path.join(root, "__transactions"), exist_ok=True)

    def init(self, transactional_id: str, writer_for: WriterFor) -> ProducerIdentity:
        """Bump the id's epoch (fencing older producers) and finish whatever
        commit a previous holder left behind."""
        directory = _txn_dir(self.root, transactional_id)
        os.makedirs(directory, exist_ok=True)
        with locked(os.path.join(directory, "lock")):
            self._roll_forward_locked(directory, writer_for)
            state = read_json(os.path.join(directory, "state.json")) or {
                "producer_id": random.getrandbits(62),
                "epoch": -1,
                "seq": 0,
            }
            state["epoch"] += 1
            write_json_atomic(os.path.join(directory, "state.json"), state)
        return ProducerIdentity(transactional_id, state["producer_id"], state["epoch"])

    def commit(
        self,
        identity: ProducerIdentity,
        batches: Mapping[TopicPartition, Sequence[BatchBuilder]],
        offsets: Mapping[str, Mapping[TopicPartition, int]],
        writer_for: WriterFor,
        check: Callable[[], None] | None = None,
        metadata: Mapping[str, Mapping[TopicPartition, str]] | None = None,
    ) -> None:
        """Commit atomically, ``offsets`` (and their ``metadata``) per group;
        :class:`ProducerFenced` if a newer producer took the id. ``check`` runs
        under the lock before the commit point and may raise."""
        directory = _txn_dir(self.root, identity.transactional_id)
        state_path = os.path.join(directory, "state.json")
        with locked(os.path.join(directory, "lock")):
            state = read_json(state_path) or {}
            if state.get("epoch") != identity.epoch:
                raise ProducerFenced(
                    f"transactional id {identity.transactional_id!r} was taken over by a newer "
                    f"producer (epoch {state.get('epoch')} > {identity.epoch}): this producer is a "
                    "zombie; close it and let the newer one continue"
                )
            if check is not None:
                check()
            seq = state["seq"] + 1
            intent, meta, contents = _encode_intent(
                identity, seq, batches, offsets, metadata or {}, writer_for)
            intent_path = os.path.join(directory, "intent")
            fd = os.open(intent_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.write(fd, intent)
                os.fsync(fd)
            finally:
                os.close(fd)
            fsync_dir(directory)
            # The builders hold what the intent holds: apply them, rather than
            # decoding and checking again the intent just written.
            self._apply(meta, contents, writer_for)
            state["seq"] = seq
            write_json_atomic(state_path, state)
            os.unlink(intent_path)
            fsync_dir(directory)

    def roll_forward_all(self, writer_for: WriterFor) -> int:
        """Finish every commit whose committer died; how many were finished."""
        base = os.path.join(self.root, "__transactions")
        finished = 0
        for name in os.listdir(base):
            directory = os.path.join(base, name)
            if not os.path.exists(os.path.join(directory, "intent")):
                continue
            fd = try_lock(os.path.join(directory, "lock"))
            if fd is None:
                continue  # its committer is alive and finishing it
            try:
                finished += self._roll_forward_locked(directory, writer_for)
            finally:
                os.close(fd)
        return finished

    def _roll_forward_locked(self, directory: str, writer_for: WriterFor) -> int:
        intent_path = os.path.join(directory, "intent")
        try:
            with open(intent_path, "rb") as f:
                intent = f.read()
        except FileNotFoundError:
            return 0
        decoded = _decode_intent(intent)
        if decoded is None:
            log.warning("discarding torn transaction intent %s (never committed)", intent_path)
        else:
            meta, contents = decoded
            log.warning(
                "rolling forward transaction %s seq %d left by a dead producer",
                directory, meta["seq"],
            )
            self._apply(meta, contents, writer_for)
            state_path = os.path.join(directory, "state.json")
            state = read_json(state_path) or {}
            state["seq"] = max(state.get("seq", 0), meta["seq"])
            write_json_atomic(state_path, state)
        os.unlink(intent_path)
        fsync_dir(directory)
        return 0 if decoded is None else 1

    def _apply(self, meta: dict, contents: Sequence[Sequence[BatchBuilder | SealedBatch]],  # type: ignore[type-arg]
               writer_for: WriterFor) -> None:
        """Append each partition's batches (``contents``, in the order of
        ``meta["partitions"]``) and commit the offsets."""
        for (topic, partition, start, _lengths), batches in zip(
                meta["partitions"], contents, strict=True):
            if not self.topics.exists(topic):
                log.warning("transaction wrote to %s, deleted since: skipping it", topic)
                continue
            writer_for(TopicPartition(topic, partition)).append(
                batches, meta["producer_id"], meta["seq"], dedupe_from=start
            )
        by_group: dict[str, dict[TopicPartition, int]] = {}
        metadata_by_group: dict[str, dict[TopicPartition, str]] = {}
        # [group, topic, partition, offset] or, with metadata, [..., offset, metadata]
        for group, topic, partition, offset, *metadata in meta["offsets"]:
            tp = TopicPartition(topic, partition)
            by_group.setdefault(group, {})[tp] = offset
            if metadata:
                metadata_by_group.setdefault(group, {})[tp] = metadata[0]
        for group, group_offsets in by_group.items():
            GroupOffsets(self.root, group).commit(
                group_offsets, metadata=metadata_by_group.get(group))


def _encode_intent(
    identity: ProducerIdentity,
    seq: int,
    batches: Mapping[TopicPartition, Sequence[BatchBuilder]],
    offsets: Mapping[str, Mapping[TopicPartition, int]],
    metadata: Mapping[str, Mapping[TopicPartition, str]],
    writer_for: WriterFor,
) -> tuple[bytes, dict, list[list[BatchBuilder]]]:  # type: ignore[type-arg]
    """The intent's bytes, its metadata, and each listed partition's builders."""
    bodies: list[bytes] = []
    partitions = []
    contents: list[list[BatchBuilder]] = []
    for tp, builders in batches.items():
        filled = [b for b in builders if b.count]
        if not filled:
            continue
        sealed = [b.seal(0) for b in filled]
        start = writer_for(tp).published_end()
        partitions.append([tp.topic, tp.partition, start, [len(s) for s in sealed]])
        bodies.extend(sealed)
        contents.append(filled)
    meta = {
        "producer_id": identity.producer_id,
        "epoch": identity.epoch,
        "seq": seq,
        "partitions": partitions,
        "offsets": [
            [group, tp.topic, tp.partition, int(offset)]
            + ([text] if (text := metadata.get(group, {}).get(tp)) else [])
            for group, group_offsets in offsets.items()
            for tp, offset in group_offsets.items()
        ],
    }
    encoded = json.dumps(meta).encode()
    body = b"".join([_INTENT_MAGIC, _U32.pack(len(encoded)), encoded, *bodies])
    return body + _U32.pack(zlib.crc32(body)), meta, contents


def _decode_intent(intent: bytes) -> tuple[dict, list[list[SealedBatch]]] | None:  # type: ignore[type-arg]
    """The intent's metadata and each listed partition's batches, or ``None`` if
    it is torn (never committed)."""
    if len(intent) < 12 or intent[:4] != _INTENT_MAGIC:
        return None
    if _U32.unpack_from(intent, len(intent) - 4)[0] != zlib.crc32(intent[:-4]):
        return None
    json_len = _U32.unpack_from(intent, 4)[0]
    meta: dict = json.loads(intent[8 : 8 + json_len])  # type: ignore[type-arg]
    pos = 8 + json_len
    contents: list[list[SealedBatch]] = []
    for _topic, _partition, _start, lengths in meta["partitions"]:
        sealed = []
        for length in lengths:
            sealed.append(SealedBatch(intent[pos : pos + length]))
            pos += length
        contents.append(sealed)
    return meta, contents
