"""Pausing a local Kafka broker (SIGSTOP, then SIGCONT), as a long garbage
collection or a stalled disk would: the process keeps its sockets, answers
nothing, then carries on."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def listening_pid(port: int) -> int | None:
    """The process on this machine listening on TCP ``port`` (Linux ``/proc``), if
    it is one this user may see."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # LISTEN
                inodes.add(f"socket:[{inode}]")
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                return int(proc.name)
        except OSError:  # gone, or not ours
            continue
    return None


def pause_repeatedly(pid: int, times: int, pause_s: float, between_s: float) -> None:
    """Stop the process ``times`` times for ``pause_s``, ``between_s`` apart; it
    is always left running."""
    for _ in range(times):
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(pause_s)
        finally:
            os.kill(pid, signal.SIGCONT)
        time.sleep(between_s)
