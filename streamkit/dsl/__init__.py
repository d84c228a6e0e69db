"""The DSL: App, Topic, Stream, Table. It only builds a topology graph of
processors (:mod:`streamkit.processor`); the runtime runs it."""

from streamkit.dsl.app import App, Guarantee
from streamkit.dsl.stream import GroupedStream, Stream, WindowedResult, WindowedStream
from streamkit.dsl.table import Table
from streamkit.dsl.topic import Topic

__all__ = ["App", "GroupedStream", "Guarantee", "Stream", "Table", "Topic", "WindowedResult",
           "WindowedStream"]
