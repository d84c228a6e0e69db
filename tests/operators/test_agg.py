"""The built-in aggregations: results, merging, JSON-safe accumulators."""

from __future__ import annotations

import operator
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from operators import agg
from operators.errors import InvalidAggregation
from streamkit.processor import Aggregator


def fold(aggregation: Aggregator, values: list[Any]) -> Any:
    accumulator = aggregation.initialize()
    for value in values:
        # Round-trip through JSON each step, as a json-serde store does.
        accumulator = orjson.loads(orjson.dumps(aggregation.add(accumulator, value)))
    return accumulator


ROWS = [{"amount": 3, "page": "/a"}, {"amount": 1, "page": "/b"}, {"amount": 8, "page": "/c"}]


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [
        (agg.count(), 3),
        (agg.sum("amount"), 12),
        (agg.sum(lambda v: v["amount"] * 2), 24),
        (agg.min("amount"), 1),
        (agg.max("amount"), 8),
        (agg.mean("amount"), 4.0),
        (agg.reduce(lambda a, b: a if a["amount"] >= b["amount"] else b), ROWS[2]),
        (agg.collect("page"), ["/a", "/b", "/c"]),
        (agg.first("page"), "/a"),
        (agg.last("page"), "/c"),
    ],
)
def test_aggregation_result(aggregation: Aggregator, expected: Any) -> None:
    assert isinstance(aggregation, Aggregator)
    assert aggregation.result(fold(aggregation, ROWS)) == expected


@pytest.mark.parametrize(
    "aggregation",
    [agg.min(), agg.max(), agg.mean(), agg.reduce(operator.add), agg.first(), agg.last()],
)
def test_empty_aggregations_result_in_none(aggregation: Aggregator) -> None:
    assert aggregation.result(aggregation.initialize()) is None


def test_sum_of_plain_values() -> None:
    assert agg.sum().result(fold(agg.sum(), [1, 2.5])) == 3.5


AGGREGATIONS = [
    agg.count(),
    agg.sum(),
    agg.min(),
    agg.max(),
    agg.mean(),
    agg.reduce(operator.add),
    agg.collect(),
    agg.first(),
    agg.last(),
]


@pytest.mark.parametrize("aggregation", AGGREGATIONS, ids=lambda a: type(a).__name__)
@given(left=st.lists(st.integers(-100, 100)), right=st.lists(st.integers(-100, 100)))
def test_merge_of_two_parts_equals_folding_the_whole(
    aggregation: Aggregator, left: list[int], right: list[int]
) -> None:
    merged = aggregation.merge(fold(aggregation, left), fold(aggregation, right))
    assert aggregation.result(merged) == aggregation.result(fold(aggregation, left + right))


def test_collect_never_mutates_the_accumulator_it_was_given() -> None:
    collect = agg.collect()
    before = collect.add(collect.initialize(), 1)
    collect.add(before, 2)
    assert before == [1]


def test_custom_aggregator_from_functions() -> None:
    distinct = agg.aggregator(
        initialize=list,
        add=lambda acc, v: acc if v in acc else [*acc, v],
        merge=lambda left, right: left + [v for v in right if v not in left],
        result=len,
    )
    assert distinct.result(fold(distinct, ["a", "b", "a"])) == 2
    assert distinct.result(distinct.merge(["a"], ["a", "c"])) == 2


def test_custom_aggregator_without_merge_explains_what_sessions_need() -> None:
    no_merge = agg.aggregator(initialize=lambda: 0, add=lambda acc, v: acc + v)
    with pytest.raises(InvalidAggregation, match="merge="):
        no_merge.merge(1, 2)


def test_subclassing_aggregation() -> None:
    class Product(agg.Aggregation):
        def initialize(self) -> int:
            return 1

        def add(self, accumulator: int, value: int) -> int:
            return accumulator * value

        def merge(self, left: int, right: int) -> int:
            return left * right

    assert Product().result(fold(Product(), [2, 3, 4])) == 24


def test_bad_field_argument_is_rejected() -> None:
    with pytest.raises(InvalidAggregation, match="field name"):
        agg.sum(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidAggregation):
        agg.reduce("not a function")  # type: ignore[arg-type]
