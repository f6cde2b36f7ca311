"""SQL statement spans are opt-in (CME_TRACE_SQL_STATEMENTS): a span per statement cost a fifth of each service's
CPU under load, so by default a service traces its requests and messages but not each statement.

Real PostgreSQL: review's schema, a `SELECT 1` through the runtime's own engine, spans kept in memory.
"""

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import MetaData, text

from cme_runtime.service import ServiceRuntime
from cme_runtime.tables import inbox_table, outbox_table
from tests.support.consuming import consumer_settings
from tests.support.infrastructure import Infrastructure

pytestmark = pytest.mark.integration


async def _statement_spans(migrated: Infrastructure, **overrides: object) -> list[str]:
    settings = consumer_settings(migrated.service_database_url("review"), migrated.kafka_bootstrap_servers, **overrides)
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    metadata = MetaData()
    outbox_table(metadata)
    inbox_table(metadata)
    runtime = ServiceRuntime(settings, metadata, tracer_provider=provider)
    try:
        async with runtime.engine.connect() as connection:
            assert await connection.scalar(text("SELECT 1")) == 1
    finally:
        await runtime.engine.dispose()
    return [span.name for span in exporter.get_finished_spans()]


async def test_a_service_opens_no_span_per_sql_statement_by_default(migrated: Infrastructure) -> None:
    assert await _statement_spans(migrated) == []


async def test_statement_spans_when_asked_for(migrated: Infrastructure) -> None:
    spans = await _statement_spans(migrated, trace_sql_statements=True)
    assert [name for name in spans if name.startswith("SELECT")], spans
