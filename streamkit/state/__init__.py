"""State stores: key-value and window stores on RocksDB or in memory, behind a
write-back cache, backed by compacted changelog topics.

The runtime creates one :class:`TaskStateManager` per task; processors reach its
stores through :meth:`ProcessorContext.get_store`. See ``docs/state.md``.
"""

from streamkit.state.changelog import changelog_config, ensure_changelog_topics
from streamkit.state.errors import StateError, StoreClosed, StoreNotFound
from streamkit.state.keyvalue import CachedKeyValueStore
from streamkit.state.layout import (
    DEFAULT_STATE_ROOT,
    app_state_dir,
    changelog_topic,
    store_dir,
)
from streamkit.state.manager import TaskStateManager, open_store
from streamkit.state.window import CachedWindowStore

__all__ = [
    "DEFAULT_STATE_ROOT",
    "CachedKeyValueStore",
    "CachedWindowStore",
    "StateError",
    "StoreClosed",
    "StoreNotFound",
    "TaskStateManager",
    "app_state_dir",
    "changelog_config",
    "changelog_topic",
    "ensure_changelog_topics",
    "open_store",
    "store_dir",
]
