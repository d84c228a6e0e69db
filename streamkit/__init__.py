"""streamkit: partitioned logs and stateful stream processing for Python."""

from streamkit.dsl import App, Guarantee, Stream, Table, Topic
from streamkit.processor import (
    Aggregator,
    Message,
    OperatorPlan,
    ProcessorContext,
    Punctuation,
    StoreKind,
    StoreSpec,
)
from streamkit.runtime.errors.policy import ErrorPolicy, OnError

__version__ = "0.1.0"

__all__ = [
    "Aggregator", "App", "ErrorPolicy", "Guarantee", "Message", "OnError", "OperatorPlan",
    "ProcessorContext", "Punctuation", "StoreKind", "StoreSpec", "Stream", "Table", "Topic",
]
