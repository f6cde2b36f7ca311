"""A PostgreSQL outage longer than the old retry budget (5 tries, about 6 s) loses nothing and dead-letters nothing:
the consumer waits it out, reports not ready meanwhile, and processes every message once when the database is back.

The database is a throwaway cluster of this test's own (the shared one serves everyone else); Kafka is the shared
broker, with topics of the test's own.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from cme_cli.bootstrap import create_topics, migrate_all
from cme_runtime.db import service_metadata
from cme_runtime.service import ServiceRuntime
from cme_runtime.tables import inbox_table, outbox_table
from contracts import topics
from contracts.envelope import CloudEventAttributes
from contracts.events.review_v1 import ReviewDecided
from tests.support.consuming import consumer_settings, read_all
from tests.support.events import review_event
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import publish_event
from tests.support.throwaway import ThrowawayPostgres, throwaway_postgres
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

MESSAGES = 40
OUTAGE_SECONDS = 25


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayPostgres]:
    with throwaway_postgres() as started:
        migrate_all(started.database_url)
        yield started



async def test_a_long_postgres_outage_loses_nothing_dead_letters_nothing_and_reports_not_ready(
    cluster: ThrowawayPostgres, infra: Infrastructure
) -> None:
    bootstrap = infra.kafka_bootstrap_servers
    settings = consumer_settings(cluster.database_url.replace("{service}", "review"), bootstrap, processing_attempts=5)
    await create_topics(bootstrap, settings.topic_prefix)
    metadata = service_metadata()
    outbox_table(metadata)
    inbox_table(metadata)
    runtime = ServiceRuntime(settings, metadata)
    async with runtime.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE applied (event_id text PRIMARY KEY)"))

    async def handler(session: AsyncSession, attributes: CloudEventAttributes, event: ReviewDecided) -> None:
        await session.execute(text("INSERT INTO applied (event_id) VALUES (:id)"), {"id": attributes.id})
        await asyncio.sleep(0.05)  # slow enough that messages are still waiting when the database goes

    runtime.consumers.subscribe(topics.REVIEW_DECIDED, [ReviewDecided], handler)
    app = runtime.http_app("fault test", "PostgreSQL outage")
    ids = [
        await publish_event(bootstrap, settings.topic(topics.REVIEW_DECIDED), review_event(), key=f"child-{n % 7}")
        for n in range(MESSAGES)
    ]

    async def applied() -> int:
        async with runtime.engine.connect() as connection:
            return int((await connection.execute(text("SELECT count(*) FROM applied"))).scalar_one())

    seen_not_ready: list[dict[str, object]] = []
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client,
    ):
        await eventually(lambda: _at_least(applied, 5), what="the first messages processed")
        cluster.stop()
        try:

            async def waiting_reported() -> bool:
                response = await client.get("/health/ready")
                if response.status_code == 503 and response.json()["checks"]["consumers"] is False:
                    seen_not_ready.append(response.json())
                    return True
                return False

            await eventually(waiting_reported, timeout=OUTAGE_SECONDS, what="not ready while waiting out the outage")
            # Keep the database away well past the old budget of 5 tries with backoff (about 6 s).
            await asyncio.sleep(OUTAGE_SECONDS)
        finally:
            cluster.start()
        await eventually(lambda: _at_least(applied, MESSAGES), timeout=90, what="every message processed")

        async def ready_again() -> bool:
            return (await client.get("/health/ready")).status_code == 200

        await eventually(ready_again, timeout=30, what="ready again")

    async with runtime.engine.connect() as connection:
        stored = set((await connection.execute(text("SELECT event_id FROM applied"))).scalars())
    await runtime.engine.dispose()
    assert stored == set(ids)
    assert seen_not_ready[0]["checks"] == {"database": False, "kafka": True, "consumers": False}
    assert await read_all(bootstrap, settings.topic(topics.DEAD_LETTER)) == []


async def _at_least(count: Callable[[], Awaitable[int]], wanted: int) -> bool:
    try:
        return await count() >= wanted
    except Exception:  # the database is away: not yet
        return False
