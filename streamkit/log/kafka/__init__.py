"""The Kafka backend: the Broker interface on Apache Kafka through confluent-kafka.

>>> broker = KafkaBroker("kafka://127.0.0.1:9092")   # connects lazily
>>> broker.bootstrap_servers
'127.0.0.1:9092'
"""

from streamkit.log.kafka.broker import KafkaBroker

__all__ = ["KafkaBroker"]
