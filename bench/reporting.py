"""Benchmarks of the reporting service (issue 10): the weekly pack over 100,000 cases and five years, and how fast
the read model takes events from the topics beside bare baselines. Prints a Markdown section for
docs/performance.md (with the machine and its load average); nothing asserts on it.

Run it on a database of its own: it empties reporting's read model there.

    export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092
    export DATABASE_URL="$(scripts/postgres.sh create-db cme_bench_reporting | cut -d= -f2-)"
    uv run python bench/reporting.py                       # 100,000 cases; 20,000 events through Kafka
    uv run python bench/reporting.py --cases 10000 --events 4000   # a quick trial
"""

import argparse
import asyncio
import os
import platform
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cme_cli.bootstrap import create_topics
from cme_runtime.migrations import upgrade
from contracts.envelope import new_attributes
from services.reporting.adapters.tables import inbox
from services.reporting.app import MIGRATIONS, build
from services.reporting.domain.pack import week_of
from services.reporting.entrypoints.rendering import render_html, render_pdf
from services.reporting.settings import ReportingSettings
from tests.support.pack_history import generate

END = date(2026, 11, 30)
YEARS = 5
STATUSES = ("allocated", "enquiries", "outcome_recorded")
REASONS = ("registered_into_provision", "moved_to_other_la", "moved_abroad", "ehe_confirmed", "on_roll_not_cme")
KINDS = ("leaver", "absence", "professional_referral", "social_care_no_education", "la_enquiry", "joiner")


def _dsn(settings: ReportingSettings) -> str:
    return settings.database_url.replace("postgresql+asyncpg://", "postgresql://")


async def load_cases(settings: ReportingSettings, count: int, seed: int) -> dict[str, int]:
    """`count` fictional cases over five years straight into the read model's tables (COPY), as the consumers
    would leave them: about 85% closed, 20% whereabouts unknown at some time, 2 status changes each on average."""
    rng = random.Random(seed)
    start = datetime.combine(END - timedelta(days=365 * YEARS), datetime.min.time(), tzinfo=UTC)
    span = (END - start.date()).days * 86_400
    referral_rows, case_rows, change_rows, escalation_rows = [], [], [], []
    for number in range(count):
        opened = start + timedelta(seconds=rng.randrange(span))
        referral_id, case_id, child_id = uuid4(), uuid4(), uuid4()
        referral_rows.append((referral_id, child_id, rng.choice(KINDS), rng.choice(("9(1)(g)", "9(1)(h)", None)),
                              "8851234", opened - timedelta(hours=2)))
        unknown = opened if rng.random() < 0.2 else None
        closed = opened + timedelta(days=rng.randrange(5, 200)) if rng.random() < 0.85 else None
        located = (unknown + timedelta(days=rng.randrange(1, 60))) if unknown and rng.random() < 0.6 else None
        if closed and located and located > closed:
            located = None
        if closed and unknown and not located:
            closed = None if rng.random() < 0.5 else closed
        case_rows.append((case_id, child_id, referral_id, opened, rng.choice(("P1", "P2", "P3")),
                          rng.choice(("cme_enquiry", "exclusion_ap", "ehe")), (opened + timedelta(days=20)).date(),
                          f"Given{number}", "Family", date(2013, 1, 1), unknown, located, closed,
                          rng.choice(REASONS) if closed else None))
        at = opened
        for status in STATUSES[: rng.randrange(0, 4)]:
            at += timedelta(days=rng.randrange(1, 10))
            change_rows.append((str(uuid4()), case_id, at, status, status, rng.choice(("P1", "P2", "P3"))))
        if rng.random() < 0.1:
            escalation_rows.append((str(uuid4()), case_id, rng.choice(("fap", "sao", "s19", "missing_mondays")),
                                    opened + timedelta(days=rng.randrange(1, 30))))
    connection = await asyncpg.connect(_dsn(settings), server_settings={"search_path": settings.schema_name})
    try:
        for table in ("referrals", "cases", "case_changes", "escalations", "reviews", "triage_decisions", "inbox"):
            await connection.execute(f"TRUNCATE {table}")
        await connection.copy_records_to_table(
            "referrals", records=referral_rows,
            columns=["referral_id", "child_id", "kind", "ground", "school_id", "received_at"])
        await connection.copy_records_to_table(
            "cases", records=case_rows,
            columns=["case_id", "child_id", "referral_id", "opened_at", "priority", "track", "due_date", "given_name",
                     "family_name", "date_of_birth", "whereabouts_unknown_since", "located_at", "closed_at",
                     "close_reason"])
        await connection.copy_records_to_table(
            "case_changes", records=change_rows, columns=["event_id", "case_id", "at", "change", "status", "priority"])
        await connection.copy_records_to_table(
            "escalations", records=escalation_rows, columns=["event_id", "case_id", "kind", "escalated_at"])
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return {"cases": len(case_rows), "referrals": len(referral_rows), "changes": len(change_rows),
            "escalations": len(escalation_rows)}


async def time_pack(settings: ReportingSettings, runs: int) -> dict[str, float]:
    components = build(settings)
    week = week_of(END - timedelta(days=7))
    timings: dict[str, list[float]] = {"pack (read model to numbers)": [], "HTML with charts": [],
                                       "PDF (lays out that HTML again)": []}
    try:
        for _ in range(runs):
            began = time.perf_counter()
            async with components.runtime.session_factory() as session:
                pack = await components.packs.pack(session, week)
            timings["pack (read model to numbers)"].append(time.perf_counter() - began)
            began = time.perf_counter()
            render_html(pack)
            timings["HTML with charts"].append(time.perf_counter() - began)
            began = time.perf_counter()
            render_pdf(pack)
            timings["PDF (lays out that HTML again)"].append(time.perf_counter() - began)
    finally:
        await components.runtime.engine.dispose()
    print(f"open cases at the end of the week: {pack.open_cases}", file=sys.stderr)
    return {name: sorted(values)[len(values) // 2] for name, values in timings.items()}


async def consumption(settings: ReportingSettings, events: int) -> dict[str, float]:  # noqa: PLR0915
    """Events through the live batch consumers (Kafka -> inbox + read model) beside two bare baselines: reading the
    same topics with a plain consumer, and a plain executemany insert of as many rows."""
    children = max(1, events // 4)
    published, _ = generate(seed=7, children=children, start=date(2022, 1, 3), days=365 * 4)
    published = published[:events]
    prefix = f"bench-{uuid4().hex[:8]}."
    bootstrap = settings.kafka_bootstrap_servers
    await create_topics(bootstrap, prefix)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        for each in published:
            attributes = new_attributes(each.event, source="/bench", subject=each.key)
            await producer.send(prefix + each.topic, value=each.event.model_dump_json().encode(),
                                key=each.key.encode(), headers=attributes.to_headers())
        await producer.flush()
    finally:
        await producer.stop()
    topics = sorted({prefix + each.topic for each in published})

    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=f"bench-bare-{uuid4().hex[:6]}",
                                auto_offset_reset="earliest", enable_auto_commit=False, max_poll_records=500)
    await consumer.start()
    read, began = 0, None
    try:
        while read < len(published):
            batches = await consumer.getmany(timeout_ms=1000)
            if batches and began is None:
                began = time.perf_counter()
            read += sum(len(records) for records in batches.values())
        bare_kafka = time.perf_counter() - (began or time.perf_counter())
    finally:
        await consumer.stop()

    live = ReportingSettings(**{**settings.model_dump(), "topic_prefix": prefix,
                                "consumer_group_prefix": f"bench-{uuid4().hex[:6]}"})
    components = build(live)
    async with components.runtime.session_factory.begin() as tx:
        await components.projection.clear(tx)
    await components.runtime.broker.start()
    first, applied = None, 0
    try:
        while applied < len(published):
            async with components.runtime.session_factory() as session:
                applied = (await session.execute(select(func.count()).select_from(inbox))).scalar_one()
            if applied and first is None:
                first = time.perf_counter()
            await asyncio.sleep(0.2)
        consumers = time.perf_counter() - (first or time.perf_counter())
    finally:
        await components.runtime.broker.stop()
        await components.runtime.engine.dispose()

    connection = await asyncpg.connect(_dsn(settings))
    try:
        await connection.execute("CREATE TEMPORARY TABLE bare (event_id text PRIMARY KEY, type text, payload jsonb)")
        rows = [(str(UUID(int=index)), each.event.event_type, each.event.model_dump_json())
                for index, each in enumerate(published)]
        began = time.perf_counter()
        await connection.executemany("INSERT INTO bare VALUES ($1, $2, $3::jsonb)", rows)
        bare_insert = time.perf_counter() - began
    finally:
        await connection.close()
    return {"events": len(published), "read model (Kafka, batches of 500, inbox)": len(published) / consumers,
            "bare Kafka read, same topics": len(published) / max(bare_kafka, 1e-9),
            "bare executemany insert, same count": len(published) / bare_insert}


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    settings = ReportingSettings(log_level="WARNING")
    flow = await consumption(settings, arguments.events)
    loaded = await load_cases(settings, arguments.cases, seed=1)
    timings = await time_pack(settings, arguments.runs)
    load = os.getloadavg()
    print(f"Run {date.today().isoformat()} on {machine()}; load average {load[0]:.1f} {load[1]:.1f} "
          f"{load[2]:.1f} (1, 5, 15 min) at the end.")
    print()
    print(f"Pack for the week beginning {week_of(END - timedelta(days=7)):%d %B %Y}: {loaded['cases']:,} cases over "
          f"{YEARS} years ({loaded['referrals']:,} referrals, {loaded['changes']:,} status changes, "
          f"{loaded['escalations']:,} escalations); median of {arguments.runs} runs.")
    print()
    print("| Step | Median |\n| --- | ---: |")
    for name, seconds in timings.items():
        print(f"| {name} | {seconds:.2f} s |")
    numbers, pdf = timings["pack (read model to numbers)"], timings["PDF (lays out that HTML again)"]
    print(f"| **numbers and page** | **{numbers + timings['HTML with charts']:.2f} s** |")
    print(f"| **numbers and PDF** | **{numbers + pdf:.2f} s** |")
    print()
    print(f"Consumption: {flow['events']:,} generated events on 5 topics.")
    print()
    print("| Path | Events per second |\n| --- | ---: |")
    for name, rate in flow.items():
        if name != "events":
            print(f"| {name} | {rate:,.0f} |")


if __name__ == "__main__":
    upgrade(ReportingSettings(), MIGRATIONS)  # Alembic runs its own event loop: before ours
    asyncio.run(main())
