"""``streamkit run`` as a subprocess the tests can SIGKILL, SIGTERM and restart.

Each run gets its own process group (``start_new_session``), so a kill takes the
whole run down at once, worker processes included, like ``kill -9 -PGID``. Its
output goes to a log file the test reads: which partitions a worker got, how many
changelog records each task restored.
"""

from __future__ import annotations

import functools
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType

REPO = Path(__file__).resolve().parents[2]
APPS = Path(__file__).resolve().parent / "apps.py"
STARTED = re.compile(r"task (\d+_\d+) started \((\d+) changelog records restored\)")


def write_app_file(directory: Path, builder: str, **names: str) -> Path:
    """An app file for ``streamkit run`` that builds ``apps.<builder>(**names)``."""
    path = directory / f"{builder}_app.py"
    path.write_text("import runpy\n"
                    f"app = runpy.run_path({str(APPS)!r})[{builder!r}](**{names!r})\n")
    return path


SESSION_TIMEOUT_MS = 2_000
"""The session timeout the fault tests ask for, when the broker allows one so short."""


def with_short_sessions(broker_url: str) -> str:
    """On Kafka, a SIGKILLed member keeps its partitions until its session times out,
    so each kill costs one session timeout: use a short one, but no shorter than
    the broker accepts (``group.min.session.timeout.ms``: 6 s by default, 1 s on
    the broker of ``deploy/kafka/kafka``)."""
    if not broker_url.startswith("kafka://"):
        return broker_url
    session_ms = max(SESSION_TIMEOUT_MS, _min_session_timeout_ms(broker_url))
    joiner = "&" if "?" in broker_url else "?"
    return (f"{broker_url}{joiner}session.timeout.ms={session_ms}"
            f"&heartbeat.interval.ms={session_ms // 6}")


@functools.cache
def _min_session_timeout_ms(broker_url: str) -> int:
    bootstrap = broker_url.removeprefix("kafka://").split("?")[0]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    broker_id = next(iter(admin.list_topics(timeout=30).brokers))
    resource = ConfigResource(ResourceType.BROKER, str(broker_id))
    [future] = admin.describe_configs([resource], request_timeout=30).values()
    return int(future.result(timeout=60)["group.min.session.timeout.ms"].value)


@dataclass
class AppProcess:
    """One ``streamkit run`` process group and its log."""

    proc: subprocess.Popen[bytes]
    log_path: Path
    started_at: float = field(default_factory=time.monotonic)

    @classmethod
    def start(cls, app_file: Path, broker_url: str, state_root: Path, log_path: Path, *,
              guarantee: str, until_idle_s: float | None = None,
              workers: int = 1) -> AppProcess:
        command = [sys.executable, "-m", "streamkit.cli", "run", str(app_file),
                   "--broker", with_short_sessions(broker_url), "--guarantee", guarantee,
                   "--state-dir", str(state_root), "--workers", str(workers)]
        if until_idle_s is not None:
            command += ["--until-idle", str(until_idle_s)]
        env = os.environ | {"PYTHONPATH": str(REPO)}
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                    cwd=state_root.parent, env=env, start_new_session=True)
        return cls(proc, log_path)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, pattern: str, timeout_s: float = 90.0, count: int = 1) -> None:
        """Wait until ``pattern`` appears ``count`` times in this run's log."""
        deadline = time.monotonic() + timeout_s
        while self.output().count(pattern) < count:
            if self.proc.poll() is not None:
                raise AssertionError(f"streamkit run exited ({self.proc.returncode}) before "
                                     f"logging {pattern!r}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {pattern!r} in the log within {timeout_s} s:\n"
                                     f"{self.tail()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the whole process group: no cleanup runs anywhere."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)

    def terminate(self, timeout_s: float = 90.0) -> int:
        """SIGTERM (a clean stop); the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout_s)

    def wait(self, timeout_s: float = 180.0) -> int:
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"streamkit run did not exit within {timeout_s} s:\n"
                                 f"{self.tail()}") from None

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output().splitlines()[-lines:])


def restored_counts(log_text: str) -> dict[str, list[int]]:
    """Per task, the changelog records restored each time it started (in order)."""
    found: dict[str, list[int]] = {}
    for task, count in STARTED.findall(log_text):
        found.setdefault(task, []).append(int(count))
    return found
