"""The exchange's Kafka door: this authority's own exchange topic, `cme.exchange.<home LA>.v1`, which partners write.

Its values are DSSE envelopes, not the suite's CloudEvents, so it has a subscriber of its own (the suite's
`Consumers.subscribe` decodes CloudEvents) with the same options and the same guarantees: the offset is committed
after the database commit; an outage is waited out (backoff, then nack: the partition waits, nothing is
dead-lettered for it); a refused message is recorded, dead-lettered with its reason and passed over; a message
whose processing keeps failing for an unknown reason is dead-lettered after `processing_attempts` tries. The
exchange log's primary key plays the inbox's part: a redelivery from the same offset is recognised, an id seen
before from anywhere else is a replay.
"""

import asyncio
from typing import Any

from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cme_runtime.exchange_signing import RefusalReason
from cme_runtime.failures import FailureKind, backoff_seconds, classify
from cme_runtime.logging import get_logger
from cme_runtime.messaging import Consumers, ProcessingFailed, tolerant_parser, undecoded
from contracts.exchange.messages_v1 import exchange_topic
from services.notify.entrypoints.exchange_metrics import EXCHANGE_RECEIVED, EXCHANGE_REFUSED, kind
from services.notify.service_layer.exchange import ExchangeService
from services.notify.settings import NotifySettings

log = get_logger(__name__)

TRANSPORT = "kafka"


def exchange_group(settings: NotifySettings) -> str:
    return settings.consumer_group + ".exchange"


def home_topic(settings: NotifySettings) -> str:
    # The exchange's own prefix: partners share these topics, so the suite's CME_TOPIC_PREFIX does not apply.
    return settings.exchange_topic_prefix + exchange_topic(settings.home_la_code)


def subscribe_exchange(
    consumers: Consumers,
    settings: NotifySettings,
    session_factory: async_sessionmaker[AsyncSession],
    service: ExchangeService,
) -> None:
    failures: dict[str, int] = {}
    waits: dict[str, int] = {}

    async def on_exchange_message(message: KafkaMessage) -> None:
        raw: Any = message.raw_message
        position = f"{getattr(raw, 'topic', '')}:{getattr(raw, 'partition', -1)}:{getattr(raw, 'offset', -1)}"
        body = message.body if isinstance(message.body, bytes) else bytes(message.body or b"")
        try:
            async with session_factory.begin() as session:
                received = await service.receive(session, body, TRANSPORT, position=position)
        except Exception as error:
            failure = classify(error)
            if failure.kind is FailureKind.TRANSIENT:
                waits[position] = waits.get(position, 0) + 1
                delay = backoff_seconds(waits[position], cap=settings.retry_backoff_max_seconds)
                log.warning(
                    "exchange message waits out an outage; will retry",
                    position=position,
                    attempt=waits[position],
                    error=failure.error_type,
                )
                await asyncio.sleep(delay)
                raise ProcessingFailed(failure.error_type) from None
            failures[position] = failures.get(position, 0) + 1
            if failure.kind is FailureKind.POISON or failures[position] >= settings.processing_attempts:
                failures.pop(position, None)
                waits.pop(position, None)
                await consumers.dead_letter(message, reason=failure.reason, error_type=failure.error_type)
                return
            log.warning("exchange message processing failed", position=position, error=failure.error_type)
            await asyncio.sleep(backoff_seconds(failures[position], cap=5.0))
            raise ProcessingFailed(failure.error_type) from None
        failures.pop(position, None)
        waits.pop(position, None)
        if received.accepted:
            outcome = "duplicate" if received.duplicate else "accepted"
            EXCHANGE_RECEIVED.labels(type=kind(received.message_type), transport=TRANSPORT, outcome=outcome).inc()
            return
        reason = received.reason or RefusalReason.UNREADABLE
        EXCHANGE_RECEIVED.labels(type=kind(received.message_type), transport=TRANSPORT, outcome="refused").inc()
        EXCHANGE_REFUSED.labels(transport=TRANSPORT, reason=reason.name.lower()).inc()
        await consumers.dead_letter(message, reason=reason.value, error_type="ExchangeRefused")

    consumers.broker.subscriber(
        home_topic(settings),
        group_id=exchange_group(settings),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        max_poll_interval_ms=300_000,
        parser=tolerant_parser,
        decoder=undecoded,
        title=f"{settings.service_name}:exchange",
        description="Signed messages partner authorities send this authority (DSSE envelopes)",
    )(on_exchange_message)
