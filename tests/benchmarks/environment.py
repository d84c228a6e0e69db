"""Where a run happened: machine, versions, date. Goes into every result file."""

from __future__ import annotations

import datetime
import os
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any


def _memory_bytes() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def kafka_version() -> str:
    """The version of the locally running Kafka broker, read from its jar names in
    the broker process's command line (Kafka has no protocol request for it)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "kafka.Kafka" not in cmdline:
            continue
        jars = re.findall(r"kafka_2\.1[23]-([0-9][^/:\s*]*?)\.jar", cmdline)
        for classpath in re.findall(r"-c(?:p|lasspath) (\S+)", cmdline):
            for entry in classpath.split(":"):
                if entry.endswith("*"):
                    for jar in Path(entry[:-1]).glob("kafka_2.1[23]-*.jar"):
                        jars += re.findall(r"kafka_2\.1[23]-([0-9][^/]*?)\.jar", jar.name)
        versions = sorted(v for v in set(jars) if "test" not in v and "sources" not in v)
        if versions:
            return versions[0]
    return "unknown"


def _git(*args: str) -> str:
    out = subprocess.run(
        ["git", *args], capture_output=True, text=True, timeout=10, check=False,
        cwd=Path(__file__).parent,
    )
    return out.stdout.strip()


def _git_commit() -> str:
    """HEAD's short hash, marked when the measured working tree differs from it."""
    try:
        commit = _git("rev-parse", "--short", "HEAD") or "unknown"
        dirty = _git("status", "--porcelain", "--", "streamkit", "operators")
        return f"{commit} + uncommitted changes" if dirty else commit
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def describe() -> dict[str, Any]:
    """Date, machine and versions of this run."""
    import confluent_kafka

    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": round(_memory_bytes() / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "confluent_kafka": _version("confluent-kafka"),
        "librdkafka": confluent_kafka.libversion()[0],
        "kafka": kafka_version(),
        "quixstreams": _version("quixstreams"),
        "orjson": _version("orjson"),
        "streamkit_commit": _git_commit(),
    }
