"""A consumer group whose members are separate processes: disjoint partitions,
and a survivor that takes over a killed member's partitions."""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from pathlib import Path

from streamkit.log.embedded import EmbeddedBroker
from tests.contract.polling import wait_for

from .helpers import child_command, child_env

PARTITIONS = 4
RECORDS = 2000


class Member:
    """A member process whose output lines are collected by a thread."""

    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen(
            child_command("member", url, "t", "g"), stdout=subprocess.PIPE, text=True,
            env=child_env(),
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.all_lines: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())

    def drain(self) -> list[str]:
        while True:
            try:
                self.all_lines.append(self.lines.get_nowait())
            except queue.Empty:
                return self.all_lines

    def owned(self) -> set[str]:
        owned: set[str] = set()
        for line in self.drain():
            kind, _, rest = line.partition(" ")
            if kind == "assigned":
                owned |= set(rest.split())
            elif kind == "revoked":
                owned -= set(rest.split())
        return owned

    def got(self) -> set[str]:
        return {line[4:] for line in self.drain() if line.startswith("got ")}


def _wait(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    wait_for(condition, what, 30, lambda: time.sleep(0.05))


def test_survivor_takes_over_the_partitions_of_a_killed_member(tmp_path: Path) -> None:
    url = f"embedded://{tmp_path}"
    broker = EmbeddedBroker(url)
    broker.admin().create_topic("t", partitions=PARTITIONS)
    producer = broker.producer()
    keys = {f"k{i}" for i in range(RECORDS)}
    for key in sorted(keys):
        producer.send("t", b"v", key=key.encode())
    producer.flush()
    first, second = Member(url), Member(url)
    try:
        everything = {f"t:{p}" for p in range(PARTITIONS)}
        _wait(lambda: first.owned() | second.owned() == everything
              and first.owned() and second.owned(), "both members to own partitions")
        assert not first.owned() & second.owned(), "a partition was owned by two members"
        _wait(lambda: len(second.got()) > 100, "the second member to consume some records")
        second.process.kill()
        second.process.wait()
        _wait(lambda: first.owned() == everything, "the survivor to be assigned everything")
        _wait(lambda: first.got() | second.got() == keys, "every record to be consumed")
        # A member prints a batch before committing it: wait for that last commit
        # rather than kill the survivor between the two.
        _wait(lambda: sum(broker.admin().group_offsets("g").values()) == RECORDS,
              "the survivor to commit every record")
    finally:
        for member in (first, second):
            member.process.kill()
            member.process.wait()
    committed = broker.admin().group_offsets("g")
    assert sum(committed.values()) == RECORDS
