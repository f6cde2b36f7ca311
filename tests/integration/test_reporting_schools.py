"""Schools' reporting habits, off-rolling signals and the DfE termly return on real Kafka and PostgreSQL: a generated
history with planted schools (tests/support/reporting_history.py) goes through the topics into reporting's read
model; the service layer flags the planted late and off-rolling schools and not the clean one, and the DfE CSV's
totals equal the history's ground truth on every census day. The internal API serves the same, behind its token."""

import asyncio
import csv
import io
import time
from datetime import date
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr
from sqlalchemy import func, select

from cme_cli.bootstrap import create_topics
from contracts.envelope import new_attributes
from services.reporting.adapters.tables import inbox
from services.reporting.app import build, create_app
from services.reporting.domain.schools import SignalKind
from services.reporting.entrypoints.cli import write_dfe_return
from services.reporting.service_layer.projection import CONSUMED
from services.reporting.settings import ReportingSettings
from tests.support.infrastructure import Infrastructure
from tests.support.reporting_history import History, generate_history

pytestmark = pytest.mark.integration

TOKEN = "schools-test-token"


async def publish_history(bootstrap: str, prefix: str, history: History) -> int:
    """Every event of the history on its topic; returns how many of them reporting consumes (the raw
    submissions go to topics it does not read, as they do in the suite)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    sent = 0
    try:
        for each in history.events():
            attributes = new_attributes(each.event, source="/tests/reporting-history", subject=each.key)
            await producer.send(
                prefix + type(each.event).topic, value=each.event.model_dump_json().encode(),
                key=each.key.encode(), headers=attributes.to_headers(),
            )
            sent += type(each.event) in CONSUMED
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def test_planted_schools_are_flagged_and_the_dfe_return_matches_the_truth(
    migrated: Infrastructure, tmp_path: Path
) -> None:
    history = generate_history(seed=7, schools=6, years=1, first_school_year=2024, returns_per_school_year=40)
    truth = history.truth
    prefix = f"test-{uuid4().hex[:8]}."
    await create_topics(migrated.kafka_bootstrap_servers, prefix)
    settings = ReportingSettings(
        DATABASE_URL=migrated.database_url, KAFKA_BOOTSTRAP_SERVERS=migrated.kafka_bootstrap_servers,
        topic_prefix=prefix, consumer_group_prefix=f"test-{uuid4().hex[:8]}",
        internal_api_token=SecretStr(TOKEN), la_code="885",
    )
    components = build(settings)
    runtime = components.runtime
    async with runtime.session_factory.begin() as tx:
        await components.projection.clear(tx)
    published = await publish_history(migrated.kafka_bootstrap_servers, prefix, history)

    await runtime.broker.start()
    try:
        deadline = time.monotonic() + 120
        applied = 0
        while applied < published:
            assert time.monotonic() < deadline, f"only {applied} of {published} events applied"
            async with runtime.session_factory() as session:
                applied = (await session.execute(select(func.count()).select_from(inbox))).scalar_one()
            if applied < published:
                await runtime.broker.ping(timeout=1)
    finally:
        await runtime.broker.stop()

    try:
        async with runtime.session_factory() as session:
            report = await components.schools.report(session, history.first, history.last)
            flagged = {entry.school_id: {s.kind.value for s in entry.signals} for entry in report.ranked}
            # Every school raises exactly the signals planted in it: the late and off-rolling schools theirs, the
            # clean and ordinary schools none.
            assert flagged == {school: set(kinds) for school, kinds in truth.expected_signals.items() if kinds}
            assert SignalKind.LATE_NEW_PUPIL_RETURNS.value in flagged[truth.late_school]
            off_rolling = report.schools[truth.off_rolling_school].signals
            assert {s.kind for s in off_rolling} == {
                SignalKind.EHE_LEAVERS_YEARS_10_11, SignalKind.LEAVERS_BEFORE_CENSUS
            }
            assert all(s.off_rolling and s.explanation for s in off_rolling)
            assert truth.clean_school not in flagged
            assert truth.clean_school in report.schools, "the clean school's returns are in the read model"

            # The per-school habits from the read model agree with the truth's counts for the school year.
            year = truth.year(truth.late_school, history.first.year)
            late_view = report.schools[truth.late_school]
            assert late_view.totals.joiners_late == year.joiners_late
            assert late_view.totals.joiners_on_time == year.joiners_on_time
            assert late_view.totals.rejected == year.rejected
            # Pupils other schools' joiner returns name as coming from the late school, with no leaver return.
            assert late_view.totals.deletions_without_return == year.deletions_without_return > 0

            for census, expected in truth.cme_on_census.items():
                dfe = await components.schools.dfe_return(session, census, "885")
                assert dfe.count("Total", "Total") == expected, census
    finally:
        await runtime.engine.dispose()

    # The internal API: the same figures as JSON and CSV, only with the token.
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://reporting") as client:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        period = {"first": history.first.isoformat(), "last": history.last.isoformat()}
        assert (await client.get("/internal/v1/schools", params=period)).status_code == 401
        listed = (await client.get("/internal/v1/schools", params=period, headers=auth)).json()
        assert truth.late_school in [entry["school_id"] for entry in listed["ranked"]]
        assert truth.clean_school not in [entry["school_id"] for entry in listed["ranked"]]
        page = (await client.get(f"/internal/v1/schools/{truth.off_rolling_school}", params=period, headers=auth))
        assert page.status_code == 200
        assert {s["kind"] for s in page.json()["signals"]} >= set(truth.expected_signals[truth.off_rolling_school])
        census = max(truth.cme_on_census)
        response = await client.get(f"/internal/v1/dfe-returns/{census.isoformat()}/csv", headers=auth)
        assert response.status_code == 200
        rows = list(csv.DictReader(io.StringIO(response.text)))
        total = next(r for r in rows if r["breakdown_topic"] == "Total")
        assert int(total["child_count"]) == truth.cme_on_census[census]
        assert total["new_la_code"] == "885"
        not_census = await client.get(f"/internal/v1/dfe-returns/{date(2025, 1, 17).isoformat()}/csv", headers=auth)
        assert not_census.status_code == 422
        assert "census day is 2025-01-16" in not_census.json()["detail"]

    # `cme report --census-date` writes the same CSV beside the pack (the CLI runs its own event loop).
    written = await asyncio.to_thread(write_dfe_return, settings, census, tmp_path)
    assert written.name == f"dfe-return-{census.isoformat()}.csv"
    assert written.read_bytes() == response.content
