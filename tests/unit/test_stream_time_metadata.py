"""The stream time a checkpoint stores in its commit metadata: a versioned format
that reads back what it wrote and treats anything else as unknown, never an error."""

from __future__ import annotations

import pytest

from streamkit.runtime.stream_time import (
    UNKNOWN,
    committed_stream_time,
    decode_stream_time,
    stream_time_metadata,
)


def test_the_stream_time_written_is_the_one_read_back() -> None:
    for value in (0, 1, 1_700_000_000_000, 2**62):
        assert decode_stream_time(stream_time_metadata(value)) == value


@pytest.mark.parametrize("metadata", [
    None, "", "not json", "[1, 2]", '{"stream_time": 5}', '{"v": 0, "stream_time": 5}',
    '{"v": 1}', '{"v": 1, "stream_time": "5"}', '{"v": 1, "stream_time": true}',
    '{"v": "1", "stream_time": 5}',
])
def test_metadata_that_records_no_stream_time_means_unknown(metadata: str | None) -> None:
    assert decode_stream_time(metadata) is None


def test_a_later_version_with_more_fields_still_gives_its_stream_time() -> None:
    assert decode_stream_time('{"v": 2, "stream_time": 7, "more": {}}') == 7


def test_a_task_resumes_from_the_latest_stream_time_of_its_partitions() -> None:
    assert committed_stream_time([stream_time_metadata(3), None, stream_time_metadata(8)]) == 8
    assert committed_stream_time([None, "garbage"]) == UNKNOWN
    assert committed_stream_time([]) == UNKNOWN
