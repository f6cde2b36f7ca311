"""Consumer plumbing against a real PostgreSQL (FastStream's in-memory broker carries the messages here)."""

from uuid import uuid4

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncSession

from cme_runtime.db import create_engine, create_session_factory
from cme_runtime.inbox import Inbox
from cme_runtime.logging import configure_logging
from cme_runtime.messaging import Consumers, ProcessingFailed
from cme_runtime.settings import ServiceSettings
from cme_runtime.tables import inbox_table
from contracts.envelope import CloudEventAttributes, new_attributes
from contracts.events.review_v1 import ReviewDecided
from tests.support.events import review_event
from tests.support.infrastructure import Infrastructure

pytestmark = pytest.mark.integration

SECRET = "Amelia Ashdown"



async def test_a_failing_handler_is_retried_without_its_error_text_reaching_logs_or_the_broker(
    migrated: Infrastructure, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("test")
    settings = ServiceSettings(service_name="review", DATABASE_URL=migrated.database_url, processing_attempts=3)
    engine = create_engine(settings)
    broker = KafkaBroker(migrated.kafka_bootstrap_servers)
    calls: list[str] = []

    async def handler(session: AsyncSession, attributes: CloudEventAttributes, event: ReviewDecided) -> None:
        calls.append(attributes.id)
        raise ValueError(f"Key (name)=({SECRET}) already exists")

    consumers = Consumers(
        settings,
        broker,
        create_session_factory(engine),
        Inbox(inbox_table(MetaData()), consumer=f"test-{uuid4().hex[:6]}"),
    )
    consumers.subscribe("test.topic.v1", [ReviewDecided], handler)
    event = review_event()
    attributes = new_attributes(event, source="/tests", subject=None)
    try:
        async with TestKafkaBroker(broker) as test_broker:
            with pytest.raises(ProcessingFailed) as raised:
                await test_broker.publish(
                    event.model_dump_json().encode(),
                    "test.topic.v1",
                    headers={name: value.decode() for name, value in attributes.to_headers()},
                )
    finally:
        await engine.dispose()

    assert str(raised.value) == "ValueError"
    assert calls == [attributes.id]
    logged = capsys.readouterr()
    assert SECRET not in logged.out + logged.err


async def test_the_inbox_makes_a_second_delivery_change_nothing(migrated: Infrastructure) -> None:
    settings = ServiceSettings(service_name="review", DATABASE_URL=migrated.database_url)
    engine = create_engine(settings)
    inbox = Inbox(inbox_table(MetaData()), consumer=f"test-{uuid4().hex[:6]}")
    event_id = str(uuid4())
    try:
        async with create_session_factory(engine).begin() as session:
            first = await inbox.first_delivery(session, event_id, "cme.review.decided.v1")
        async with create_session_factory(engine).begin() as session:
            second = await inbox.first_delivery(session, event_id, "cme.review.decided.v1")
        async with create_session_factory(engine).begin() as session:
            await session.execute(text("SELECT 1"))
            rolled_back_id = str(uuid4())
            await inbox.first_delivery(session, rolled_back_id, "cme.review.decided.v1")
            await session.rollback()
        async with create_session_factory(engine).begin() as session:
            after_rollback = await inbox.first_delivery(session, rolled_back_id, "cme.review.decided.v1")
    finally:
        await engine.dispose()
    assert (first, second, after_rollback) == (True, False, True)
