"""App options out of range fail when the app is built, saying what is allowed."""

from __future__ import annotations

import pytest

from streamkit import App
from streamkit.log.errors import StreamkitError


@pytest.mark.parametrize(("options", "message"), [
    ({"commit_interval_ms": 0}, "commit_interval_ms must be > 0, got 0"),
    ({"order_wait_ms": -1}, "order_wait_ms must be >= 0 (0 hands records on as fetched), got -1"),
    ({"buffered_records_per_partition": 0},
     ("buffered_records_per_partition must be >= 1 (records held back per partition "
      "before it is paused), got 0")),
])
def test_an_option_out_of_range_says_what_is_allowed(options: dict[str, int], message: str) -> None:
    with pytest.raises(StreamkitError) as error:
        App("shop", **options)
    assert str(error.value) == message


def test_a_name_that_cannot_name_topics_is_refused() -> None:
    with pytest.raises(StreamkitError, match="app name 'my app' is not valid"):
        App("my app")
