"""Kafka consumers with the suite's delivery guarantees: every message ends processed, recognised as a true
duplicate, or dead-lettered with its reason. Nothing vanishes, and an outage is never mistaken for a bad message.

Every subscriber:
- uses AckPolicy.NACK_ON_ERROR: the offset is committed only after the handler returned, that is after the
  database transaction committed; an exception seeks back so the message is read again;
- records the event in the inbox, with a digest of its content, in the same transaction as the state change, so
  a redelivery changes nothing, and an id reused with different content is dead-lettered as a conflict;
- dead-letters at once, with the reason and the original bytes and headers, a message it cannot read (a header
  that is not UTF-8 or has no value, not a CloudEvent, unknown type, invalid JSON, schema failure), a known type
  on a topic that is not its own (misrouted), and a message the handler fails on for a reason that retrying
  cannot change (see cme_runtime.failures: poison);
- waits out transient failures (PostgreSQL or Kafka unavailable, timeouts, serialization failures): the message
  is read again after a capped exponential backoff for as long as the outage lasts, the service reports not
  ready meanwhile, and the message is never dead-lettered for it. Each retry goes back through the consumer's
  poll (nack seeks back), so a long outage cannot trip max.poll.interval and cost the partition in a rebalance;
- dead-letters a message whose processing keeps failing for an unknown reason after `processing_attempts`
  tries, so one bad message cannot stop a county's casework.
"""

import asyncio
import base64
import dataclasses
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, TypeVar, cast

import orjson
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cme_runtime.batching import Arrival, record_deliveries
from cme_runtime.failures import Failure, FailureKind, backoff_seconds, classify
from cme_runtime.inbox import Delivery, Inbox, content_digest
from cme_runtime.logging import get_logger
from cme_runtime.metrics import MESSAGE_SECONDS, MESSAGES_CONSUMED
from cme_runtime.redact import loggable_id
from cme_runtime.settings import ServiceSettings
from contracts import topics
from contracts.base import Event
from contracts.envelope import CloudEventAttributes, EnvelopeError, decode

log = get_logger(__name__)

E = TypeVar("E", bound=Event)
Handler = Callable[[AsyncSession, CloudEventAttributes, Any], Awaitable[None]]
# Called in a batch's transaction with the events about to be handled (see `Consumers.subscribe`).
BatchPreparer = Callable[[AsyncSession, Sequence[Any]], Awaitable[None]]
RawHeaders = list[tuple[str, bytes | None]]

# The W3C trace context a producer puts on each message (cme_runtime.outbox injects it).
TRACE_HEADERS = frozenset({"traceparent", "tracestate"})

# Headers the dead-letter record adds to the original ones.
DLQ_ORIGINAL_HEADERS = "dlq_original_headers"


async def undecoded(message: StreamMessage[Any]) -> bytes:
    """Leave the value as bytes: parsing is ours, so a message that is not JSON reaches the dead-letter path."""
    return message.body


async def tolerant_parser(record: Any, original: Callable[[Any], Awaitable[StreamMessage[Any]]]) -> Any:
    """FastStream's own parser decodes every header as UTF-8 and so raises, before any handler runs, on a header
    that is not UTF-8 or has no value, and such a message was lost. Hand it a copy with printable headers and keep
    the untouched record as `raw_message`: our handler reads the raw headers and dead-letters the message."""
    headers = list(getattr(record, "headers", None) or [])
    if not isinstance(record, ConsumerRecord) or all(
        isinstance(value, bytes) and _is_utf8(value) for _, value in headers
    ):
        return await original(record)
    printable = [(name, value or b"") for name, value in headers]
    printable = [(name, value.decode(errors="replace").encode()) for name, value in printable]
    copy = dataclasses.replace(record, headers=printable)
    if hasattr(record, "consumer"):
        copy.consumer = record.consumer  # FastStream's KafkaRawMessage carries its consumer
    message = await original(copy)
    message.raw_message = record
    return message


async def tolerant_batch_parser(records: Any, original: Callable[[Any], Awaitable[StreamMessage[Any]]]) -> Any:
    """`tolerant_parser` for a batch subscriber: FastStream would fail the whole batch on one unreadable header.
    It gets copies with printable headers; `raw_message` keeps the untouched records, as a tuple."""
    untouched = tuple(records)
    printable = tuple(
        dataclasses.replace(
            record,
            headers=[(name, (value or b"").decode(errors="replace").encode()) for name, value in record.headers],
        )
        if isinstance(record, ConsumerRecord)
        else record
        for record in untouched
    )
    message = await original(printable)
    message.raw_message = untouched
    return message


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode()
    except UnicodeDecodeError:
        return False
    return True


def message_headers(message: KafkaMessage) -> RawHeaders:
    raw = message.raw_message
    return list(getattr(raw, "headers", None) or [])


def header_problem(headers: RawHeaders) -> str | None:
    """Why the headers cannot be read, if they cannot: names only, never values."""
    for name, value in headers:
        if value is None:
            return f"header {name!r} has no value"
        if not _is_utf8(value):
            return f"header {name!r} is not UTF-8"
    return None


def encode_headers(headers: RawHeaders) -> str:
    """The original headers exactly, as JSON: UTF-8 values as text, others base64, a missing value as null."""
    encoded: list[list[Any]] = []
    for name, value in headers:
        if value is None:
            encoded.append([name, None])
        elif _is_utf8(value):
            encoded.append([name, {"utf8": value.decode()}])
        else:
            encoded.append([name, {"base64": base64.b64encode(value).decode()}])
    return orjson.dumps(encoded).decode()


def decode_headers(text: str) -> RawHeaders:
    headers: RawHeaders = []
    for name, value in orjson.loads(text):
        if value is None:
            headers.append((name, None))
        elif "utf8" in value:
            headers.append((name, value["utf8"].encode()))
        else:
            headers.append((name, base64.b64decode(value["base64"])))
    return headers


@dataclasses.dataclass(frozen=True)
class Decoded:
    """A message that passed its envelope checks and is of a type the consumer handles."""

    message: KafkaMessage
    position: tuple[str, int, int]
    attributes: CloudEventAttributes
    event: Event
    digest: str


def _record_message(record: Any) -> KafkaMessage:
    """One record of a batch in the shape the per-message code reads (raw_message, body)."""
    return cast(KafkaMessage, SimpleNamespace(raw_message=record, body=record.value or b""))


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
        tracer: trace.Tracer | None = None,
    ) -> None:
        self.settings = settings
        self.tracer = tracer or trace.get_tracer(__name__)
        self.broker = broker
        self.session_factory = session_factory
        self.inbox = inbox
        self._failures: dict[tuple[str, int, int], int] = {}
        self._waiting: dict[tuple[str, int, int], int] = {}
        # (topic, partition) -> when a message there last failed transiently: the service is not ready meanwhile.
        self._stalled: dict[tuple[str, int], float] = {}
        # Batches: messages of a batch already dead-lettered while the batch as a whole was read again (an outage
        # met later in it): not dead-lettered twice. Forgotten when their batch completes.
        self._settled: set[tuple[str, int, int]] = set()
        self.subscriptions: dict[str, tuple[type[Event], ...]] = {}

    def stalled(self) -> list[str]:
        """Partitions waiting out an outage. An entry older than a few backoffs is stale (the partition was
        revoked, or the service stopped retrying) and no longer counts."""
        horizon = time.monotonic() - (3 * self.settings.retry_backoff_max_seconds + 30)
        return sorted(f"{topic}[{partition}]" for (topic, partition), at in self._stalled.items() if at > horizon)

    def subscribe(
        self,
        topic: str | Sequence[str],
        accepts: Sequence[type[Event]],
        handler: Handler,
        description: str | None = None,
        name: str | None = None,
        *,
        batch: bool = False,
        max_records: int = 100,
        before_batch: BatchPreparer | None = None,
    ) -> None:
        """Call `handler` for events of the `accepts` types; other known types on the topic are skipped.

        Several topics given together share one Kafka consumer, so the group rebalances once at start-up
        instead of once per topic.

        With `batch=True` the consumer takes up to `max_records` messages per poll and applies them in ONE
        transaction (an inbox row per message, the handler for each first delivery, in order), then commits the
        offsets once: the same guarantees for a fraction of the commits. Unreadable, misrouted and conflicting
        messages are dead-lettered one by one as ever; an outage makes the whole batch wait and be read again;
        any other failure of the batch sends its messages one transaction each through the per-message path, so
        only the message at fault is dead-lettered. The handler must not depend on being alone in its
        transaction (nothing of the suite's does: each message's changes are keyed by its own ids).
        `before_batch`, if given, is called in the batch's transaction with the events about to be handled, before
        the first of them: to take every lock they will need at once, in one order.
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

        async def on_batch(message: KafkaMessage) -> None:
            started = time.perf_counter()
            records = cast(Sequence[Any], message.raw_message)
            outcomes = await self._process_batch(accepts, handler, records, before_batch)
            # Per message as for one-at-a-time consumers: each message's share of its batch's time.
            share = (time.perf_counter() - started) / max(1, len(records))
            for raw_topic, outcome in outcomes:
                metric_topic = raw_topic.removeprefix(settings.topic_prefix)
                MESSAGES_CONSUMED.labels(service=settings.service_name, topic=metric_topic, outcome=outcome).inc()
                MESSAGE_SECONDS.labels(service=settings.service_name, topic=metric_topic).observe(share)

        consume: Callable[[KafkaMessage], Awaitable[None]] = on_batch if batch else on_message
        consume.__name__ = (
            "on_"
            + "_".join(name.replace(".", "_") for name in names[:1])
            + (f"_and_{len(names) - 1}_more" if len(names) > 1 else "")
        )
        subscriber_options: dict[str, Any] = (
            {"batch": True, "max_records": max_records, "parser": tolerant_batch_parser}
            if batch
            else {"parser": tolerant_parser}
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
            **subscriber_options,
        )(consume)

    async def _process_batch(
        self,
        accepts: Sequence[type[Event]],
        handler: Handler,
        records: Sequence[Any],
        before_batch: BatchPreparer | None = None,
    ) -> list[tuple[str, str]]:
        """(topic, outcome) of every record of the batch, once the batch is done; raises to have it read again."""
        outcomes: list[tuple[str, str]] = []
        readable: list[Decoded] = []
        positions = [(str(record.topic), int(record.partition), int(record.offset)) for record in records]
        for record, position in zip(records, positions, strict=True):
            if position in self._settled:
                outcomes.append((position[0], "dead_lettered"))
                continue
            decoded = await self._decode(position[0], accepts, _record_message(record))
            if isinstance(decoded, str):
                if decoded == "dead_lettered":
                    self._settled.add(position)
                outcomes.append((position[0], decoded))
            else:
                readable.append(decoded)
        outcomes.extend(await self._apply_batch(readable, handler, before_batch))
        self._settled.difference_update(positions)
        return outcomes

    async def _apply_batch(
        self, batch: Sequence[Decoded], handler: Handler, before_batch: BatchPreparer | None = None
    ) -> list[tuple[str, str]]:
        if not batch:
            return []
        arrivals = [Arrival(each.attributes.id, each.attributes.type, each.digest) for each in batch]
        try:
            async with self.session_factory.begin() as session:
                deliveries = await record_deliveries(self.inbox, session, arrivals)
                if before_batch is not None:
                    firsts = [
                        each.event
                        for each, delivery in zip(batch, deliveries, strict=True)
                        if delivery is Delivery.FIRST
                    ]
                    await before_batch(session, firsts)
                for each, delivery in zip(batch, deliveries, strict=True):
                    if delivery is Delivery.FIRST:
                        with self._message_span(each):
                            await handler(session, each.attributes, each.event)
        except Exception as error:
            failure = classify(error)
            if failure.kind is FailureKind.TRANSIENT:
                await self._batch_waits(batch, failure)
            # Not an outage: find the message at fault by applying each alone (each its own transaction).
            log.warning(
                "message batch failed; applying its messages one at a time",
                messages=len(batch),
                error=failure.error_type,
                sqlstate=failure.sqlstate,
            )
            outcomes: list[tuple[str, str]] = []
            for each in batch:
                outcome = await self._apply(each, handler)
                if outcome == "dead_lettered":
                    self._settled.add(each.position)
                outcomes.append((each.position[0], outcome))
            return outcomes
        for each in batch:
            self._succeeded(each.position)
        return [
            (each.position[0], await self._delivered(each, delivery))
            for each, delivery in zip(batch, deliveries, strict=True)
        ]

    def _message_span(self, decoded: "Decoded") -> AbstractContextManager[trace.Span]:
        """A span for one message of a batch, in the trace its producer started. FastStream's span covers the
        batch, in a trace of its own: without this, what the handler publishes would start a new trace too, and a
        referral could no longer be followed from intake to its case."""
        carrier = {
            name: value.decode()
            for name, value in message_headers(decoded.message)
            if name in TRACE_HEADERS and value is not None
        }
        topic, partition, offset = decoded.position
        return self.tracer.start_as_current_span(
            f"{topic} process",
            context=propagate.extract(carrier),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": topic,
                "messaging.destination.partition.id": str(partition),
                "messaging.kafka.offset": offset,
                "messaging.message.id": decoded.attributes.id,
            },
        )

    async def _batch_waits(self, batch: Sequence[Decoded], failure: Failure) -> None:
        """An outage met by a batch: every partition in it waits, and the whole batch is read again."""
        first = batch[0].position
        waits = self._waiting.get(first, 0) + 1
        self._waiting[first] = waits
        now = time.monotonic()
        for each in batch:
            self._stalled[(each.position[0], each.position[1])] = now
        delay = backoff_seconds(waits, cap=self.settings.retry_backoff_max_seconds)
        log.warning(
            "message batch waits out an outage; will retry",
            topic=first[0],
            partition=first[1],
            offset=first[2],
            messages=len(batch),
            attempt=waits,
            retry_in_seconds=round(delay, 1),
            error=failure.error_type,
            sqlstate=failure.sqlstate,
        )
        await asyncio.sleep(delay)
        # Raising nacks: FastStream seeks every partition of the batch back to its first record.
        raise ProcessingFailed(failure.error_type) from None

    async def _process(
        self, topic: str, accepts: Sequence[type[Event]], handler: Handler, message: KafkaMessage
    ) -> str:
        decoded = await self._decode(topic, accepts, message)
        if isinstance(decoded, str):
            return decoded
        return await self._apply(decoded, handler)

    async def _decode(self, topic: str, accepts: Sequence[type[Event]], message: KafkaMessage) -> "Decoded | str":
        """The message's envelope and event, or the outcome if it goes no further (dead-lettered or ignored)."""
        raw = message.raw_message
        position = (topic, getattr(raw, "partition", -1), getattr(raw, "offset", -1))
        headers = message_headers(message)
        problem = header_problem(headers)
        if problem is not None:
            await self.dead_letter(message, reason=problem, error_type="EnvelopeError")
            return "dead_lettered"
        try:
            attributes, event = decode(headers, message.body)  # type: ignore[arg-type]  # checked just above
        except EnvelopeError as error:
            await self.dead_letter(message, reason=str(error), error_type="EnvelopeError")
            return "dead_lettered"
        home = type(event).topic
        bare_topic = topic.removeprefix(self.settings.topic_prefix)
        if bare_topic in topics.ALL_TOPICS and home != bare_topic:
            # A known type on a suite topic that is not its own: a sender's mistake nobody would otherwise see.
            await self.dead_letter(
                message,
                reason=f"misrouted: {attributes.type} arrived on {bare_topic}, but belongs on {home}",
                error_type="Misrouted",
                event=attributes,
            )
            return "dead_lettered"
        if type(event) not in accepts:
            # Topics carry several event types of one aggregate; this consumer needs only some of them.
            return "ignored"
        digest = content_digest(attributes.type, attributes.source, message.body)
        return Decoded(message, position, attributes, event, digest)

    async def _apply(self, decoded: "Decoded", handler: Handler) -> str:
        """One message in one transaction: its inbox row, and the handler if it is a first delivery."""
        attributes = decoded.attributes
        try:
            async with self.session_factory.begin() as session:
                delivery = await self.inbox.record(session, attributes.id, attributes.type, decoded.digest)
                if delivery is Delivery.FIRST:
                    await handler(session, attributes, decoded.event)
        except Exception as error:
            return await self._failed(decoded.message, decoded.position, attributes, classify(error))
        self._succeeded(decoded.position)
        return await self._delivered(decoded, delivery)

    async def _delivered(self, decoded: "Decoded", delivery: Delivery) -> str:
        if delivery is Delivery.CONFLICT:
            await self.dead_letter(
                decoded.message,
                reason="conflict: this event id was already processed with different content",
                error_type="Conflict",
                event=decoded.attributes,
            )
            return "dead_lettered"
        return "processed" if delivery is Delivery.FIRST else "duplicate"

    def _succeeded(self, position: tuple[str, int, int]) -> None:
        self._failures.pop(position, None)
        self._waiting.pop(position, None)
        self._stalled.pop((position[0], position[1]), None)

    async def _failed(
        self,
        message: KafkaMessage,
        position: tuple[str, int, int],
        attributes: CloudEventAttributes,
        failure: Failure,
    ) -> str:
        where = {
            "topic": position[0],
            "partition": position[1],
            "offset": position[2],
            "event_id": loggable_id(attributes.id),
        }
        if failure.kind is FailureKind.TRANSIENT:
            waits = self._waiting.get(position, 0) + 1
            self._waiting[position] = waits
            self._stalled[(position[0], position[1])] = time.monotonic()
            delay = backoff_seconds(waits, cap=self.settings.retry_backoff_max_seconds)
            log.warning(
                "message processing waits out an outage; will retry",
                **where,
                attempt=waits,
                retry_in_seconds=round(delay, 1),
                error=failure.error_type,
                sqlstate=failure.sqlstate,
            )
            await asyncio.sleep(delay)
            # Raising nacks: FastStream seeks back, and the next poll delivers this message again.
            raise ProcessingFailed(failure.error_type) from None
        if failure.kind is FailureKind.POISON:
            self._succeeded(position)
            await self.dead_letter(message, reason=failure.reason, error_type=failure.error_type, event=attributes)
            return "dead_lettered"
        failures = self._failures.get(position, 0) + 1
        self._failures[position] = failures
        log.warning("message processing failed", **where, attempt=failures, error=failure.error_type)
        if failures >= self.settings.processing_attempts:
            self._succeeded(position)
            await self.dead_letter(
                message,
                reason=f"processing failed {failures} times: {failure.error_type}",
                error_type=failure.error_type,
                event=attributes,
            )
            return "dead_lettered"
        await asyncio.sleep(backoff_seconds(failures, cap=5.0))
        # Database errors quote the values involved; FastStream logs what we raise, so raise only the kind.
        raise ProcessingFailed(failure.error_type) from None

    async def dead_letter(
        self,
        message: KafkaMessage,
        *,
        reason: str,
        error_type: str = "",
        event: CloudEventAttributes | None = None,
    ) -> None:
        """Publish the original bytes and headers to the dead-letter topic with where they came from and why.

        The original headers travel twice: readable (undecodable values replaced) for people and tools, and
        exactly (`dlq_original_headers`, base64 where not UTF-8) so that `cme dlq replay` can republish them.
        """
        raw = message.raw_message
        original = message_headers(message)
        headers = {name: (value or b"").decode(errors="replace") for name, value in original}
        headers.update(
            {
                "dlq_reason": reason,
                "dlq_error_type": error_type,
                "dlq_consumer": self.settings.consumer_group,
                "dlq_topic": str(getattr(raw, "topic", "")),
                "dlq_partition": str(getattr(raw, "partition", "")),
                "dlq_offset": str(getattr(raw, "offset", "")),
                "dlq_time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                DLQ_ORIGINAL_HEADERS: encode_headers(original),
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
            event_id=loggable_id(event.id) if event is not None else None,
            reason=reason,
        )
