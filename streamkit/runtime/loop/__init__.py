"""The processing loop of one worker."""

from streamkit.runtime.loop.worker import Worker, WorkerOptions

__all__ = ["Worker", "WorkerOptions"]
