"""Deterministic benchmark data: clickstream events, account events, customers.

Everything is a pure function of ``seed`` (and of the fixed ``BASE_TS_MS``), so every
system in a run, and every run on every machine, sees byte-identical input.

>>> events = clickstream(3, seed=7)
>>> [e.key for e in events] == [e.key for e in clickstream(3, seed=7)]
True
>>> sorted(orjson.loads(events[0].value))
['amount', 'page', 'session', 'ts', 'user']
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import NamedTuple

import orjson

USERS = 10_000
PAGES = 1_000
CUSTOMERS = 100_000
ACCOUNTS = 10_000
# 2023-11-14T22:13:20Z. Topics the harness creates keep records forever
# (retention.ms=-1), so Kafka never deletes these old-looking timestamps mid-run.
BASE_TS_MS = 1_700_000_000_000
# One event per millisecond of event time: 1,000,000 events span 1,000 s, i.e. 100
# tumbling 10 s windows per page.
EVENT_SPACING_MS = 1
LATE_FRACTION = 0.03
MAX_LATENESS_MS = 2_000


class Event(NamedTuple):
    """One record to append: key and value bytes and its event time (ms)."""

    key: bytes
    value: bytes
    timestamp: int


def keeps(value: dict) -> bool:
    """B1's filter: keeps the events with an even amount (half of them, since
    amounts are uniform over 1..100)."""
    return value["amount"] % 2 == 0


def clickstream(count: int, seed: int = 42) -> list[Event]:
    """``count`` click events keyed by user, with increasing timestamps except for
    ``LATE_FRACTION`` of them that are up to ``MAX_LATENESS_MS`` late.

    Values are JSON of about 100 bytes:
    ``{"user":"u123","page":"/p/42","amount":17,"ts":1700000000000,"session":"…"}``.
    """
    return list(iter_clickstream(count, seed))


def iter_clickstream(count: int, seed: int = 42) -> Iterator[Event]:
    """:func:`clickstream` one event at a time."""
    rng = random.Random(seed)
    rand, getrandbits = rng.random, rng.getrandbits
    users = [f"u{u}" for u in range(USERS)]
    user_keys = [u.encode() for u in users]
    pages = [f"/p/{p}" for p in range(PAGES)]
    dumps = orjson.dumps
    for i in range(count):
        ts = BASE_TS_MS + i * EVENT_SPACING_MS
        if rand() < LATE_FRACTION:
            ts = max(BASE_TS_MS, ts - 1 - int(rand() * MAX_LATENESS_MS))
        u = int(rand() * USERS)
        value = {
            "user": users[u],
            "page": pages[int(rand() * PAGES)],
            "amount": 1 + int(rand() * 100),
            "ts": ts,
            # Pads the value to ~100 bytes, as a real click's session id would.
            "session": f"{getrandbits(96):024x}",
        }
        yield Event(user_keys[u], dumps(value), ts)


def expected_passthrough_outputs(events: list[Event]) -> int:
    """How many outputs B1 must write for these inputs."""
    return sum(1 for e in events if keeps(orjson.loads(e.value)))


def raw_records(count: int, size: int = 100, seed: int = 42) -> list[Event]:
    """B6's records: clickstream events padded or cut to exactly ``size`` bytes."""
    out = []
    for e in iter_clickstream(count, seed):
        value = e.value[:size].ljust(size, b" ")
        out.append(Event(e.key, value, e.timestamp))
    return out


def account_events(count: int, seed: int = 42) -> Iterator[Event]:
    """B5's event-sourced account stream: deposits and withdrawals keyed by account,
    ``{"account":"a7","type":"deposit","amount":250,"ts":…}``."""
    rng = random.Random(seed)
    for i in range(count):
        account = f"a{rng.randrange(ACCOUNTS)}"
        kind = "deposit" if rng.random() < 0.6 else "withdrawal"
        ts = BASE_TS_MS + i * EVENT_SPACING_MS
        value = {"account": account, "type": kind, "amount": rng.randrange(1, 1_001), "ts": ts}
        yield Event(account.encode(), orjson.dumps(value), ts)


def customers(count: int = CUSTOMERS, seed: int = 42) -> Iterator[Event]:
    """B4's customer table: ``count`` keys ``c0`` … with a tier and a country."""
    rng = random.Random(seed)
    tiers, countries = ("bronze", "silver", "gold"), ("DE", "FR", "US", "JP", "BR")
    for i in range(count):
        customer = f"c{i}"
        value = {"customer": customer, "tier": rng.choice(tiers), "country": rng.choice(countries)}
        yield Event(customer.encode(), orjson.dumps(value), BASE_TS_MS)
