"""Batch consumption (`Consumers.subscribe(..., batch=True)`) keeps the per-message guarantees: every message ends
processed once, recognised as a true duplicate, or dead-lettered with its reason, while a batch takes one
transaction and one offset commit.

A real consumer on the real broker and database, with topics and a consumer group of the test's own. The messages
of each test are published (one key, so one partition and this order) before the consumer starts, so its first
poll returns them together as one batch.
"""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

import pytest
from faststream.kafka import KafkaBroker
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cme_cli.bootstrap import create_topics
from cme_runtime.db import create_engine, create_session_factory
from cme_runtime.inbox import Inbox
from cme_runtime.logging import configure_logging
from cme_runtime.messaging import Consumers, Handler
from cme_runtime.settings import ServiceSettings
from cme_runtime.tables import inbox_table
from contracts import topics
from contracts.base import Event
from contracts.envelope import CloudEventAttributes, new_attributes
from contracts.events.review_v1 import ReviewDecided
from tests.support.consuming import consumer_settings, read_all
from tests.support.events import review_event
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import Record, publish_raw
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

Message = tuple[CloudEventAttributes, bytes, list[tuple[str, bytes]]]


def message(subject: str | None = None) -> Message:
    event = review_event()
    attributes = new_attributes(event, source="/tests", subject=None)
    headers = attributes.to_headers()
    if subject is not None:
        headers.append(("ce_subject", subject.encode()))
    return attributes, event.model_dump_json().encode(), headers


@asynccontextmanager
async def batch_consumer(
    settings: ServiceSettings, accepts: Sequence[type[Event]], handler: Handler, before_batch: Any = None
) -> AsyncIterator[Consumers]:
    engine = create_engine(settings)
    broker = KafkaBroker(settings.kafka_bootstrap_servers)
    consumers = Consumers(
        settings, broker, create_session_factory(engine), Inbox(inbox_table(MetaData()), settings.consumer_group)
    )
    consumers.subscribe(
        topics.REVIEW_DECIDED, accepts, handler, batch=True, max_records=100, before_batch=before_batch
    )
    await broker.start()
    try:
        yield consumers
    finally:
        await broker.stop()
        await engine.dispose()


@asynccontextmanager
async def applied_table(settings: ServiceSettings) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A table of the test's own where the handler writes what it applied, and in which transaction."""
    engine = create_engine(settings)
    name = f"batch_applied_{uuid4().hex[:8]}"
    async with engine.begin() as connection:
        await connection.execute(text(f"CREATE TABLE {name} (event_id text NOT NULL, txid bigint NOT NULL)"))
    try:
        yield name, engine
    finally:
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP TABLE IF EXISTS {name}"))
        await engine.dispose()


async def applied_rows(engine: AsyncEngine, table: str) -> list[tuple[str, int]]:
    async with engine.connect() as connection:
        rows = await connection.execute(text(f"SELECT event_id, txid FROM {table}"))
        return [(str(event_id), int(txid)) for event_id, txid in rows.tuples()]


def applying(table: str, calls: list[str]) -> Handler:
    async def handler(session: AsyncSession, attributes: CloudEventAttributes, event: ReviewDecided) -> None:
        calls.append(attributes.id)
        # Like a service storing a submitted text: a NUL character reaches PostgreSQL, which refuses it (22021).
        await session.execute(text("SELECT CAST(:note AS text)"), {"note": attributes.subject or ""})
        await session.execute(
            text(f"INSERT INTO {table} (event_id, txid) VALUES (:id, txid_current())"), {"id": attributes.id}
        )

    return handler


async def publish(
    bootstrap: str, topic: str, key: bytes, messages: Sequence[tuple[bytes, list[tuple[str, bytes]]]]
) -> None:
    for value, headers in messages:
        await publish_raw(bootstrap, topic, value, headers, key)


async def review_decided_stream(
    migrated: Infrastructure, processing_attempts: int = 5
) -> tuple[str, ServiceSettings, str, bytes]:
    """The broker, consumer settings with topics and a group of the test's own, its review-decided topic, and a
    key of its own (one partition, so the messages keep their order)."""
    configure_logging("test")
    bootstrap = migrated.kafka_bootstrap_servers
    settings = consumer_settings(
        migrated.service_database_url("review"), bootstrap, processing_attempts=processing_attempts
    )
    await create_topics(bootstrap, settings.topic_prefix)
    return bootstrap, settings, settings.topic(topics.REVIEW_DECIDED), f"key-{uuid4().hex}".encode()


def reasons_by_id(records: list[Record]) -> dict[str, list[str]]:
    reasons: dict[str, list[str]] = {}
    for record in records:
        reasons.setdefault(record.headers["ce_id"], []).append(record.headers["dlq_reason"])
    return reasons


async def test_a_batch_is_one_transaction_and_recognises_duplicates_and_conflicts_within_it_and_across_batches(
    migrated: Infrastructure,
) -> None:
    bootstrap, settings, topic, key = await review_decided_stream(migrated)
    earlier, earlier_bytes, earlier_headers = message()
    first, first_bytes, first_headers = message()
    second, second_bytes, second_headers = message()
    _, other_bytes, _ = message()
    last, last_bytes, last_headers = message()
    calls: list[str] = []
    async with applied_table(settings) as (table, engine):
        # An earlier batch: the event the next batch repeats and reuses the id of.
        await publish(bootstrap, topic, key, [(earlier_bytes, earlier_headers)])
        async with batch_consumer(settings, [ReviewDecided], applying(table, calls)):
            await eventually(lambda: asyncio.sleep(0, earlier.id in calls), what="the earlier batch processed")
        await publish(
            bootstrap,
            topic,
            key,
            [
                (first_bytes, first_headers),
                (earlier_bytes, earlier_headers),  # a true duplicate of an earlier batch's event
                (other_bytes, earlier_headers),  # the earlier event's id, other content
                (first_bytes, first_headers),  # a true duplicate within the batch
                (second_bytes, second_headers),
                (other_bytes, first_headers),  # the batch's own first event's id, other content
                (last_bytes, last_headers),
            ],
        )
        async with batch_consumer(settings, [ReviewDecided], applying(table, calls)):
            await eventually(lambda: asyncio.sleep(0, last.id in calls), what="the batch processed")
        rows = await applied_rows(engine, table)

    dead = [r for r in await read_all(bootstrap, settings.topic(topics.DEAD_LETTER)) if r.headers["dlq_topic"] == topic]
    conflict = "conflict: this event id was already processed with different content"
    assert reasons_by_id(dead) == {earlier.id: [conflict], first.id: [conflict]}
    assert {r.headers["dlq_offset"] for r in dead} == {"3", "6"}  # the two messages with reused ids, nothing else
    # Each event applied exactly once; the duplicates and conflicts changed nothing.
    assert calls == [earlier.id, first.id, second.id, last.id]
    assert sorted(event_id for event_id, _ in rows) == sorted(calls)
    # The second batch's three events were applied in one transaction.
    by_id = dict(rows)
    assert by_id[first.id] == by_id[second.id] == by_id[last.id] != by_id[earlier.id]


async def test_before_batch_sees_the_batchs_first_deliveries_in_its_transaction_before_the_first_handler(
    migrated: Infrastructure,
) -> None:
    bootstrap, settings, topic, key = await review_decided_stream(migrated)
    earlier, earlier_bytes, earlier_headers = message()
    first, first_bytes, first_headers = message()
    second, second_bytes, second_headers = message()
    calls: list[str] = []
    prepared: list[tuple[list[str], int, int]] = []

    async def before_batch(session: AsyncSession, events: Sequence[ReviewDecided]) -> None:
        txid = int((await session.execute(text("SELECT txid_current()"))).scalar_one())
        prepared.append(([str(event.review_id) for event in events], txid, len(calls)))

    async with applied_table(settings) as (table, engine):
        await publish(bootstrap, topic, key, [(earlier_bytes, earlier_headers)])
        async with batch_consumer(settings, [ReviewDecided], applying(table, calls)):
            await eventually(lambda: asyncio.sleep(0, earlier.id in calls), what="the earlier batch processed")
        await publish(
            bootstrap,
            topic,
            key,
            [(first_bytes, first_headers), (earlier_bytes, earlier_headers), (second_bytes, second_headers)],
        )
        async with batch_consumer(settings, [ReviewDecided], applying(table, calls), before_batch):
            await eventually(lambda: asyncio.sleep(0, second.id in calls), what="the batch processed")
        rows = dict(await applied_rows(engine, table))

    review_ids = [str(ReviewDecided.model_validate_json(value).review_id) for value in (first_bytes, second_bytes)]
    # Once, with the two first deliveries (not the earlier batch's event again), before either was handled, in
    # the transaction that applied them.
    assert prepared == [(review_ids, rows[first.id], 1)]
    assert rows[first.id] == rows[second.id]


async def test_a_poison_message_in_the_middle_of_a_batch_is_dead_lettered_and_the_others_processed_once(
    migrated: Infrastructure,
) -> None:
    bootstrap, settings, topic, key = await review_decided_stream(migrated)
    before = [message() for _ in range(3)]
    poison = message(subject="child\x00note")
    unreadable = message()
    unreadable[2].append(("x-upstream-batch", b"\xff\xfe batch"))
    after = [message() for _ in range(3)]
    calls: list[str] = []
    async with applied_table(settings) as (table, engine):
        await publish(
            bootstrap, topic, key, [(value, headers) for _, value, headers in [*before, poison, unreadable, *after]]
        )
        async with batch_consumer(settings, [ReviewDecided], applying(table, calls)):
            await eventually(lambda: asyncio.sleep(0, after[-1][0].id in calls), what="the batch processed")
        rows = await applied_rows(engine, table)

    dead = [r for r in await read_all(bootstrap, settings.topic(topics.DEAD_LETTER)) if r.headers["dlq_topic"] == topic]
    assert reasons_by_id(dead) == {
        poison[0].id: ["poison: DBAPIError (SQLSTATE 22021)"],
        unreadable[0].id: ["header 'x-upstream-batch' is not UTF-8"],
    }
    good = [attributes.id for attributes, _, _ in [*before, *after]]
    # Every good message committed exactly once, in order, each alone once the batch had failed.
    assert [event_id for event_id, _ in rows] == good
    assert len({txid for _, txid in rows}) == len(good)
    # The batch was tried as one first (up to the poison message), then message by message: poison tried twice.
    assert calls == [*good[:3], poison[0].id, *good[:3], poison[0].id, *good[3:]]


async def test_a_batch_meeting_a_database_outage_waits_is_read_again_and_processed_once(
    migrated: Infrastructure,
) -> None:
    bootstrap, settings, topic, key = await review_decided_stream(migrated, processing_attempts=2)
    messages = [message() for _ in range(6)]
    ids = [attributes.id for attributes, _, _ in messages]
    calls: list[str] = []
    stalled_while_retrying: list[list[str]] = []
    holder: list[Consumers] = []

    async with applied_table(settings) as (table, engine):
        apply = applying(table, calls)

        async def handler(session: AsyncSession, attributes: CloudEventAttributes, event: ReviewDecided) -> None:
            if attributes.id == ids[3] and ids[3] not in calls:
                calls.append(attributes.id)
                # PostgreSQL drops the connection under the batch's open transaction, as in a restart (57P01).
                await session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
            if calls.count(ids[0]) == 1 and attributes.id == ids[0]:
                stalled_while_retrying.append(holder[0].stalled())
            await apply(session, attributes, event)

        await publish(bootstrap, topic, key, [(value, headers) for _, value, headers in messages])
        async with batch_consumer(settings, [ReviewDecided], handler) as consumers:
            holder.append(consumers)
            await eventually(lambda: asyncio.sleep(0, calls.count(ids[-1]) == 1), what="the batch processed")
            assert consumers.stalled() == []  # ready again once the batch got through
        rows = await applied_rows(engine, table)

    dead = [r for r in await read_all(bootstrap, settings.topic(topics.DEAD_LETTER)) if r.headers["dlq_topic"] == topic]
    assert dead == []  # an outage dead-letters nothing, even with processing_attempts=2
    # The first attempt's work was rolled back: every message committed exactly once, all in the retried batch.
    assert sorted(event_id for event_id, _ in rows) == sorted(ids)
    assert len({txid for _, txid in rows}) == 1
    assert calls == [*ids[:3], ids[3], *ids]
    # While the batch waited, the service reported its partition as not keeping up.
    assert len(stalled_while_retrying) == 1
    assert len(stalled_while_retrying[0]) == 1 and stalled_while_retrying[0][0].startswith(f"{topic}[")
