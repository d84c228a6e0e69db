"""Topic and app names for the benchmark apps, from the environment the harness sets
(defaults let a user run an app by hand with ``streamkit run``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any


def setting(name: str, default: str) -> str:
    return os.environ.get(f"STREAMKIT_BENCH_{name}", default)


def source_hook() -> Callable[[Any], None]:
    """The harness's hook on records read from the input topic (it starts the
    clock), for apps that count their inputs past a repartition; a no-op
    outside the harness."""
    try:
        from tests.benchmarks.progress import on_source_input
    except ImportError:  # run by hand from elsewhere than the repository root
        return lambda _value: None
    return on_source_input


def input_counter() -> Callable[[Any], None]:
    """The harness's per-input hook, or a no-op outside the harness."""
    try:
        from tests.benchmarks.progress import on_input
    except ImportError:  # run by hand from elsewhere than the repository root
        return lambda _value: None
    return on_input
