"""Which topics an app needs, with how many partitions, and creating the missing
ones: user topics with their declared counts, repartition topics sized like the
sub-topology that writes them, one compacted changelog per logged store, and the
dead-letter topic. Co-partitioning is checked here and explained when it fails."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from streamkit.log.broker import Admin
from streamkit.log.errors import StreamkitError, TopicAlreadyExists
from streamkit.runtime.topology import SinkNode, SubTopology, Topology
from streamkit.state.changelog import changelog_config
from streamkit.state.layout import changelog_topic

log = logging.getLogger("streamkit.run")


class MissingTopic(StreamkitError):
    """A topic the app reads does not exist and declares no partition count."""


class CoPartitioningError(StreamkitError):
    """Topics read by one stateful sub-topology have different partition counts."""


@dataclass(slots=True)
class TopicPlan:
    """Partition counts of every topic the app uses and of every sub-topology
    (its number of tasks), and the topics to create with their configuration."""

    partitions: dict[str, int] = field(default_factory=dict)
    tasks: dict[int, int] = field(default_factory=dict)
    configs: dict[str, dict[str, str]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def plan_topics(
    app_name: str,
    topology: Topology,
    subtopologies: list[SubTopology],
    existing: Mapping[str, int],
    *,
    dead_letter_topic: str | None = None,
    default_partitions: int | None = None,
) -> TopicPlan:
    """Work out partition counts. ``existing`` maps topics that exist to their
    partition count; ``default_partitions`` sizes undeclared missing source topics
    (the test driver) instead of failing."""
    plan = TopicPlan()
    for spec in topology.topics.values():
        if spec.internal:
            continue
        count = existing.get(spec.name, spec.partitions)
        if count is not None:
            if spec.partitions is not None and spec.name in existing and \
                    existing[spec.name] != spec.partitions:
                log.warning("topic %r exists with %d partitions (declared %d): using %d",
                            spec.name, existing[spec.name], spec.partitions,
                            existing[spec.name])
            plan.partitions[spec.name] = count
            plan.configs[spec.name] = spec.config
    for spec in topology.topics.values():
        if spec.internal and spec.name in existing:
            plan.partitions[spec.name] = existing[spec.name]

    for sub in subtopologies:  # every user source must be sized by now
        for spec in sub.source_topics:
            if spec.internal or spec.name in plan.partitions:
                continue
            if default_partitions is None:
                raise MissingTopic(
                    f"topic {spec.name!r} does not exist and the app does not declare its "
                    f"partition count: create it (`streamkit topics create {spec.name} "
                    f"--partitions N`) or declare app.topic({spec.name!r}, partitions=N)"
                )
            plan.partitions[spec.name] = default_partitions

    writers = {n.topic.name: sub for sub in subtopologies for n in sub.nodes
               if isinstance(n, SinkNode) and n.topic is not None}
    pending = list(subtopologies)
    while pending:
        progressed = False
        for sub in list(pending):
            counts = [plan.partitions.get(t.name) for t in sub.source_topics]
            if any(c is None for c in counts):
                continue
            plan.tasks[sub.id] = _task_count(sub, {t.name: plan.partitions[t.name]
                                                   for t in sub.source_topics})
            for name, writer in writers.items():
                if writer is sub and name not in plan.partitions:
                    spec = topology.topics[name]
                    plan.partitions[name] = plan.tasks[sub.id]  # outputs default to the writer's
                    plan.configs[name] = spec.config
            pending.remove(sub)
            progressed = True
        if not progressed:
            raise StreamkitError(
                "the topology has a cycle through repartition topics: "
                f"{[t.name for s in pending for t in s.source_topics]}"
            )

    for sub in subtopologies:
        for store in sub.stores.values():
            if store.logged:
                name = changelog_topic(app_name, store.name)
                plan.partitions[name] = plan.tasks[sub.id]
                plan.configs[name] = changelog_config(store)
    if dead_letter_topic is not None:
        plan.partitions.setdefault(dead_letter_topic, existing.get(dead_letter_topic, 1))
        plan.configs.setdefault(dead_letter_topic, {})
    plan.missing = sorted(name for name in plan.partitions if name not in existing)
    return plan


def _task_count(sub: SubTopology, counts: dict[str, int]) -> int:
    """Tasks of a sub-topology: its sources' partition count, which must agree when
    the sub-topology keeps state (a task's state must see all of a key's records)."""
    if sub.stores and len(set(counts.values())) > 1:
        ordered = sorted(counts.items(), key=lambda kv: -kv[1])
        (big, big_n), (small, small_n) = ordered[0], ordered[-1]
        raise CoPartitioningError(
            f"topic {big!r} has {big_n} partitions but {small!r} has {small_n}: a join needs "
            "co-partitioned topics; repartition one side with group_by"
        )
    return max(counts.values())


def existing_partitions(admin: Admin, names: list[str]) -> dict[str, int]:
    """Partition counts of the topics among ``names`` that exist."""
    present = set(admin.list_topics())
    return {n: admin.describe_topic(n).partitions for n in names if n in present}


def ensure_topics(admin: Admin, plan: TopicPlan) -> list[str]:
    """Create the plan's missing topics; returns the names created. A topic created
    meanwhile by another worker is fine."""
    created = []
    for name in plan.missing:
        try:
            admin.create_topic(name, plan.partitions[name], plan.configs.get(name) or None)
            created.append(name)
            log.info("created topic %s (%d partitions)", name, plan.partitions[name])
        except TopicAlreadyExists:
            pass
    return created


def prepare_topics(admin: Admin, topology: Topology, *, dead_letter_topic: str) -> TopicPlan:
    """Plan the app's topics against the broker and create the missing ones."""
    subs = topology.subtopologies()
    names = list(topology.topics)
    names += [changelog_topic(topology.app_name, s) for sub in subs for s in sub.stores]
    names.append(dead_letter_topic)
    plan = plan_topics(topology.app_name, topology, subs, existing_partitions(admin, names),
                       dead_letter_topic=dead_letter_topic)
    ensure_topics(admin, plan)
    return plan
