"""``streamkit consume``: print a topic's records as JSON, one document per line."""

from __future__ import annotations

import base64
import time
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
from streamkit.cli.times import to_epoch_ms
from streamkit.log import Broker, Consumer, Record, TopicPartition
from streamkit.serde import Serde, SerdeError


def text(data: bytes | None) -> str | None:
    """Bytes shown as text: UTF-8 where it is, escaped where it is not."""
    return None if data is None else data.decode("utf-8", errors="backslashreplace")


def decoded_value(record: Record, serde: Serde, value_format: str) -> Any:
    """The record's value as a JSON-ready object."""
    if record.value is None:
        return None
    if value_format in ("bytes", "raw"):
        return base64.b64encode(record.value).decode()
    try:
        return serde.deserialize(record.value)
    except SerdeError as error:
        raise CliError(
            f"record {record.topic}/{record.partition}@{record.offset} is not {value_format}: "
            f"{error}; try --value-format string or bytes"
        ) from None


def render(record: Record, value: Any, meta: bool) -> bytes:
    """One output line: the value, or with ``meta`` the record around it."""
    if not meta:
        return orjson.dumps(value, default=str)
    return orjson.dumps(
        {
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "timestamp": record.timestamp,
            "key": text(record.key),
            "value": value,
            "headers": [[name, text(data)] for name, data in record.headers],
        },
        default=str,
    )


def start_positions(
    opened: Broker, partitions: list[TopicPartition],
    from_beginning: bool, offset: int | None, since: str | None,
) -> dict[TopicPartition, int]:
    """Where reading starts in each partition, without a group."""
    admin = opened.admin()
    if offset is not None:
        return dict.fromkeys(partitions, offset)
    if since is not None:
        wanted = to_epoch_ms(since)
        found = admin.offsets_for_time(dict.fromkeys(partitions, wanted))
        end = admin.end_offsets(partitions)
        return {tp: end[tp] if found[tp] is None else found[tp] for tp in partitions}  # type: ignore[misc]
    return admin.begin_offsets(partitions) if from_beginning else admin.end_offsets(partitions)


def open_consumer(
    opened: Broker, topic: str, group: str | None,
    from_beginning: bool, offset: int | None, since: str | None,
) -> Consumer:
    """A consumer positioned as the options ask."""
    partitions = [
        TopicPartition(topic, p) for p in range(opened.admin().describe_topic(topic).partitions)
    ]
    if group is not None:
        if offset is not None or since is not None:
            raise CliError("--offset and --since choose positions by hand: use them without --group")
        consumer = opened.consumer(
            group_id=group, auto_offset_reset="earliest" if from_beginning else "latest"
        )
        consumer.subscribe([topic])
        return consumer
    consumer = opened.consumer()
    consumer.assign(partitions)
    for tp, position in start_positions(opened, partitions, from_beginning, offset, since).items():
        consumer.seek(tp, position)
    return consumer


@reports_errors
def consume(
    topic: Annotated[str, typer.Argument(help="Topic to read.")],
    from_beginning: Annotated[bool, typer.Option(help="Start at the oldest stored record.")] = False,
    offset: Annotated[int | None, typer.Option(min=0, help="Start at this offset in every partition.")] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Start at the first record at/after TIME: epoch ms, ISO 8601, or an age like 15m."),
    ] = None,
    max_records: Annotated[int | None, typer.Option("--max", min=1, help="Stop after N records.")] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0, help="Stop after S seconds without a new record.")
    ] = None,
    meta: Annotated[
        bool, typer.Option(help="Print key, value, topic, partition, offset, timestamp, headers.")
    ] = False,
    group: Annotated[
        str | None, typer.Option(help="Read as this consumer group, committing what was printed.")
    ] = None,
    value_format: ValueFormatOption = "json",
    schema: SchemaOption = None,
    broker: BrokerOption = None,
) -> None:
    """Print records (committed ones only) as JSON, one document per line.

    Without a start option, only new records are printed; with --group, reading
    resumes at the group's committed offsets.
    """
    if sum((from_beginning, offset is not None, since is not None)) > 1:
        raise CliError("choose one of --from-beginning, --offset and --since")
    value_format = value_format.strip().lower()
    serde = value_serde(value_format, schema)
    consumer = open_consumer(connect(broker), topic, group, from_beginning, offset, since)
    printed = 0
    last_record_at = time.monotonic()
    try:
        while max_records is None or printed < max_records:
            wait = 1.0 if timeout is None else max(0.0, min(1.0, last_record_at + timeout - time.monotonic()))
            wanted = 500 if max_records is None else max_records - printed
            batch = consumer.poll_batch(max_records=wanted, timeout=wait)
            if batch:
                last_record_at = time.monotonic()
                lines = [render(r, decoded_value(r, serde, value_format), meta) for r in batch]
                typer.echo(b"\n".join(lines).decode())
                printed += len(batch)
                if group is not None:
                    consumer.commit({r.topic_partition: r.offset + 1 for r in batch})
            elif timeout is not None and time.monotonic() - last_record_at >= timeout:
                break
    finally:
        consumer.close()
