"""The embedded log: a durable, segmented, multi-process log in a local directory.

See ``docs/embedded-log.md`` for the on-disk format and the guarantees.
"""

from streamkit.log.embedded.broker import EmbeddedBroker

__all__ = ["EmbeddedBroker"]
