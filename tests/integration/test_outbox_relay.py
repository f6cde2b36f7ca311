"""The outbox relay against real Kafka and PostgreSQL: every row once, and each key's rows in order, even with
two relays racing over one outbox."""

import asyncio
import json
from uuid import uuid4

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import text

from cme_runtime.db import create_engine
from cme_runtime.relay import OutboxRelay, RelayTarget, asyncpg_dsn, new_producer
from cme_runtime.settings import ServiceSettings
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import Record, read_until

pytestmark = pytest.mark.integration

KEYS = [f"child-{n}" for n in range(6)]
PER_KEY = 15


async def test_two_relays_publish_every_row_once_in_per_key_order(migrated: Infrastructure) -> None:
    settings = ServiceSettings(service_name="review", DATABASE_URL=migrated.database_url)
    engine = create_engine(settings)
    table = f"outbox_test_{uuid4().hex[:8]}"
    prefix = f"relay{uuid4().hex[:6]}."
    topic = "cme.relaytest.v1"
    admin = AIOKafkaAdminClient(bootstrap_servers=migrated.kafka_bootstrap_servers)
    await admin.start()
    await admin.create_topics([NewTopic(prefix + topic, 3, 1)])
    await admin.close()
    async with engine.begin() as connection:
        await connection.execute(text(f"CREATE TABLE {table} (LIKE outbox INCLUDING ALL)"))
        for position in range(PER_KEY):
            for key in KEYS:
                await connection.execute(
                    text(
                        f"INSERT INTO {table} (id, aggregatetype, aggregateid, type, source, payload) "
                        "VALUES (:id, :topic, :key, 'cme.review.decided.v1', '/tests', CAST(:payload AS jsonb))"
                    ),
                    {
                        "id": uuid4(),
                        "topic": prefix + topic,
                        "key": key,
                        "payload": json.dumps({"key": key, "n": position}),
                    },
                )
        # A row another run wrote under its own prefix: these relays must leave it alone.
        await connection.execute(
            text(
                f"INSERT INTO {table} (id, aggregatetype, aggregateid, type, source, payload) "
                "VALUES (:id, :topic, 'child-other', 'cme.review.decided.v1', '/tests', '{}'::jsonb)"
            ),
            {"id": uuid4(), "topic": "elsewhere." + topic},
        )
    producers = [new_producer(migrated.kafka_bootstrap_servers) for _ in range(2)]
    target = RelayTarget("review", engine, asyncpg_dsn(settings.database_url), prefix, table)
    relays = [OutboxRelay(target, producer, batch_size=7) for producer in producers]
    try:
        for producer in producers:
            await producer.start()

        async def drain(relay: OutboxRelay) -> int:
            published = 0
            while (count := await relay.relay_once()) or await remaining() > 1:
                published += count
            return published

        async def remaining() -> int:
            async with engine.connect() as connection:
                return int((await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())

        counts = await asyncio.gather(*(drain(relay) for relay in relays))
        left = await remaining()
    finally:
        for producer in producers:
            await producer.stop()
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP TABLE {table}"))
        await engine.dispose()

    assert sum(counts) == len(KEYS) * PER_KEY
    assert left == 1, "the other run's row stays for its own relay"
    assert all(count > 0 for count in counts), "both relays should have taken a share"
    records = await read_until(
        migrated.kafka_bootstrap_servers, prefix + topic, lambda rs: len(rs) >= len(KEYS) * PER_KEY
    )
    assert len({r.headers["ce_id"] for r in records}) == len(records) == len(KEYS) * PER_KEY
    by_key: dict[str, list[Record]] = {}
    for record in records:
        by_key.setdefault(json.loads(record.value)["key"], []).append(record)
    for key, key_records in by_key.items():
        ordered = sorted(key_records, key=lambda r: r.offset)
        assert [json.loads(r.value)["n"] for r in ordered] == list(range(PER_KEY)), key
        assert {r.key for r in ordered} == {key.encode()}
