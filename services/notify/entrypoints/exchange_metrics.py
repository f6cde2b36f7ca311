"""Prometheus counters of the cross-LA exchange. Labels are message kinds, transports, outcomes, refusal reasons and
LA codes of partner authorities: never anything about a child."""

from prometheus_client import Counter

from services.notify.domain.exchange import PURPOSES

EXCHANGE_SENT = Counter(
    "cme_exchange_messages_sent_total",
    "Exchange messages the sender finished with, by kind, transport, partner and outcome (sent or failed)",
    ["type", "transport", "counterpart_la", "outcome"],
)
EXCHANGE_RECEIVED = Counter(
    "cme_exchange_messages_received_total",
    "Exchange messages received, by kind, transport and outcome (accepted, refused, duplicate)",
    ["type", "transport", "outcome"],
)
EXCHANGE_REFUSED = Counter(
    "cme_exchange_messages_refused_total",
    "Exchange messages refused, by transport and reason",
    ["transport", "reason"],
)


def kind(message_type: str | None) -> str:
    return PURPOSES.get(message_type or "", "unknown")
