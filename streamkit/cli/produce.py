"""``streamkit produce``: append stdin lines to a topic."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import orjson
import typer

from streamkit.cli.common import (
    BrokerOption,
    CliError,
    SchemaOption,
    ValueFormatOption,
    connect,
    reports_errors,
    value_serde,
)
from streamkit.cli.times import InvalidTime, to_epoch_ms
from streamkit.serde import Serde, SerdeError

# Formats whose lines are JSON documents (fields can be picked out of them).
_STRUCTURED = {"json", "avro"}


def encode_key(value: object) -> bytes:
    """A key field's bytes: strings as UTF-8, anything else as its JSON text."""
    return value.encode() if isinstance(value, str) else orjson.dumps(value)


def parse_line(
    line: str, number: int, value_format: str, serde: Serde,
    key_field: str | None, timestamp_field: str | None,
) -> tuple[bytes | None, bytes | None, int | None]:
    """One input line → (key, value, timestamp), with errors naming the line."""
    if value_format not in _STRUCTURED:
        # A text line: string serdes encode it, a bytes serde takes its UTF-8 bytes.
        return None, serde.serialize(line if "str" in value_format else line.encode()), None
    try:
        document: Any = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        raise CliError(f"line {number} is not valid JSON ({error}): {line[:80]!r}") from None
    key = timestamp = None
    for field in (key_field, timestamp_field):
        if field is not None and (not isinstance(document, dict) or field not in document):
            raise CliError(f"line {number} has no field {field!r}: {line[:80]!r}")
    if key_field is not None:
        key = encode_key(document[key_field])
    if timestamp_field is not None:
        try:
            timestamp = to_epoch_ms(document[timestamp_field])
        except InvalidTime as error:
            raise CliError(f"line {number}, field {timestamp_field!r}: {error}") from None
    try:
        return key, serde.serialize(document), timestamp
    except SerdeError as error:
        raise CliError(f"line {number} cannot be encoded as {value_format}: {error}") from None


@reports_errors
def produce(
    topic: Annotated[str, typer.Argument(help="Topic to append to.")],
    key_field: Annotated[
        str | None, typer.Option(help="JSON field whose value becomes the record key.")
    ] = None,
    timestamp_field: Annotated[
        str | None,
        typer.Option(help="JSON field holding the record time (epoch ms or ISO 8601)."),
    ] = None,
    value_format: ValueFormatOption = "json",
    schema: SchemaOption = None,
    broker: BrokerOption = None,
) -> None:
    """Append one record per stdin line (blank lines are skipped).

    With json or avro each line is a JSON document; --key-field and --timestamp-field
    pick the key and time out of it. With string each line is the value as is.
    """
    value_format = value_format.strip().lower()
    serde = value_serde(value_format, schema)
    if value_format not in _STRUCTURED and (key_field or timestamp_field):
        raise CliError("--key-field and --timestamp-field need JSON lines: use --value-format json or avro")
    # Parse everything first, so that a bad line produces nothing rather than half.
    records = [
        parse_line(line.rstrip("\r\n"), number, value_format, serde, key_field, timestamp_field)
        for number, line in enumerate(sys.stdin, start=1)
        if line.strip()
    ]
    opened = connect(broker)
    opened.admin().describe_topic(topic)  # fail fast, with advice, on a missing topic
    producer = opened.producer()
    for key, value, timestamp in records:
        producer.send(topic, value, key, timestamp=timestamp)
    producer.flush()
    producer.close()
    typer.echo(f"produced {len(records)} record(s) to {topic}", err=True)
