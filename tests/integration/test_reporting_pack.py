"""The reporting read model on real Kafka and PostgreSQL: a generated history goes through the topics into the
read model, and the weekly pack's numbers equal counts made independently from the history; a rebuild (drop the
read model, replay the topics) gives the same pack; the PDF's text carries the headline figures."""

import io
import time
from collections import Counter
from datetime import date, timedelta
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer
from pypdf import PdfReader
from sqlalchemy import func, select

from cme_cli.bootstrap import create_topics
from contracts.envelope import new_attributes
from services.reporting.adapters.tables import inbox
from services.reporting.app import build
from services.reporting.domain.pack import Pack, week_of
from services.reporting.entrypoints.cli import run_rebuild
from services.reporting.entrypoints.rendering import render_pdf
from services.reporting.settings import ReportingSettings
from tests.support.infrastructure import Infrastructure
from tests.support.pack_history import Published, expected_counts, generate

pytestmark = pytest.mark.integration

START = date(2025, 1, 6)
DAYS = 420


async def publish_all(bootstrap: str, prefix: str, published: list[Published]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for each in published:
            attributes = new_attributes(each.event, source="/tests/history", subject=each.key)
            await producer.send(
                prefix + each.topic, value=each.event.model_dump_json().encode(), key=each.key.encode(),
                headers=attributes.to_headers(),
            )
        await producer.flush()
    finally:
        await producer.stop()


def numbers(pack: Pack) -> dict[str, object]:
    return {
        "new_referrals": pack.new_referrals,
        "referrals_by_source": Counter(pack.referrals_by_source),
        "referrals_by_ground": Counter(pack.referrals_by_ground),
        "open_cases": pack.open_cases,
        "open_by_priority": Counter(pack.open_by_priority),
        "open_by_status": Counter(pack.open_by_status),
        "open_by_track": Counter(pack.open_by_track),
        "past_due": pack.past_due,
        "whereabouts_unknown": pack.whereabouts_unknown,
        "located": Counter({each.how: each.count for each in pack.located}),
        "closures_by_reason": Counter(pack.closures_by_reason),
        "escalations_by_kind": Counter(pack.escalations_by_kind),
        "agenda": sorted(item.child_name.split()[0] for item in pack.agenda),
    }


async def test_the_pack_from_the_topics_matches_independent_counts_and_a_rebuild_gives_the_same(
    migrated: Infrastructure,
) -> None:
    published, truths = generate(seed=10, children=400, start=START, days=DAYS)
    prefix = f"test-{uuid4().hex[:8]}."
    await create_topics(migrated.kafka_bootstrap_servers, prefix)
    settings = ReportingSettings(
        DATABASE_URL=migrated.database_url, KAFKA_BOOTSTRAP_SERVERS=migrated.kafka_bootstrap_servers,
        topic_prefix=prefix, consumer_group_prefix=f"test-{uuid4().hex[:8]}",
    )
    components = build(settings)
    runtime = components.runtime
    async with runtime.session_factory.begin() as tx:
        await components.projection.clear(tx)
    await publish_all(migrated.kafka_bootstrap_servers, prefix, published)

    # The live consumers: run until every event is in the inbox (bounded wait, no fixed sleep).
    await runtime.broker.start()
    try:
        deadline = time.monotonic() + 180
        applied = 0
        while applied < len(published):
            assert time.monotonic() < deadline, f"only {applied} of {len(published)} events applied"
            async with runtime.session_factory() as session:
                applied = (await session.execute(select(func.count()).select_from(inbox))).scalar_one()
            if applied < len(published):
                await runtime.broker.ping(timeout=1)
    finally:
        await runtime.broker.stop()

    meetings = Counter(week_of(t.meeting_date) for t in truths if t.meeting_date is not None)
    busiest = meetings.most_common(1)[0][0]
    weeks = [busiest, week_of(START + timedelta(days=90)), week_of(START + timedelta(days=300)),
             week_of(START + timedelta(days=DAYS + 30))]
    live: dict[date, Pack] = {}
    async with runtime.session_factory() as session:
        for week in weeks:
            live[week] = await components.packs.pack(session, week)
    for week in weeks:
        assert numbers(live[week]) == expected_counts(truths, week), week
    assert live[busiest].agenda, "the busiest meeting week has an agenda"
    assert live[weeks[1]].open_cases > 0 and live[weeks[1]].new_referrals > 0

    # Trend: each of the 52 weeks agrees with that week's own pack.
    trend = {each.week_start: each for each in live[weeks[2]].trend}
    for week in (weeks[2] - timedelta(weeks=51), weeks[2] - timedelta(weeks=20), weeks[2]):
        expected = expected_counts(truths, week)
        assert trend[week].new_referrals == expected["new_referrals"]
        assert trend[week].open_at_end == expected["open_cases"]
        assert trend[week].whereabouts_unknown_at_end == expected["whereabouts_unknown"]

    result = await run_rebuild(settings)
    assert result.applied == len(published)
    rebuilt_components = build(settings)
    try:
        async with rebuilt_components.runtime.session_factory() as session:
            for week in weeks:
                assert await rebuilt_components.packs.pack(session, week) == live[week]
    finally:
        await rebuilt_components.runtime.engine.dispose()
        await runtime.engine.dispose()

    pack = live[weeks[1]]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(pack))).pages)
    text = " ".join(text.split())
    assert f"Open cases at the end of the week {pack.open_cases}" in text
    assert f"New referrals {pack.new_referrals}" in text
    assert f"Whereabouts unknown {pack.whereabouts_unknown}" in text
    assert "Missing Mondays pack" in text
