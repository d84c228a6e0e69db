"""Records as the backends build them."""

from __future__ import annotations

from streamkit.log.records import Record, TopicPartition, new_record


def test_new_record_is_the_same_record_as_the_constructor() -> None:
    fields = ("clicks", 3, 7, 1_000, b"k", None, (("h", b"1"),))
    built = new_record(fields)
    assert type(built) is Record
    assert built == Record(*fields)
    assert (built.topic_partition, built.offset, built.value, built.headers) == (
        TopicPartition("clicks", 3), 7, None, (("h", b"1"),))
