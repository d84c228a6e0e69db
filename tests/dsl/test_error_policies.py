"""Error policies per app and per step: dead-letter, retry, skip, stop."""

from __future__ import annotations

import orjson
import pytest

from streamkit import App, ErrorPolicy, OnError
from streamkit.runtime.errors.policy import ProcessingStopped
from streamkit.serde.errors import SchemaRegistryUnavailable
from streamkit.testing import TestDriver


def fails_on_zero(v: int) -> float:
    return 1 / v


def test_a_failing_step_dead_letters_the_original_bytes_with_provenance() -> None:
    app = App("t")
    app.stream(app.topic("in")).map(fails_on_zero, name="invert").to(app.topic("out"))
    with TestDriver(app) as d:
        d.pipe("in", 0, key="k", timestamp=0)
        d.pipe("in", 2, key="k", timestamp=0)
        [dead] = d.read_records("t-dlq")
        assert (dead.key, dead.value) == (b"k", b"0")
        headers = dict(dead.headers)
        assert headers["streamkit.error.type"] == b"ZeroDivisionError"
        assert headers["streamkit.error.step"] == b"invert"
        assert headers["streamkit.error.topic"] == b"in"
        assert headers["streamkit.error.offset"] == b"0"
        # Stamped when it failed (retention counts from then), its own time kept.
        assert headers["streamkit.error.timestamp"] == b"0"
        assert dead.timestamp > 1_700_000_000_000
        assert [v for _, v, _ in d.read("out")] == [0.5]  # processing went on
        assert d.metrics()["dead_lettered"] == 1


def test_retry_retries_then_dead_letters_to_the_configured_topic() -> None:
    calls: list[int] = []

    def flaky(v: int) -> int:
        calls.append(v)
        if len(calls) < 3:
            raise RuntimeError("transient")
        return v

    app = App("t", error_policy=ErrorPolicy(OnError.RETRY, attempts=3, backoff_ms=1),
              dead_letter_topic="bad")
    app.stream(app.topic("in")).map(flaky).to(app.topic("out"))
    app.stream(app.topic("in2")).map(fails_on_zero).to("out")
    with TestDriver(app) as d:
        d.pipe("in", 5, key="k", timestamp=0)
        assert [v for _, v, _ in d.read("out")] == [5]
        d.pipe("in2", 0, key="k", timestamp=0)
        assert len(d.read_records("bad")) == 1
        assert d.metrics()["retried"] == 4


def test_skip_counts_and_stop_raises_per_step() -> None:
    app = App("t")
    app.stream(app.topic("in"), on_error="skip").map(fails_on_zero, on_error="skip") \
        .to(app.topic("out"))
    app.stream(app.topic("in2")).map(fails_on_zero, on_error="stop")
    with TestDriver(app) as d:
        d.pipe("in", 0, key="k", timestamp=0)
        d.pipe_bytes("in", b"{broken", key=b"k")
        assert d.metrics()["skipped"] == 2
        assert d.read_records("t-dlq") == []
        with pytest.raises(ProcessingStopped, match="error policy is 'stop'"):
            d.pipe("in2", 0, key="k", timestamp=0)


def test_each_step_of_a_chain_answers_for_its_own_failures() -> None:
    """Steps in a chain call each other directly: a failure is still charged to
    the step that failed, so only that step's policy applies."""
    app = App("t")
    (app.stream(app.topic("in"))
     .map(lambda v: v, on_error="skip")
     .filter(lambda v: 1 / v > 0)  # fails on 0: the app's policy, dead-letter
     .map(lambda v: v if v != 2 else {"a set": {v}}, on_error="skip")
     .flat_map(lambda v: [v, v])
     .to(app.topic("out")))  # cannot serialize v == 2: dead-letter, not skip
    with TestDriver(app) as d:
        for v in (0, 1, 2):
            d.pipe("in", v, key="k", timestamp=0)
        assert [v for _, v, _ in d.read("out")] == [1, 1]
        dead = d.read_records("t-dlq")
        assert [r.value for r in dead] == [b"0", b"2"]
        assert [dict(r.headers)["streamkit.error.type"] for r in dead] == [
            b"ZeroDivisionError", b"SerdeError"]
        assert d.metrics().get("skipped", 0) == 0


def test_unknown_policy_names_the_valid_ones() -> None:
    with pytest.raises(Exception, match="'dead-letter', 'retry', 'skip', 'stop'"):
        App("t", error_policy="ignore")


class RegistryDownTwice:
    """A json serde whose schema registry is unreachable for its first two decodes."""

    def __init__(self) -> None:
        self.outages = 2

    def serialize(self, value: object) -> bytes:
        return orjson.dumps(value)

    def deserialize(self, data: bytes | None) -> object:
        if self.outages:
            self.outages -= 1
            raise SchemaRegistryUnavailable("registry at http://registry:8081 refused")
        return orjson.loads(data) if data is not None else None


def test_a_registry_outage_waits_instead_of_dead_lettering_good_records() -> None:
    app = App("t", dead_letter_topic="bad")
    app.stream(app.topic("in", value=RegistryDownTwice())).map(lambda v: v["n"]) \
        .to(app.topic("out"))
    with TestDriver(app) as d:
        d.pipe("in", {"n": 7}, key="k", timestamp=0)
        assert [v for _, v, _ in d.read("out")] == [7]
        assert d.read_records("bad") == []
