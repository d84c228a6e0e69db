"""Pick a log backend from a URL: ``--broker`` / ``STREAMKIT_BROKER``.

* ``kafka://host:port[,host:port][?setting=value&...]`` — Apache Kafka; the query
  holds librdkafka client settings for every client (e.g. ``security.protocol``,
  ``sasl.mechanism``, ``session.timeout.ms``);
* ``embedded://PATH`` or a bare path — the embedded log in that directory;
* nothing — the embedded log in ``./.streamkit``.
"""

from __future__ import annotations

import os

from streamkit.log.broker import Broker
from streamkit.log.errors import InvalidBrokerUrl

DEFAULT_EMBEDDED_DIR = ".streamkit"
BROKER_ENV = "STREAMKIT_BROKER"


def resolve_broker_url(url: str | None = None) -> str:
    """The explicit URL, else ``$STREAMKIT_BROKER``, else the embedded default, in
    canonical form (``kafka://…`` or ``embedded://ABSOLUTE_PATH``)."""
    raw = url or os.environ.get(BROKER_ENV) or DEFAULT_EMBEDDED_DIR
    if raw.startswith("kafka://"):
        servers, _, query = raw[len("kafka://") :].partition("?")
        servers = servers.strip("/")
        if not servers or any(":" not in s for s in servers.split(",")):
            raise InvalidBrokerUrl(
                f"broker URL {raw!r} needs host:port pairs, e.g. kafka://127.0.0.1:9092"
            )
        return "kafka://" + servers + (f"?{query}" if query else "")
    if raw.startswith("embedded://"):
        raw = raw[len("embedded://") :]
    elif "://" in raw:
        scheme = raw.split("://", 1)[0]
        raise InvalidBrokerUrl(
            f"unknown broker scheme {scheme!r} in {raw!r}: use kafka://host:port, "
            "embedded://PATH, or a directory path for the embedded log"
        )
    if not raw:
        raise InvalidBrokerUrl("embedded:// needs a directory, e.g. embedded://./.streamkit")
    return "embedded://" + os.path.abspath(raw)


def open_broker(url: str | None = None) -> Broker:
    """Open the backend the URL names (see :func:`resolve_broker_url`)."""
    canonical = resolve_broker_url(url)
    if canonical.startswith("kafka://"):
        from streamkit.log.kafka import KafkaBroker

        return KafkaBroker(canonical)
    from streamkit.log.embedded import EmbeddedBroker

    return EmbeddedBroker(canonical)
