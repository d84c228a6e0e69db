"""What a read_committed reader of the outputs must see."""

from __future__ import annotations

import orjson

from streamkit.log import Broker
from tests.runtime.logs import read_all


def counts_by_key(broker: Broker, topic: str) -> dict[str, list[int]]:
    """Per key, the sequence of counts in the output topic (read_committed)."""
    sequences: dict[str, list[int]] = {}
    for record in read_all(broker, topic):
        value = orjson.loads(record.value)  # type: ignore[arg-type]
        sequences.setdefault(value["k"], []).append(value["n"])
    return sequences


def exactly_once_problems(sequences: dict[str, list[int]], expected: dict[str, int]) -> list[str]:
    """Every way the outputs differ from "each key counts 1, 2, ..., n once"."""
    problems = []
    for key in sorted(set(sequences) | set(expected)):
        seen, want = sequences.get(key, []), list(range(1, expected.get(key, 0) + 1))
        if seen != want:
            problems.append(f"{key}: expected 1..{len(want)}, got {_summary(seen)}")
    return problems


def at_least_once_problems(sequences: dict[str, list[int]], expected: dict[str, int]) -> list[str]:
    """Every way the outputs lose an input: a key whose counts do not cover 1..n.
    Duplicates are allowed, and so are counts past n: at-least-once may apply an
    input twice (to state too) when it is redone after a crash."""
    problems = []
    for key in sorted(set(sequences) | set(expected)):
        seen, n = sequences.get(key, []), expected.get(key, 0)
        missing = sorted(set(range(1, n + 1)) - set(seen))
        if missing or max(seen, default=0) < n:
            problems.append(f"{key}: expected every count 1..{n}, missing {missing[:10]}, "
                            f"max {max(seen, default=None)}")
    return problems


def _summary(seen: list[int]) -> str:
    if len(seen) <= 12:
        return str(seen)
    dupes = sorted({n for n in seen if seen.count(n) > 1})[:5]
    return f"{len(seen)} counts (duplicates {dupes}, ..., last {seen[-3:]})"
