"""A real consumer (cme_runtime.messaging.Consumers on a real broker and database) run inside a test."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker
from sqlalchemy import MetaData

from cme_cli.dlq import topic_partitions
from cme_runtime.db import create_engine, create_session_factory
from cme_runtime.inbox import Inbox
from cme_runtime.messaging import Consumers, Handler
from cme_runtime.settings import ServiceSettings
from cme_runtime.tables import inbox_table
from contracts.base import Event
from tests.support.kafka import Record


def consumer_settings(database_url: str, bootstrap: str, **overrides: Any) -> ServiceSettings:
    """Review's role and schema, with topics and a consumer group of the test's own."""
    values: dict[str, Any] = {
        "service_name": "review",
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "topic_prefix": f"t{uuid4().hex[:8]}.",
        "consumer_group_prefix": f"test-{uuid4().hex[:8]}",
        "retry_backoff_max_seconds": 2.0,
    }
    return ServiceSettings(**(values | overrides))


@asynccontextmanager
async def running_consumer(
    settings: ServiceSettings, topic: str, accepts: Sequence[type[Event]], handler: Handler
) -> AsyncIterator[Consumers]:
    engine = create_engine(settings)
    broker = KafkaBroker(settings.kafka_bootstrap_servers)
    consumers = Consumers(
        settings, broker, create_session_factory(engine), Inbox(inbox_table(MetaData()), settings.consumer_group)
    )
    consumers.subscribe(topic, accepts, handler)
    await broker.start()
    try:
        yield consumers
    finally:
        await broker.stop()
        await engine.dispose()


async def read_all(bootstrap: str, topic: str) -> list[Record]:
    """Every record on `topic` up to its current end (an empty list for an empty or missing topic)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    records: list[Record] = []
    try:
        partitions = await topic_partitions(bootstrap, topic)
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            for tp, batch in (await consumer.getmany(*remaining, timeout_ms=1000)).items():
                records.extend(
                    Record(
                        r.topic,
                        r.key,
                        r.value,
                        {k: (v or b"").decode(errors="replace") for k, v in r.headers},
                        r.offset,
                    )
                    for r in batch
                )
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return records
