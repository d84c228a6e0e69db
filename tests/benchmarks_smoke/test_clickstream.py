"""The benchmark data generator: deterministic, shaped as BENCHMARKS.md says."""

import orjson

from tests.benchmarks.clickstream import (
    MAX_LATENESS_MS,
    PAGES,
    USERS,
    account_events,
    clickstream,
    customers,
    expected_passthrough_outputs,
    raw_records,
)


def test_same_seed_gives_byte_identical_events_and_another_seed_does_not():
    assert clickstream(2_000, seed=1) == clickstream(2_000, seed=1)
    assert clickstream(2_000, seed=1) != clickstream(2_000, seed=2)


def test_events_are_about_100_byte_json_keyed_by_user():
    events = clickstream(5_000)
    sizes = [len(e.value) for e in events]
    assert 90 <= sum(sizes) / len(sizes) <= 110
    for e in events[:200]:
        value = orjson.loads(e.value)
        assert e.key == value["user"].encode()
        assert int(value["user"][1:]) < USERS and int(value["page"].split("/")[-1]) < PAGES
        assert 1 <= value["amount"] <= 100 and value["ts"] == e.timestamp


def test_timestamps_increase_except_a_few_percent_at_most_two_seconds_late():
    events = clickstream(20_000)
    high_water, late = 0, 0
    for e in events:
        if e.timestamp < high_water:
            late += 1
            assert high_water - e.timestamp <= MAX_LATENESS_MS
        high_water = max(high_water, e.timestamp)
    assert 0.01 <= late / len(events) <= 0.05


def test_the_passthrough_filter_keeps_about_half():
    assert 0.45 <= expected_passthrough_outputs(clickstream(10_000)) / 10_000 <= 0.55


def test_raw_records_are_exactly_100_bytes():
    assert {len(r.value) for r in raw_records(1_000)} == {100}


def test_account_events_and_customers_are_deterministic_and_keyed():
    assert list(account_events(500, seed=3)) == list(account_events(500, seed=3))
    for e in account_events(100):
        value = orjson.loads(e.value)
        assert e.key == value["account"].encode() and value["type"] in ("deposit", "withdrawal")
    table = list(customers(1_000))
    assert [e.key for e in table] == [f"c{i}".encode() for i in range(1_000)]
