"""A Kafka outage longer than 45 s heals the outbox relay without a restart: every row is published once, each
key's rows in order.

The broker is a throwaway one of this test's own, on free ports (the shared broker on 9092 serves everyone else);
the outbox is a copy of review's in the shared test database.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from uuid import uuid4

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from prometheus_client import REGISTRY
from sqlalchemy import text

from cme_runtime.db import create_engine
from cme_runtime.relay import HealingProducer, OutboxRelay, RelayTarget, asyncpg_dsn, new_producer
from cme_runtime.settings import ServiceSettings
from tests.support.consuming import read_all
from tests.support.infrastructure import Infrastructure
from tests.support.throwaway import ThrowawayKafka, throwaway_kafka
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

KEYS = [f"child-{n}" for n in range(5)]
OUTAGE_SECONDS = 50
TOPIC = "cme.relayfault.v1"


@pytest.fixture(scope="module")
def broker() -> Iterator[ThrowawayKafka]:
    with throwaway_kafka() as started:
        yield started


def recoveries() -> float:
    return (
        REGISTRY.get_sample_value("cme_outbox_relay_recoveries_total", {"service": "review", "what": "producer"}) or 0
    )


async def test_the_relay_heals_after_a_long_kafka_outage_and_publishes_every_row_once_in_order(
    migrated: Infrastructure, broker: ThrowawayKafka
) -> None:
    settings = ServiceSettings(service_name="review", DATABASE_URL=migrated.database_url)
    engine = create_engine(settings)
    table = f"outbox_fault_{uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(TOPIC, 3, 1)])
    await admin.close()
    async with engine.begin() as connection:
        await connection.execute(text(f"CREATE TABLE {table} (LIKE outbox INCLUDING ALL)"))
    position = 0

    async def add_rows(per_key: int) -> None:
        nonlocal position
        async with engine.begin() as connection:
            for _ in range(per_key):
                for key in KEYS:
                    await connection.execute(
                        text(
                            f"INSERT INTO {table} (id, aggregatetype, aggregateid, type, source, payload) "
                            "VALUES (:id, :topic, :key, 'cme.review.decided.v1', '/tests', CAST(:payload AS jsonb))"
                        ),
                        {"id": uuid4(), "topic": TOPIC, "key": key, "payload": json.dumps({"key": key, "n": position})},
                    )
                position += 1

    async def remaining() -> int:
        async with engine.connect() as connection:
            return int((await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())

    producer = HealingProducer(lambda: new_producer(broker.bootstrap))
    relay = OutboxRelay(RelayTarget("review", engine, asyncpg_dsn(settings.database_url), "", table), producer, 20)
    stopping = asyncio.Event()
    running = asyncio.create_task(relay.run(stopping))
    try:
        await add_rows(10)
        await eventually(lambda: _equals(remaining, 0), what="the first rows relayed")
        broker.stop()
        try:
            # Rows keep arriving while the broker is away: the relay tries, fails, and must not give up.
            for _ in range(5):
                await add_rows(10)
                await asyncio.sleep(OUTAGE_SECONDS / 5)
        finally:
            broker.start()
        await eventually(lambda: _equals(remaining, 0), timeout=120, what="every row relayed after the outage")
        assert not running.done(), "the relay stopped instead of healing"
    finally:
        stopping.set()
        await asyncio.wait_for(running, timeout=30)
        await producer.stop()
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP TABLE {table}"))
        await engine.dispose()

    records = await read_all(broker.bootstrap, TOPIC)
    ids = [record.headers["ce_id"] for record in records]
    assert len(ids) == len(set(ids)) == position * len(KEYS)
    for key in KEYS:
        order = [json.loads(r.value)["n"] for r in sorted(records, key=lambda r: r.offset) if r.key == key.encode()]
        assert order == list(range(position))


async def test_a_producer_left_unusable_is_replaced_and_its_unconfirmed_rows_sent_again(
    migrated: Infrastructure,
) -> None:
    """What a long outage can do to an idempotent producer (OutOfOrderSequenceNumber, fenced, closed) leaves it
    failing every send for good; here it is closed under the relay, which must replace it and carry on."""
    settings = ServiceSettings(service_name="review", DATABASE_URL=migrated.database_url)
    engine = create_engine(settings)
    table = f"outbox_fault_{uuid4().hex[:8]}"
    topic = f"t{uuid4().hex[:8]}.{TOPIC}"
    admin = AIOKafkaAdminClient(bootstrap_servers=migrated.kafka_bootstrap_servers)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 3, 1)])
    await admin.close()
    async with engine.begin() as connection:
        await connection.execute(text(f"CREATE TABLE {table} (LIKE outbox INCLUDING ALL)"))
        for n in range(3):
            for key in KEYS:
                await connection.execute(
                    text(
                        f"INSERT INTO {table} (id, aggregatetype, aggregateid, type, source, payload) "
                        "VALUES (:id, :topic, :key, 'cme.review.decided.v1', '/tests', CAST(:payload AS jsonb))"
                    ),
                    {"id": uuid4(), "topic": topic, "key": key, "payload": json.dumps({"key": key, "n": n})},
                )
    recovered_before = recoveries()
    producer = HealingProducer(lambda: new_producer(migrated.kafka_bootstrap_servers))
    broken, _ = await producer.get()
    await broken.stop()  # every send on it now fails
    relay = OutboxRelay(
        RelayTarget("review", engine, asyncpg_dsn(settings.database_url), "", table),
        producer,
        50,
        send_timeout_seconds=5,
    )
    stopping = asyncio.Event()
    running = asyncio.create_task(relay.run(stopping))

    async def remaining() -> int:
        async with engine.connect() as connection:
            return int((await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())

    try:
        await eventually(lambda: _equals(remaining, 0), timeout=60, what="every row relayed by a new producer")
    finally:
        stopping.set()
        await asyncio.wait_for(running, timeout=30)
        await producer.stop()
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP TABLE {table}"))
        await engine.dispose()
    records = await read_all(migrated.kafka_bootstrap_servers, topic)
    assert len(records) == len({r.headers["ce_id"] for r in records}) == 3 * len(KEYS)
    for key in KEYS:
        order = [json.loads(r.value)["n"] for r in sorted(records, key=lambda r: r.offset) if r.key == key.encode()]
        assert order == [0, 1, 2]
    assert recoveries() == recovered_before + 1


async def _equals(count: Callable[[], Awaitable[int]], wanted: int) -> bool:
    try:
        return await count() == wanted
    except Exception:
        return False
