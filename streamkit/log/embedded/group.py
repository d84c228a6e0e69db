"""Consumer-group membership across processes, by file locks.

``<root>/__groups/<group>/members/<member-id>`` exists for each live member,
which holds an exclusive ``flock`` on it for its lifetime; the kernel drops the
lock when the process dies, so "the lock can be taken" means "the member is
dead". To read a partition a member must hold ``owners/<topic>-<p>.lock``,
which makes ownership exclusive even while members disagree about the
assignment during a change.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence

from streamkit.log.embedded.fileio import try_lock
from streamkit.log.embedded.offsets import group_dir
from streamkit.log.records import TopicPartition


class GroupMembership:
    """This process's membership in one group, and the partitions it owns."""

    def __init__(self, root: str, group_id: str) -> None:
        self.group_id = group_id
        self.directory = group_dir(root, group_id)
        self.members_dir = os.path.join(self.directory, "members")
        self.owners_dir = os.path.join(self.directory, "owners")
        os.makedirs(self.members_dir, exist_ok=True)
        os.makedirs(self.owners_dir, exist_ok=True)
        self.member_id = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._member_fd = -1
        self._owned: dict[TopicPartition, int] = {}

    def join(self, topics: Sequence[str]) -> None:
        """Announce this member. The file is locked before it becomes visible
        under its final name, so no prober can mistake it for a dead one."""
        if self._member_fd >= 0:
            self.leave()
        staging = os.path.join(self.members_dir, f".joining-{self.member_id}")
        fd = try_lock(staging)
        assert fd is not None
        os.write(fd, json.dumps({"topics": sorted(topics)}).encode())
        os.rename(staging, os.path.join(self.members_dir, self.member_id))
        self._member_fd = fd

    def live_members(self) -> dict[str, list[str]]:
        """Live members and their subscribed topics; dead members are removed."""
        members: dict[str, list[str]] = {}
        for name in os.listdir(self.members_dir):
            if name.startswith("."):
                continue
            path = os.path.join(self.members_dir, name)
            if name != self.member_id:
                fd = try_lock(path)
                if fd is not None:  # nobody holds it: that member died
                    try:
                        os.unlink(path)
                    except FileNotFoundError:
                        pass
                    os.close(fd)
                    continue
            try:
                with open(path, "rb") as f:
                    members[name] = list(json.loads(f.read())["topics"])
            except (FileNotFoundError, ValueError):
                continue
        return members

    @property
    def owned(self) -> list[TopicPartition]:
        return list(self._owned)

    def owns(self, tp: TopicPartition) -> bool:
        return tp in self._owned

    def try_acquire(self, tp: TopicPartition) -> bool:
        """Take ownership of ``tp`` unless another live member still holds it."""
        if tp in self._owned:
            return True
        fd = try_lock(os.path.join(self.owners_dir, f"{tp.topic}-{tp.partition}.lock"))
        if fd is None:
            return False
        self._owned[tp] = fd
        return True

    def release(self, tp: TopicPartition) -> None:
        """Give ``tp`` up (after its revocation was handled)."""
        fd = self._owned.pop(tp, None)
        if fd is not None:
            os.close(fd)

    def leave(self) -> None:
        """Release every partition and remove this member."""
        for tp in list(self._owned):
            self.release(tp)
        if self._member_fd >= 0:
            try:
                os.unlink(os.path.join(self.members_dir, self.member_id))
            except FileNotFoundError:
                pass
            os.close(self._member_fd)
            self._member_fd = -1
