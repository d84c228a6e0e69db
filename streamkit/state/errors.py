"""Errors raised by the state layer. Each says what went wrong and what to do."""

from __future__ import annotations

from streamkit.log.errors import StreamkitError


class StateError(StreamkitError):
    """A state store could not do what was asked."""


class StoreNotFound(StateError, KeyError):
    """A store name that no :class:`~streamkit.processor.StoreSpec` of the task declares."""

    def __init__(self, name: str, known: list[str]) -> None:
        hint = f"declared stores: {', '.join(sorted(known))}" if known else "it declares none"
        super().__init__(
            f"this task has no state store {name!r} ({hint}): declare it with a "
            f"StoreSpec(name={name!r}) on the processor that uses it"
        )
        self.name = name

    def __str__(self) -> str:  # KeyError would otherwise print the repr
        return str(self.args[0])


class StoreClosed(StateError):
    """A store was used after its task's state was closed."""
