"""A worker's identity: unique to its state directory, stable across restarts.

Under exactly-once each worker's producer has ``transactional.id =
<app>-<worker id>``. The id must differ between workers running at the same time
(two ``streamkit run`` processes on two hosts would otherwise fence each other's
producer over and over), and must stay the same when a worker restarts on the same
state, so that its ``init_transactions`` aborts the transaction its crashed
predecessor left open at once (rather than ``read_committed`` readers waiting for
the transaction timeout). Kafka Streams keeps a process id in its state directory
for the same reason; so do we.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

WORKER_ID_FILE = "worker-id"


def stable_worker_id(state_dir: Path) -> str:
    """The id kept in ``state_dir/worker-id``, created on first use."""
    path = Path(state_dir) / WORKER_ID_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{WORKER_ID_FILE}-{uuid.uuid4().hex}")
    staging.write_text(uuid.uuid4().hex[:12])
    try:
        os.link(staging, path)  # atomic, and never replaces an id another process wrote
    except FileExistsError:
        pass
    finally:
        staging.unlink()
    return path.read_text().strip()
