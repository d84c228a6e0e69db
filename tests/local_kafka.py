"""A local Kafka broker started with ``deploy/kafka/kafka`` (Java 17 + Maven), for
the session's tests (``tests/conftest.py``) or for one test alone."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

KAFKA_SCRIPT = Path(__file__).resolve().parent.parent / "deploy" / "kafka" / "kafka"
BOOTSTRAP_ENV = "STREAMKIT_KAFKA_BOOTSTRAP"


def in_ci() -> bool:
    """Whether ``CI`` is set (to anything but empty, 0, false or no): Kafka tests
    then fail rather than skip when they have no broker."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def kafka_script(state_dir: Path, *args: str,
                 timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``deploy/kafka/kafka ARGS`` on the broker whose state is ``state_dir``."""
    env = os.environ | {"STREAMKIT_KAFKA_HOME": str(state_dir), "PYTHON": sys.executable}
    return subprocess.run(["bash", str(KAFKA_SCRIPT), *args], check=False, env=env,
                          capture_output=True, text=True, timeout=timeout)


@contextmanager
def local_kafka(state_dir: Path) -> Iterator[str]:
    """A broker started in ``state_dir`` and stopped on exit: its bootstrap. Fails
    the test when ``CI=true`` and none can be started, skips it otherwise."""
    started = kafka_script(state_dir, "start")
    if started.returncode != 0:
        message = (
            f"no Kafka for the tests: `deploy/kafka/kafka start` failed:\n"
            f"{started.stderr[-3000:]}\n"
            "Install Java 17 and Maven (or Docker), or point "
            f"{BOOTSTRAP_ENV} at a running broker. See docs/kafka-local.md."
        )
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        kafka_script(state_dir, "stop")
