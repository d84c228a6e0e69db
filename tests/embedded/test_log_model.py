"""The embedded log against a model, on random histories: plain and transactional
writes (committed or aborted), compaction and reopening, to a topic kept whole and
to a compacted one that receive the same writes.

What must hold after any history:

- the whole topic reads back exactly the committed records, in commit order, and
  nothing of an aborted transaction;
- the compacted topic reads back a subsequence of the same records, each at the
  offset it has in the whole topic, holding every key's latest record.
"""

from __future__ import annotations

import tempfile
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.log import Record
from streamkit.log.embedded import EmbeddedBroker

from .helpers import read_all

WHOLE, COMPACTED = "whole", "compacted"
SMALL_SEGMENTS = {"segment.bytes": "300"}  # a segment every few records: compaction has work

keys = st.sampled_from([b"a", b"b", b"c"])
values = st.one_of(st.none(), st.binary(min_size=1, max_size=60))  # None: a tombstone
records = st.lists(st.tuples(keys, values), min_size=1, max_size=4)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("send"), records),
        st.tuples(st.just("commit"), records),
        st.tuples(st.just("abort"), records),
        st.tuples(st.just("compact")),
        st.tuples(st.just("reopen")),
    ),
    max_size=25,
)


class Log:
    """The broker under test and its two producers, reopened on demand."""

    def __init__(self, directory: str) -> None:
        self.url = f"embedded://{directory}"
        self._open()
        admin = self.broker.admin()
        admin.create_topic(WHOLE, config=SMALL_SEGMENTS)
        admin.create_topic(COMPACTED, config={**SMALL_SEGMENTS, "cleanup.policy": "compact",
                                              "delete.retention.ms": "3600000"})

    def _open(self) -> None:
        self.broker = EmbeddedBroker(self.url)
        self.plain = self.broker.producer()
        self.transactional = self.broker.producer(transactional_id="model")
        self.transactional.init_transactions()

    def reopen(self) -> None:
        self.close()
        self._open()

    def send(self, batch: list[tuple[bytes, bytes | None]]) -> None:
        for key, value in batch:
            for topic in (WHOLE, COMPACTED):
                self.plain.send(topic, value, key=key)
        self.plain.flush()

    def transaction(self, batch: list[tuple[bytes, bytes | None]], *, commit: bool) -> None:
        producer = self.transactional
        producer.begin_transaction()
        for key, value in batch:
            for topic in (WHOLE, COMPACTED):
                producer.send(topic, value, key=key)
        if commit:
            producer.commit_transaction()
        else:
            producer.abort_transaction()

    def close(self) -> None:
        self.plain.close()
        self.transactional.close()
        self.broker.close()


def pairs(read: list[Record]) -> list[tuple[Any, Any]]:
    return [(r.key, r.value) for r in read]


def check(log: Log, model: list[tuple[bytes, bytes | None]]) -> None:
    whole = read_all(log.broker, WHOLE)
    assert pairs(whole) == model
    offsets = [r.offset for r in whole]
    assert offsets == sorted(set(offsets))
    at = {r.offset: (r.key, r.value) for r in whole}
    compacted = read_all(log.broker, COMPACTED)
    for record in compacted:  # a record keeps its offset, and is one that was committed
        assert at.get(record.offset) == (record.key, record.value), record
    assert [r.offset for r in compacted] == sorted({r.offset for r in compacted})
    latest = {key: offset for offset, (key, _value) in sorted(at.items())}
    assert {r.key: r.offset for r in compacted} == latest  # every key's latest is kept


@settings(max_examples=60, deadline=None)
@given(operations)
def test_the_log_reads_back_what_was_committed(history: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        log = Log(directory)
        model: list[tuple[bytes, bytes | None]] = []
        try:
            for operation, *args in history:
                if operation == "send":
                    log.send(args[0])
                    model += args[0]
                elif operation in ("commit", "abort"):
                    log.transaction(args[0], commit=operation == "commit")
                    if operation == "commit":
                        model += args[0]
                elif operation == "compact":
                    log.broker.admin().compact(COMPACTED)
                else:
                    log.reopen()
            check(log, model)
        finally:
            log.close()
