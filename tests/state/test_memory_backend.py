"""The in-memory backend's tables against a plain dict: scans in byte order over
any history of writes and deletes, and safe while commits change the table."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streamkit.state.backend import DATA
from streamkit.state.memory_backend import MemoryBackend

keys = st.binary(min_size=0, max_size=3)
batches = st.lists(st.dictionaries(keys, st.one_of(st.none(), st.binary(min_size=1, max_size=2)),
                                   max_size=8), max_size=12)
bounds = st.one_of(st.none(), keys)


@given(batches, bounds, bounds, st.lists(st.booleans(), min_size=12, max_size=12))
def test_scans_and_last_key_match_a_dict_after_any_commits(
    history: list[dict[bytes, bytes | None]], start: bytes | None, end: bytes | None,
    scan_after: list[bool],
) -> None:
    """Scanning after some commits and not others: the sorted keys are built at
    the first scan and kept up to date after it."""
    backend = MemoryBackend()
    reference: dict[bytes, bytes] = {}
    for batch, scan in zip(history, scan_after):
        backend.apply({DATA: batch}, None)
        for key, value in batch.items():
            if value is None:
                reference.pop(key, None)
            else:
                reference[key] = value
        if not scan:
            continue
        assert list(backend.scan(DATA, None, None)) == sorted(reference.items())
        assert backend.last_key(DATA) == (max(reference) if reference else None)
    expected = [(k, v) for k, v in sorted(reference.items())
                if (start is None or k >= start) and (end is None or k < end)]
    assert list(backend.scan(DATA, start, end)) == expected


def test_a_scan_survives_commits_made_while_it_iterates() -> None:
    backend = MemoryBackend()
    backend.apply({DATA: {b"a": b"1", b"b": b"2", b"c": b"3"}}, None)
    seen = []
    for key, value in backend.scan(DATA, None, None):
        seen.append((key, value))
        if key == b"a":  # delete a key ahead, add one, rewrite one
            backend.apply({DATA: {b"b": None, b"bb": b"new", b"c": b"33"}}, None)
    # Keys deleted meanwhile are skipped; later values are read as they are reached.
    assert seen == [(b"a", b"1"), (b"c", b"33")]
    assert list(backend.scan(DATA, None, None)) == [(b"a", b"1"), (b"bb", b"new"), (b"c", b"33")]


def test_wipe_forgets_every_key() -> None:
    backend = MemoryBackend()
    backend.apply({DATA: {b"k": b"v"}}, 7)
    backend.wipe()
    assert list(backend.scan(DATA, None, None)) == []
    assert backend.last_key(DATA) is None
    assert backend.is_empty()
    assert backend.changelog_offset() is None
