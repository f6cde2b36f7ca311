"""Kafka consumers with the suite's delivery guarantees.

Every subscriber:
- uses AckPolicy.NACK_ON_ERROR: the offset is committed only after the handler returned, that is after the
  database transaction committed; an exception seeks back so the message is read again;
- records the event in the inbox in the same transaction as the state change, so a redelivery changes nothing;
- sends a message it cannot read (not a CloudEvent, unknown type, invalid JSON, schema failure) to the
  dead-letter topic with the reason and the original bytes and headers, then moves on;
- dead-letters a message whose processing keeps failing after `processing_attempts` tries, so one poison
  message cannot stop a county's casework.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cme_runtime.inbox import Inbox
from cme_runtime.logging import get_logger
from cme_runtime.metrics import MESSAGE_SECONDS, MESSAGES_CONSUMED
from cme_runtime.settings import ServiceSettings
from contracts import topics
from contracts.base import Event
from contracts.envelope import CloudEventAttributes, EnvelopeError, decode

log = get_logger(__name__)

E = TypeVar("E", bound=Event)
Handler = Callable[[AsyncSession, CloudEventAttributes, Any], Awaitable[None]]


async def undecoded(message: StreamMessage[Any]) -> bytes:
    """Leave the value as bytes: parsing is ours, so a message that is not JSON reaches the dead-letter path."""
    return message.body


def message_headers(message: KafkaMessage) -> list[tuple[str, bytes]]:
    raw = message.raw_message
    return list(getattr(raw, "headers", None) or [])


class ProcessingFailed(RuntimeError):
    """A handler failed; the message is read again (and dead-lettered after repeated failures)."""


class Consumers:
    """Registers a service's subscribers on its broker."""

    def __init__(
        self,
        settings: ServiceSettings,
        broker: KafkaBroker,
        session_factory: async_sessionmaker[AsyncSession],
        inbox: Inbox,
    ) -> None:
        self.settings = settings
        self.broker = broker
        self.session_factory = session_factory
        self.inbox = inbox
        self._failures: dict[tuple[str, int, int], int] = {}
        self.subscriptions: dict[str, tuple[type[Event], ...]] = {}

    def subscribe(
        self,
        topic: str | Sequence[str],
        accepts: Sequence[type[Event]],
        handler: Handler,
        description: str | None = None,
        name: str | None = None,
    ) -> None:
        """Call `handler` for events of the `accepts` types; other known types on the topic are skipped.

        Several topics given together share one Kafka consumer, so the group rebalances once at start-up
        instead of once per topic.
        """
        settings = self.settings
        names = [topic] if isinstance(topic, str) else list(topic)
        for each in names:
            here = tuple(model for model in accepts if model.topic == each) or tuple(accepts)
            self.subscriptions[each] = (*self.subscriptions.get(each, ()), *here)
        label = name or (names[0] if len(names) == 1 else f"{len(names)}-topics")

        async def on_message(message: KafkaMessage) -> None:
            started = time.perf_counter()
            raw_topic = str(getattr(message.raw_message, "topic", label))
            outcome = await self._process(raw_topic, accepts, handler, message)
            metric_topic = raw_topic.removeprefix(settings.topic_prefix)
            MESSAGES_CONSUMED.labels(service=settings.service_name, topic=metric_topic, outcome=outcome).inc()
            MESSAGE_SECONDS.labels(service=settings.service_name, topic=metric_topic).observe(
                time.perf_counter() - started
            )

        on_message.__name__ = (
            "on_"
            + "_".join(name.replace(".", "_") for name in names[:1])
            + (f"_and_{len(names) - 1}_more" if len(names) > 1 else "")
        )
        self.broker.subscriber(
            *(settings.topic(each) for each in names),
            group_id=settings.consumer_group,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            max_poll_interval_ms=300_000,
            decoder=undecoded,
            title=f"{settings.service_name}:{label}",
            description=description or (handler.__doc__ or "").strip() or None,
        )(on_message)

    async def _process(
        self, topic: str, accepts: Sequence[type[Event]], handler: Handler, message: KafkaMessage
    ) -> str:
        raw = message.raw_message
        position = (topic, getattr(raw, "partition", -1), getattr(raw, "offset", -1))
        try:
            attributes, event = decode(message_headers(message), message.body)
        except EnvelopeError as error:
            await self.dead_letter(message, reason=str(error))
            return "dead_lettered"
        if type(event) not in accepts:
            # Topics carry several event types of one aggregate; this consumer needs only some of them.
            return "ignored"
        try:
            async with self.session_factory.begin() as session:
                if await self.inbox.first_delivery(session, attributes.id, attributes.type):
                    await handler(session, attributes, event)
                    outcome = "processed"
                else:
                    outcome = "duplicate"
        except Exception as error:
            failures = self._failures.get(position, 0) + 1
            self._failures[position] = failures
            log.warning(
                "message processing failed",
                topic=topic,
                partition=position[1],
                offset=position[2],
                event_id=attributes.id,
                attempt=failures,
                error=type(error).__name__,
            )
            if failures >= self.settings.processing_attempts:
                self._failures.pop(position, None)
                await self.dead_letter(message, reason=f"processing failed {failures} times: {type(error).__name__}")
                return "dead_lettered"
            await asyncio.sleep(min(0.2 * 2**failures, 5.0))
            # Database errors quote the values involved; FastStream logs what we raise, so raise only the kind.
            raise ProcessingFailed(type(error).__name__) from None
        self._failures.pop(position, None)
        return outcome

    async def dead_letter(self, message: KafkaMessage, *, reason: str) -> None:
        raw = message.raw_message
        headers = {name: value.decode(errors="replace") for name, value in message_headers(message)}
        headers.update(
            {
                "dlq_reason": reason,
                "dlq_consumer": self.settings.consumer_group,
                "dlq_topic": str(getattr(raw, "topic", "")),
                "dlq_partition": str(getattr(raw, "partition", "")),
                "dlq_offset": str(getattr(raw, "offset", "")),
            }
        )
        await self.broker.publish(
            message.body,
            topic=self.settings.topic(topics.DEAD_LETTER),
            key=getattr(raw, "key", None),
            headers=headers,
        )
        log.warning(
            "message dead-lettered",
            topic=headers["dlq_topic"],
            partition=headers["dlq_partition"],
            offset=headers["dlq_offset"],
            reason=reason,
        )
