"""What reporting receives from Kafka: every topic its read model counts, on one consumer, in batches.

The read model must keep up with the whole suite's event rate, so, unlike the other services, reporting takes
its events in batches (up to `max_records`) and applies each batch in ONE transaction, recording every event
in the inbox as it goes. The delivery guarantees stay the suite's (cme_runtime.messaging): the offsets are
committed only after the batch's transaction committed (NACK_ON_ERROR: an exception seeks back and the batch is
read again); a redelivered event changes nothing (inbox); an unreadable, misrouted or conflicting message is
dead-lettered with its reason and original bytes; an outage is waited out and never dead-letters anything. When
a batch fails for a reason that is not an outage, its events are applied one transaction each, so only the
message at fault is dead-lettered and the rest of the batch still counts.
"""

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from types import SimpleNamespace
from typing import Any, cast

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from cme_runtime.failures import FailureKind, backoff_seconds, classify
from cme_runtime.inbox import Delivery, content_digest
from cme_runtime.logging import get_logger
from cme_runtime.messaging import ProcessingFailed, header_problem
from cme_runtime.metrics import MESSAGES_CONSUMED
from cme_runtime.service import ServiceRuntime
from contracts import topics
from contracts.envelope import EnvelopeError, decode
from services.reporting.adapters.read_model import Delivered
from services.reporting.service_layer.projection import CONSUMED, Projection

log = get_logger(__name__)

TOPICS = (
    topics.REFERRAL_RECEIVED,
    topics.TRIAGE_DECIDED,
    topics.CASE_LIFECYCLE,
    topics.REVIEW_DECIDED,
    topics.INTAKE_REJECTED,
)
MAX_RECORDS = 500


async def _tolerant_batch_parser(
    records: Any, original: Callable[[Any], Awaitable[StreamMessage[Any]]]
) -> StreamMessage[Any]:
    """FastStream decodes every header as UTF-8 and would fail the whole batch on one bad header: give it copies
    with printable headers and keep the untouched records, which this module reads (and dead-letters)."""
    printable = tuple(
        dataclasses.replace(
            record,
            headers=[(name, (value or b"").decode(errors="replace").encode()) for name, value in record.headers],
        )
        if isinstance(record, ConsumerRecord)
        else record
        for record in records
    )
    message = await original(printable)
    message.raw_message = records
    return message


async def _undecoded(message: StreamMessage[Any]) -> Any:
    return message.body


@dataclasses.dataclass(frozen=True)
class _Readable:
    record: Any
    delivered: Delivered


class BatchConsumer:
    def __init__(self, runtime: ServiceRuntime, projection: Projection, max_records: int = MAX_RECORDS) -> None:
        self.runtime = runtime
        self.projection = projection
        settings = runtime.settings
        self.settings = settings
        for name in TOPICS:
            runtime.consumers.subscriptions[name] = tuple(model for model in CONSUMED if model.topic == name)
        runtime.broker.subscriber(
            *(settings.topic(name) for name in TOPICS),
            batch=True,
            max_records=max_records,
            group_id=settings.consumer_group,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            max_poll_interval_ms=300_000,
            parser=_tolerant_batch_parser,
            decoder=_undecoded,
            title=f"{settings.service_name}:read-model",
            description="Referrals, triage decisions, the case lifecycle, Missing Mondays reviews and rejected "
            "submissions, counted into reporting's read model (in batches, one transaction each)",
        )(self.on_batch)
        self._waits = 0

    async def on_batch(self, message: KafkaMessage) -> None:
        records = cast(Sequence[Any], message.raw_message)
        readable = [each for each in [await self._read(record) for record in records] if each is not None]
        outcomes: list[Delivery | None]
        try:
            async with self.runtime.session_factory.begin() as tx:
                outcomes = list(await self.projection.deliver(tx, [each.delivered for each in readable]))
        except Exception as error:
            failure = classify(error)
            if failure.kind is FailureKind.TRANSIENT:
                self._waits += 1
                delay = backoff_seconds(self._waits, cap=self.settings.retry_backoff_max_seconds)
                log.warning("read-model batch waits out an outage; will retry", error=failure.error_type,
                            retry_in_seconds=round(delay, 1))
                await asyncio.sleep(delay)
                raise ProcessingFailed(failure.error_type) from None
            outcomes = [await self._one_by_one(each) for each in readable]
        self._waits = 0
        for each, outcome in zip(readable, outcomes, strict=True):
            if outcome is Delivery.CONFLICT:
                await self._dead_letter(
                    each.record, "conflict: this event id was already processed with different content", "Conflict"
                )
            self._count(each.record, "duplicate" if outcome is Delivery.DUPLICATE else "processed")

    async def _one_by_one(self, each: _Readable) -> Delivery | None:
        try:
            async with self.runtime.session_factory.begin() as tx:
                return (await self.projection.deliver(tx, [each.delivered]))[0]
        except Exception as error:
            failure = classify(error)
            if failure.kind is FailureKind.TRANSIENT:
                raise ProcessingFailed(failure.error_type) from None
            await self._dead_letter(each.record, failure.reason or failure.error_type, failure.error_type)
            return None

    async def _read(self, record: Any) -> _Readable | None:
        headers = list(record.headers or ())
        problem = header_problem(headers)
        if problem is not None:
            await self._dead_letter(record, problem, "EnvelopeError")
            return None
        try:
            attributes, event = decode(headers, record.value or b"")
        except EnvelopeError as error:
            await self._dead_letter(record, str(error), "EnvelopeError")
            return None
        bare_topic = str(record.topic).removeprefix(self.settings.topic_prefix)
        if bare_topic in topics.ALL_TOPICS and type(event).topic != bare_topic:
            await self._dead_letter(
                record, f"misrouted: {attributes.type} arrived on {bare_topic}, but belongs on {type(event).topic}",
                "Misrouted",
            )
            return None
        if type(event) not in CONSUMED:
            self._count(record, "ignored")
            return None
        digest = content_digest(attributes.type, attributes.source, record.value or b"")
        return _Readable(record, Delivered(attributes.id, attributes.type, digest, event))

    async def _dead_letter(self, record: Any, reason: str, error_type: str) -> None:
        # The suite's one dead-letter format (cme_runtime.messaging.Consumers.dead_letter), for one record.
        await self.runtime.consumers.dead_letter(
            cast(KafkaMessage, SimpleNamespace(raw_message=record, body=record.value or b"")),
            reason=reason,
            error_type=error_type,
        )
        self._count(record, "dead_lettered")

    def _count(self, record: Any, outcome: str) -> None:
        topic = str(record.topic).removeprefix(self.settings.topic_prefix)
        MESSAGES_CONSUMED.labels(service=self.settings.service_name, topic=topic, outcome=outcome).inc()
