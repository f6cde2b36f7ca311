"""The outbox wakes the relay once per committed transaction, however many events the transaction added (a batch of
messages adds many), and again for each later transaction; an uncommitted transaction wakes nothing.

Real PostgreSQL: review's outbox table, a LISTEN connection of the test's own.
"""

import asyncio
from uuid import uuid4

import asyncpg
import pytest
from sqlalchemy import MetaData, delete

from cme_runtime.db import create_engine, create_session_factory
from cme_runtime.outbox import NOTIFY_CHANNEL, Outbox
from cme_runtime.tables import outbox_table
from tests.support.consuming import consumer_settings
from tests.support.events import review_event
from tests.support.infrastructure import Infrastructure
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


class _Abandoned(Exception):
    """Rolls the transaction back."""


async def test_one_notify_per_committed_transaction_however_many_events_it_added(migrated: Infrastructure) -> None:
    settings = consumer_settings(migrated.service_database_url("review"), migrated.kafka_bootstrap_servers)
    engine = create_engine(settings)
    table = outbox_table(MetaData())
    outbox = Outbox(table, source="/tests", schema=settings.schema_name)
    listener = await asyncpg.connect(settings.database_url.replace("postgresql+asyncpg://", "postgresql://"))
    received: list[str] = []
    await listener.add_listener(NOTIFY_CHANNEL, lambda *args: received.append(str(args[3])))
    added = []
    try:
        session_factory = create_session_factory(engine)
        async with session_factory() as session:
            async with session.begin():
                added += [await outbox.add(session, review_event(), key=f"child-{uuid4()}") for _ in range(5)]
            await eventually(lambda: asyncio.sleep(0, len(received) >= 1), what="the first transaction's NOTIFY")
            # The same session, a new transaction: it must wake the relay again.
            async with session.begin():
                added.append(await outbox.add(session, review_event(), key=f"child-{uuid4()}"))
            await eventually(lambda: asyncio.sleep(0, len(received) >= 2), what="the second transaction's NOTIFY")
            # Rolled back: neither its rows nor its NOTIFY exist. A round trip on the listener flushes what
            # PostgreSQL would have sent it.
            with pytest.raises(_Abandoned):
                async with session.begin():
                    await outbox.add(session, review_event(), key=f"child-{uuid4()}")
                    raise _Abandoned
            await listener.execute("SELECT 1")
        assert received == [settings.schema_name, settings.schema_name]
    finally:
        await listener.close()
        async with engine.begin() as connection:
            await connection.execute(delete(table).where(table.c.id.in_(added)))
        await engine.dispose()
