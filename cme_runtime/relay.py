"""Relays every service's outbox rows to Kafka, in order per key, at least once.

It heals itself: after a broker outage of any length it replaces a producer the outage left unusable and sends
the rows Kafka had not confirmed again (see HealingProducer), and after a PostgreSQL restart it LISTENs again
(polling covers the gap).

Rows are claimed with FOR UPDATE SKIP LOCKED, so several relays can run side by side. A relay claims only the
oldest pending row of each key (plus the later rows of those keys), so two relays never publish one child's
events out of order. Rows are deleted in the claiming transaction after Kafka acknowledged them; a crash in
between republishes them, and consumers' inboxes drop the duplicates.
"""

import asyncio
import contextlib
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.errors import ProducerClosed
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cme_runtime.logging import get_logger
from cme_runtime.metrics import OUTBOX_PUBLISHED, OUTBOX_RELAY_RECOVERIES
from cme_runtime.outbox import NOTIFY_CHANNEL

log = get_logger(__name__)

_CLAIM_HEADS = """
    SELECT o.aggregateid FROM {table} o
    WHERE o.aggregatetype LIKE :topics
      AND NOT EXISTS (
        SELECT 1 FROM {table} earlier
        WHERE earlier.aggregateid = o.aggregateid AND earlier.seq < o.seq AND earlier.aggregatetype LIKE :topics
      )
    ORDER BY o.seq
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
"""
_CLAIM_ROWS = """
    SELECT seq, id, aggregatetype, aggregateid, type, source, subject, dataschema, payload, occurred_at, trace_headers
    FROM {table} WHERE aggregateid = ANY(:keys) AND aggregatetype LIKE :topics ORDER BY seq LIMIT :limit FOR UPDATE
"""
_DELETE_ROWS = "DELETE FROM {table} WHERE seq = ANY(:seqs)"
_TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class RelayTarget:
    service: str
    engine: AsyncEngine
    listen_dsn: str
    topic_prefix: str = ""
    table: str = "outbox"

    @property
    def topics(self) -> str:
        """A LIKE pattern for the rows this relay owns: those written under its topic prefix."""
        escaped = self.topic_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return escaped + "%"

    def __post_init__(self) -> None:
        if not _TABLE_NAME.fullmatch(self.table):
            raise ValueError("outbox table name must be a plain lower-case identifier")


def kafka_headers(row: Mapping[Any, Any]) -> list[tuple[str, bytes]]:
    headers = [
        ("ce_specversion", "1.0"),
        ("ce_id", str(row["id"])),
        ("ce_source", row["source"]),
        ("ce_type", row["type"]),
        ("ce_time", row["occurred_at"].isoformat().replace("+00:00", "Z")),
        ("content-type", "application/json"),
    ]
    if row["subject"]:
        headers.append(("ce_subject", row["subject"]))
    if row["dataschema"]:
        headers.append(("ce_dataschema", row["dataschema"]))
    headers.extend((name, str(value)) for name, value in (row["trace_headers"] or {}).items())
    return [(name, value.encode()) for name, value in headers]


class HealingProducer:
    """The relay's idempotent Kafka producer, replaced by a fresh one when a failure leaves it unusable.

    After a broker outage an idempotent producer can be stuck for good: its batches timed out while their sequence
    numbers were spent, and every later batch fails with OutOfOrderSequenceNumber (or the producer is fenced, or
    closed). A fresh producer gets a new producer id and sequence numbers from zero. Nothing is lost by replacing
    it: outbox rows are deleted only once Kafka acknowledged them, so the rows it had not confirmed are claimed
    again and sent by the new producer, in seq order.
    """

    def __init__(self, factory: Callable[[], AIOKafkaProducer] | None, producer: AIOKafkaProducer | None = None):
        self._factory = factory
        self._producer = producer
        self._started = producer is not None
        self.generation = 0
        self._lock = asyncio.Lock()

    @classmethod
    def wrapping(cls, producer: AIOKafkaProducer) -> "HealingProducer":
        """A producer someone else started and stops: used as it is, never replaced."""
        return cls(None, producer)

    async def get(self) -> tuple[AIOKafkaProducer, int]:
        """The current producer, started (a new one if the last was discarded), and its generation."""
        async with self._lock:
            if self._producer is None:
                if self._factory is None:
                    raise RuntimeError("the relay's producer was discarded and cannot be replaced")
                producer = self._factory()
                try:
                    await producer.start()
                except BaseException:
                    with contextlib.suppress(Exception):
                        await producer.stop()
                    raise
                self._producer = producer
                self._started = True
            return self._producer, self.generation

    async def discard(self, generation: int, service: str, error: BaseException) -> None:
        """Replace the producer of `generation` (once, however many relays saw it fail)."""
        async with self._lock:
            if generation != self.generation or self._factory is None or self._producer is None:
                return
            old, self._producer = self._producer, None
            self.generation += 1
            with contextlib.suppress(Exception):
                await asyncio.wait_for(old.stop(), timeout=10)
        OUTBOX_RELAY_RECOVERIES.labels(service=service, what="producer").inc()
        log.warning(
            "outbox relay replaced its Kafka producer; unconfirmed rows will be sent again",
            service=service,
            error=type(error).__name__,
            generation=self.generation,
        )

    async def stop(self) -> None:
        async with self._lock:
            if self._producer is not None and self._factory is not None:
                await self._producer.stop()
            self._producer = None


def _is_closed(producer: AIOKafkaProducer) -> bool:
    # aiokafka has no public "closed" flag; `_closed` is set by stop() (checked on 0.14).
    return bool(getattr(producer, "_closed", False))


class PublishFailed(RuntimeError):
    """Some rows of a batch were not acknowledged; the acknowledged ones were deleted, the others stay."""


class OutboxRelay:
    def __init__(
        self,
        target: RelayTarget,
        producer: AIOKafkaProducer | HealingProducer,
        batch_size: int = 200,
        *,
        idle_poll_seconds: float = 1.0,
        listen_retry_seconds: float = 5.0,
        send_timeout_seconds: float = 45.0,
    ) -> None:
        self.target = target
        self.producer = producer if isinstance(producer, HealingProducer) else HealingProducer.wrapping(producer)
        self.batch_size = batch_size
        self.idle_poll_seconds = idle_poll_seconds
        self.listen_retry_seconds = listen_retry_seconds
        # How often to check that a producer still waiting for acknowledgements has not been closed.
        self.send_timeout_seconds = send_timeout_seconds
        self._wake = asyncio.Event()
        self._claim_heads = text(_CLAIM_HEADS.format(table=target.table))
        self._claim_rows = text(_CLAIM_ROWS.format(table=target.table))
        self._delete_rows = text(_DELETE_ROWS.format(table=target.table))
        self._listener: asyncpg.Connection | None = None
        self._listen_attempted = -float("inf")

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows went to Kafka. Raises PublishFailed (after deleting the rows
        Kafka did acknowledge) if some were not, and discards the producer so the next batch gets a fresh one."""
        failure: BaseException | None = None
        async with self.target.engine.begin() as connection:
            heads = (
                (await connection.execute(self._claim_heads, {"limit": self.batch_size, "topics": self.target.topics}))
                .scalars()
                .all()
            )
            if not heads:
                return 0
            rows = (
                (
                    await connection.execute(
                        self._claim_rows,
                        {"keys": list(heads), "limit": self.batch_size, "topics": self.target.topics},
                    )
                )
                .mappings()
                .all()
            )
            producer, generation = await self.producer.get()
            acknowledged, failure = await self._publish(producer, rows)
            if acknowledged:
                await connection.execute(self._delete_rows, {"seqs": acknowledged})
        if acknowledged:
            OUTBOX_PUBLISHED.labels(service=self.target.service).inc(len(acknowledged))
        if failure is not None:
            await self.producer.discard(generation, self.target.service, failure)
            raise PublishFailed(type(failure).__name__) from failure
        return len(acknowledged)

    async def _publish(
        self, producer: AIOKafkaProducer, rows: Sequence[Mapping[Any, Any]]
    ) -> tuple[list[int], BaseException | None]:
        """Send rows in seq order; return the seqs Kafka acknowledged that are safe to delete, and the first error.

        A row is safe to delete only if every earlier row of its key was acknowledged too: the rows kept are then
        each key's unconfirmed tail, which the next claim sends again in order.
        """
        # Sent in seq order by one idempotent producer: Kafka keeps that order within each key's partition.
        sent: list[tuple[Mapping[Any, Any], asyncio.Future[Any]]] = []
        failure: BaseException | None = None
        for row in rows:
            if _is_closed(producer):  # its send() would wait for ever
                failure = ProducerClosed()
                break
            try:
                future = await asyncio.wait_for(
                    producer.send(
                        row["aggregatetype"],
                        value=orjson.dumps(row["payload"]),
                        key=row["aggregateid"].encode(),
                        headers=kafka_headers(row),
                    ),
                    # send() waits for metadata, and for ever on a stopped producer.
                    timeout=self.send_timeout_seconds,
                )
            except Exception as error:  # the rest would overtake the rows of their keys not sent: stop here
                failure = error
                break
            sent.append((row, future))
        pending = {future for _, future in sent}
        while pending:
            # While the broker is away a healthy producer holds its batches and delivers them when it is back;
            # giving up on them would send those rows twice. Only a producer that was closed under us (its
            # futures then never complete) is given up on.
            _, pending = await asyncio.wait(pending, timeout=self.send_timeout_seconds)
            if pending and _is_closed(producer):
                break
        unconfirmed: set[str] = {row["aggregateid"] for row in rows[len(sent) :]}
        acknowledged: list[int] = []
        for row, future in sent:
            if not future.done():
                future.cancel()
                failure = failure or ProducerClosed()
                unconfirmed.add(row["aggregateid"])
            elif future.cancelled() or future.exception() is not None:
                failure = failure or future.exception() or TimeoutError("send cancelled")
                unconfirmed.add(row["aggregateid"])
            elif row["aggregateid"] not in unconfirmed:
                acknowledged.append(row["seq"])
        return acknowledged, failure

    async def run(self, stopping: asyncio.Event) -> None:
        failed_since: float | None = None
        failures = 0
        try:
            while not stopping.is_set():
                await self._ensure_listening()
                try:
                    published = await self.relay_once()
                except Exception as error:  # a broker or database outage: keep the rows, try again shortly
                    failures += 1
                    failed_since = failed_since or time.monotonic()
                    log.warning(
                        "outbox relay failed; will retry",
                        service=self.target.service,
                        error=type(error).__name__,
                        cause=type(error.__cause__).__name__ if error.__cause__ else None,
                        attempt=failures,
                    )
                    published = 0
                    await asyncio.sleep(min(self.idle_poll_seconds * failures, 5.0))
                    continue
                if failed_since is not None:
                    log.info(
                        "outbox relay recovered",
                        service=self.target.service,
                        failed_attempts=failures,
                        outage_seconds=round(time.monotonic() - failed_since, 1),
                    )
                    failed_since, failures = None, 0
                if published == 0:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=self.idle_poll_seconds)
        finally:
            if self._listener is not None:
                with contextlib.suppress(Exception):
                    await self._listener.close()

    async def _ensure_listening(self) -> None:
        """LISTEN, and LISTEN again once PostgreSQL dropped the connection (a restart): polling covers the gap."""
        if self._listener is not None and not self._listener.is_closed():
            return
        now = time.monotonic()
        if now - self._listen_attempted < self.listen_retry_seconds:
            return
        reconnecting = self._listen_attempted != -float("inf")
        self._listen_attempted = now
        if self._listener is not None:
            with contextlib.suppress(Exception):
                self._listener.terminate()
            self._listener = None
        self._listener = await self._listen()
        if self._listener is not None and reconnecting:
            OUTBOX_RELAY_RECOVERIES.labels(service=self.target.service, what="listen").inc()
            log.info("outbox relay listens again", service=self.target.service)
            self._wake.set()  # notifications sent while it was away were lost: look now

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            connection = await asyncio.wait_for(asyncpg.connect(self.target.listen_dsn), timeout=10)
            await connection.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        except Exception as error:  # polling still works without LISTEN
            log.warning(
                "outbox relay could not LISTEN; polling only", service=self.target.service, error=type(error).__name__
            )
            return None
        return connection


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def new_producer(bootstrap_servers: str, **security: Any) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        request_timeout_ms=30000,
        **security,
    )
