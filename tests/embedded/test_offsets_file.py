"""The committed-offsets file stays readable across versions: one written before
commits carried metadata still loads, and committing into it keeps its offsets."""

from __future__ import annotations

import json
import os
from pathlib import Path

from streamkit.log import TopicPartition
from streamkit.log.embedded import EmbeddedBroker
from streamkit.log.embedded.offsets import group_dir


def test_an_offsets_file_without_metadata_still_loads(tmp_path: Path) -> None:
    broker = EmbeddedBroker(f"embedded://{tmp_path}")
    broker.admin().create_topic("t", partitions=2)
    directory = group_dir(str(tmp_path), "g")
    os.makedirs(directory, exist_ok=True)
    Path(directory, "offsets.json").write_text(json.dumps({"t\x000": 5, "t\x001": 9}))
    t0, t1 = TopicPartition("t", 0), TopicPartition("t", 1)

    consumer = broker.consumer(group_id="g")
    assert consumer.committed([t0, t1]) == {t0: 5, t1: 9}
    assert consumer.committed_metadata([t0, t1]) == {t0: None, t1: None}

    consumer.commit({t0: 6}, metadata={t0: "m"})
    assert consumer.committed([t0, t1]) == {t0: 6, t1: 9}
    assert consumer.committed_metadata([t0, t1]) == {t0: "m", t1: None}
    assert broker.admin().group_offsets("g") == {t0: 6, t1: 9}
    consumer.close()
