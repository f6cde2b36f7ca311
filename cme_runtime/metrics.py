"""Prometheus metrics. Labels carry service, topic and outcome names only."""

from prometheus_client import Counter, Histogram

MESSAGES_CONSUMED = Counter(
    "cme_messages_consumed_total", "Messages a consumer finished with", ["service", "topic", "outcome"]
)
MESSAGE_SECONDS = Histogram("cme_message_processing_seconds", "Time to process one message", ["service", "topic"])
OUTBOX_PUBLISHED = Counter("cme_outbox_published_total", "Outbox rows relayed to Kafka", ["service"])
OUTBOX_RELAY_RECOVERIES = Counter(
    "cme_outbox_relay_recoveries_total",
    "Times the relay replaced a Kafka producer a failure had left unusable, or re-opened its LISTEN connection",
    ["service", "what"],
)
