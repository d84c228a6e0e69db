"""Serdes for strings, raw bytes and fixed-width numbers, byte-compatible with
Kafka's Java ``StringSerializer``, ``ByteArraySerializer``, ``IntegerSerializer``,
``LongSerializer`` and ``DoubleSerializer``: records written by Java clients decode
here and the other way round.
"""

from __future__ import annotations

import struct
from typing import Any

from streamkit.serde.errors import SerdeError, preview


class StringSerde:
    """UTF-8 text, like Kafka's ``StringSerializer``.

    >>> StringSerde().serialize("héllo")
    b'h\\xc3\\xa9llo'
    >>> StringSerde().deserialize(b"h\\xc3\\xa9llo")
    'héllo'
    """

    __slots__ = ()

    def serialize(self, obj: str | None) -> bytes | None:
        """Encode ``obj`` as UTF-8; ``None`` gives ``None``."""
        if obj is None:
            return None
        if not isinstance(obj, str):
            raise SerdeError(
                f"cannot serialize {type(obj).__name__} {obj!r:.80} with the string serde: "
                "expected str; convert it first (e.g. str(x)) or use the json serde"
            )
        try:
            return obj.encode("utf-8")
        except UnicodeEncodeError as err:  # lone surrogates
            raise SerdeError(f"cannot serialize {obj!r:.80} as UTF-8: {err}") from None

    def deserialize(self, data: bytes | None) -> str | None:
        """Decode UTF-8 bytes; ``None`` gives ``None``."""
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise SerdeError(f"cannot decode string: not valid UTF-8 ({err}) in "
                             f"{preview(data)}") from None

    def __repr__(self) -> str:
        return "StringSerde()"


class BytesSerde:
    """Raw bytes, passed through unchanged (Kafka's ``ByteArraySerializer``).

    >>> BytesSerde().serialize(bytearray(b"ab"))
    b'ab'
    >>> BytesSerde().deserialize(b"\\x00\\xff")
    b'\\x00\\xff'
    """

    __slots__ = ()

    def serialize(self, obj: bytes | bytearray | memoryview | None) -> bytes | None:
        """Return ``obj`` as ``bytes``; ``None`` gives ``None``."""
        if obj is None or type(obj) is bytes:
            return obj
        if isinstance(obj, (bytes, bytearray, memoryview)):
            return bytes(obj)
        raise SerdeError(
            f"cannot serialize {type(obj).__name__} {obj!r:.80} with the bytes serde: "
            "expected bytes; use the string or json serde for other values"
        )

    def deserialize(self, data: bytes | None) -> bytes | None:
        """Return ``data`` unchanged."""
        return data

    def __repr__(self) -> str:
        return "BytesSerde()"


class _FixedWidthSerde:
    """A number packed with one ``struct`` format (big-endian, as Java writes it)."""

    __slots__ = ("_pack", "_unpack")

    _format: str
    _kind: str
    _java: str

    def __init__(self) -> None:
        packer = struct.Struct(self._format)
        self._pack = packer.pack
        self._unpack = packer.unpack

    def serialize(self, obj: Any) -> bytes | None:
        """Pack ``obj``; ``None`` gives ``None``."""
        if obj is None:
            return None
        try:
            return self._pack(obj)
        except struct.error as err:
            raise SerdeError(
                f"cannot serialize {type(obj).__name__} {obj!r:.80} as {self._kind} "
                f"(Kafka {self._java}): {err}"
            ) from None

    def deserialize(self, data: bytes | None) -> Any:
        """Unpack ``data``; ``None`` gives ``None``. Wrong length raises ``SerdeError``."""
        if data is None:
            return None
        try:
            return self._unpack(data)[0]
        except struct.error:
            size = struct.calcsize(self._format)
            raise SerdeError(
                f"cannot decode {self._kind}: expected exactly {size} bytes "
                f"(Kafka {self._java} format), got {len(data)}: {preview(data)}"
            ) from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class IntSerde(_FixedWidthSerde):
    """A 32-bit signed integer, 4 bytes big-endian (Kafka's ``IntegerSerializer``).

    >>> IntSerde().serialize(1)
    b'\\x00\\x00\\x00\\x01'
    >>> IntSerde().deserialize(b"\\xff\\xff\\xff\\xfe")
    -2
    """

    __slots__ = ()
    _format = ">i"
    _kind = "int"
    _java = "IntegerSerializer"


class LongSerde(_FixedWidthSerde):
    """A 64-bit signed integer, 8 bytes big-endian (Kafka's ``LongSerializer``).

    >>> LongSerde().serialize(-1)
    b'\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff'
    """

    __slots__ = ()
    _format = ">q"
    _kind = "long"
    _java = "LongSerializer"


class DoubleSerde(_FixedWidthSerde):
    """A 64-bit IEEE 754 float, 8 bytes big-endian (Kafka's ``DoubleSerializer``).

    >>> DoubleSerde().deserialize(DoubleSerde().serialize(1.5))
    1.5
    """

    __slots__ = ()
    _format = ">d"
    _kind = "double"
    _java = "DoubleSerializer"
