"""Testing apps without a broker: :class:`TestDriver` runs an app's topology in memory."""

from streamkit.runtime.test_driver import TestDriver

__all__ = ["TestDriver"]
