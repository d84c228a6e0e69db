"""deploy/kafka/kafka: start prints the bootstrap, status and stop find the broker."""

import shutil
import subprocess
from pathlib import Path

import pytest

from streamkit.log.kafka import KafkaBroker
from tests.local_kafka import in_ci, kafka_script

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None and not in_ci(),
    reason="needs Java 17 (and Maven on first use) to run a local broker",
)


def run(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return kafka_script(state, *args, timeout=300)


@pytest.mark.kafka
def test_start_status_stop_lifecycle(tmp_path: Path) -> None:
    state = tmp_path / "kafka-run"
    started = run(state, "start")
    try:
        assert started.returncode == 0, started.stderr
        bootstrap = started.stdout.strip().splitlines()[-1]
        host, port = bootstrap.split(":")
        assert host == "127.0.0.1" and port.isdigit()

        assert KafkaBroker(f"kafka://{bootstrap}").admin().list_topics() is not None
        status = run(state, "status")
        assert status.returncode == 0 and status.stdout.strip().splitlines()[-1] == bootstrap
        again = run(state, "start")
        assert again.returncode != 0 and "already running" in again.stderr
    finally:
        stopped = run(state, "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert run(state, "status").returncode == 1


def test_unknown_broker_count_is_refused(tmp_path: Path) -> None:
    refused = run(tmp_path, "start", "--brokers", "2")
    assert refused.returncode != 0 and "1 or 3" in refused.stderr
