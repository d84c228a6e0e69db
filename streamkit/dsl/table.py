"""Tables: the latest value per key, kept in a key-value store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamkit.dsl import steps
from streamkit.processor import StoreSpec
from streamkit.runtime.topology import Node

if TYPE_CHECKING:
    from streamkit.dsl.app import App
    from streamkit.dsl.stream import Stream


class Table:
    """A changelog stream materialized in a store: from ``app.table(topic)`` or an
    aggregation. Join a stream to it with ``stream.join_table(table, fn)``; read it
    from your own processor by passing ``stores=(table.store_spec,)`` and calling
    ``context.get_store(table.store_name)``."""

    __slots__ = ("app", "node", "store_spec")

    def __init__(self, app: App, node: Node, store_spec: StoreSpec) -> None:
        self.app = app
        self.node = node
        self.store_spec = store_spec

    @property
    def store_name(self) -> str:
        return self.store_spec.name

    def to_stream(self, *, name: str | None = None) -> Stream:
        """The table's changes: one message per update, keyed like the table."""
        from streamkit.dsl.stream import Stream

        node = Stream(self.app, self.node)._step("to-stream", steps.PassThrough, name=name)
        return Stream(self.app, node)
