"""The Serde protocol: how a topic's keys or values turn into bytes and back."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Serde(Protocol):
    """Turns objects into record bytes and back.

    ``None`` stands for a null key or a tombstone value: ``serialize(None)`` returns
    ``None`` and ``deserialize(None)`` returns ``None`` for every serde.
    ``deserialize`` raises :class:`~streamkit.serde.errors.SerdeError` when the bytes
    cannot be decoded; the runtime then handles the record by its error policy
    (by default, the dead-letter topic). Any object with these two methods is a serde,
    so a user-written one plugs in exactly like the built-in ones::

        class Upper:
            def serialize(self, obj):
                return None if obj is None else obj.upper().encode()

            def deserialize(self, data):
                return None if data is None else data.decode()

    The runtime calls these methods once per record: keep them to a direct call,
    with all configuration (schema parsing, struct formats) done in ``__init__``.
    """

    def serialize(self, obj: Any) -> bytes | None:
        """Encode ``obj``; ``None`` gives ``None``."""
        ...

    def deserialize(self, data: bytes | None) -> Any:
        """Decode ``data``; ``None`` gives ``None``. Raises ``SerdeError`` on bad bytes."""
        ...
