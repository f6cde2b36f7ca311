"""Issue 13: the fault matrix, short form (one seed). A stream of leaver returns runs through the real suite while,
one after another: intake, the outbox relay and casework are killed with SIGKILL and restarted; a second triage
joins the group and the first is frozen (SIGSTOP) past its session timeout, so the group rebalances under load,
then thawed; a second casework joins and the first is killed mid-stream; a poison message is put on the leaver
topic. Then the history must hold: every submission became one referral, decided once by triage; every child has
one case, holding every return about it in the order they were sent; the outboxes drain; the dead-letter topic
holds the poison and nothing else of this stream.

Kafka and PostgreSQL outages have their own tests (tests/faults: they need a broker and a database of their own to
stop). `CME_FAULT_SEED` picks the seed; the long run (20 seeds) is `bench/fault_matrix.sh` (docs/reliability.md).
Every person here is invented.
"""

import asyncio
import os
import random
import signal
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import asyncpg
import pytest

from contracts import topics
from contracts.envelope import new_attributes
from contracts.events.intake_v1 import LeaverSubmitted
from tests.support.kafka import publish_event, publish_raw, read_until
from tests.support.submissions import leaver
from tests.support.suite import RunningSuite, free_port
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

SEED = int(os.environ.get("CME_FAULT_SEED", "1"))
CHILDREN = 240
SECOND_RETURNS = 40  # children with a second return, sent after the first: its case must take both, in order
PUBLISHING_RATE = 25.0  # a second; the stream lasts long enough for every fault to land inside it
# The consumer session times out after 10 s (aiokafka's default): a frozen consumer is then out of the group.
FROZEN_SECONDS = 14


def start_replica(suite: RunningSuite, service: str) -> str:
    """A second process of `service` in the same consumer group, as KEDA would scale it."""
    name = f"{service}-2"
    spec = suite.supervisor.specs[service]
    port = free_port()
    suite.supervisor.specs[name] = replace(spec, name=name, port=port, env={**spec.env, "CME_HTTP_PORT": str(port)})
    suite.supervisor.start(name)
    suite.supervisor.wait_ready([name])
    return name


async def triaged(db: dict[str, asyncpg.Connection], submission_ids: list[str]) -> int:
    return int(await db["triage"].fetchval(
        "SELECT count(*) FROM decisions d JOIN (SELECT unnest($1::uuid[]) AS referral_id) r USING (referral_id)",
        await referral_ids(db, submission_ids)))


async def referral_ids(db: dict[str, asyncpg.Connection], submission_ids: list[str]) -> list[Any]:
    rows = await db["intake"].fetch("SELECT referral_id FROM referrals WHERE submission_id = ANY($1)", submission_ids)
    return [row["referral_id"] for row in rows]


async def until_triaged(
    db: dict[str, asyncpg.Connection], submission_ids: list[str], at_least: int, publishing: "asyncio.Task[None]"
) -> None:
    async def enough() -> int | None:
        if publishing.done() and publishing.exception() is not None:
            # The stream stopped: say so, rather than wait out the timeout and blame the suite.
            raise RuntimeError("publishing the stream failed") from publishing.exception()
        count = await triaged(db, submission_ids)
        return count if count >= at_least else None

    await eventually(enough, timeout=240, interval=0.5, what=f"{at_least} referrals triaged")


async def test_the_suite_loses_and_duplicates_nothing_through_kills_freezes_rebalances_and_poison(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    rng = random.Random(SEED)
    firsts = [leaver() for _ in range(CHILDREN)]
    seconds = [
        leaver(child=first["child"], safeguarding={"child_protection_plan": True})
        for first in rng.sample(firsts, SECOND_RETURNS)
    ]
    stream = [*firsts]
    for second in seconds:  # each second return somewhere after its first
        first_at = next(i for i, each in enumerate(stream) if each["child"] == second["child"])
        stream.insert(rng.randint(first_at + 1, len(stream)), second)
    submission_ids = [each["submission_id"] for each in stream]
    topic = suite.topic(topics.INTAKE_LEAVER)

    async def publish_stream() -> None:
        for submission in stream:
            await publish_event(suite.kafka, topic, LeaverSubmitted.model_validate(submission),
                                key=submission["submission_id"])
            await asyncio.sleep(1 / PUBLISHING_RATE)

    publishing = asyncio.create_task(publish_stream())
    replicas: list[str] = []

    async def kill_and_restart(service: str) -> None:
        suite.supervisor.kill(service)
        suite.restart(service)

    async def freeze_triage_in_a_rebalance() -> None:
        replicas.append(start_replica(suite, "triage"))
        suite.supervisor.signal("triage", signal.SIGSTOP)
        await asyncio.sleep(FROZEN_SECONDS)
        suite.supervisor.signal("triage", signal.SIGCONT)

    async def kill_casework_beside_its_replica() -> None:
        replicas.append(start_replica(suite, "casework"))
        await kill_and_restart("casework")

    async def poison() -> None:
        poisoned = LeaverSubmitted.model_validate(leaver())
        attributes = new_attributes(poisoned, source="/tests/faults", subject="fault-poison")
        await publish_raw(suite.kafka, topic, b'{"submission_type": "leaver", "child": ', attributes.to_headers(),
                          b"fault-poison")

    faults: list[tuple[str, Callable[[], Awaitable[None]]]] = [
        ("intake killed", lambda: kill_and_restart("intake")),
        ("relay killed", lambda: kill_and_restart("relay")),
        ("casework killed", lambda: kill_and_restart("casework")),
        ("triage frozen past its session, a replica takes over", freeze_triage_in_a_rebalance),
        ("casework killed beside its replica", kill_casework_beside_its_replica),
        ("poison on the leaver topic", poison),
    ]
    rng.shuffle(faults)
    try:
        for step, (_, fault) in enumerate(faults, start=1):
            await until_triaged(db, submission_ids, step * len(stream) // (len(faults) + 2), publishing)
            await fault()
        await publishing

        async def all_cased() -> bool:
            known = await referral_ids(db, submission_ids)
            attached = await db["casework"].fetchval(
                "SELECT count(*) FROM case_referrals WHERE referral_id = ANY($1::uuid[])", known)
            return len(known) == len(stream) and attached == len(stream)

        await eventually(all_cased, timeout=300, interval=1, what="every return attached to a case")
    finally:
        publishing.cancel()
        for name in replicas:
            suite.supervisor.stop(name)
            del suite.supervisor.specs[name]
        for service in ("intake", "triage", "casework", "relay"):
            if not suite.supervisor.is_running(service):
                suite.restart(service)
            suite.supervisor.signal(service, signal.SIGCONT)

    applied = [name for name, _ in faults]
    # One referral per submission, each decided once.
    assert await db["intake"].fetchval(
        "SELECT count(*) FROM referrals WHERE submission_id = ANY($1)", submission_ids) == len(stream), applied
    known = await referral_ids(db, submission_ids)
    per_referral = await db["triage"].fetch(
        "SELECT referral_id, count(*) AS decisions FROM decisions WHERE referral_id = ANY($1::uuid[]) "
        "GROUP BY referral_id", known)
    assert len(per_referral) == len(stream) and {row["decisions"] for row in per_referral} == {1}, applied
    # One case per child, holding its returns in the order intake turned them into referrals (the submissions
    # travel keyed by submission, so that is the first point where one child's returns have an order).
    cases = await db["casework"].fetch(
        "SELECT c.child_id, c.case_id, array_agg(cr.referral_id ORDER BY cr.attached_at) AS referrals "
        "FROM case_referrals cr JOIN cases c USING (case_id) WHERE cr.referral_id = ANY($1::uuid[]) "
        "GROUP BY c.child_id, c.case_id", known)
    assert len(cases) == CHILDREN and len({row["child_id"] for row in cases}) == CHILDREN, applied
    received = await db["intake"].fetch(
        "SELECT referral_id FROM referrals WHERE submission_id = ANY($1) ORDER BY received_at, referral_id",
        submission_ids)
    position = {row["referral_id"]: index for index, row in enumerate(received)}
    for row in cases:
        order = [position[referral] for referral in row["referrals"]]
        assert order == sorted(order), f"a child's returns applied out of order after {applied}"
    assert sum(len(row["referrals"]) == 2 for row in cases) == SECOND_RETURNS

    # The outboxes drain (this suite's rows: the database is shared with in-process tests and other runs).
    async def drained() -> bool:
        for service in ("intake", "triage", "casework", "review", "notify"):
            if await db[service].fetchval(
                "SELECT count(*) FROM outbox WHERE aggregatetype LIKE $1", suite.topic_prefix + "%"
            ):
                return False
        return True

    await eventually(drained, timeout=120, what="every outbox empty")

    # Of this stream, only the poison was dead-lettered.
    ours = {each.encode() for each in submission_ids} | {b"fault-poison"}
    dead = await read_until(suite.kafka, suite.topic(topics.DEAD_LETTER),
                            lambda records: any(record.key == b"fault-poison" for record in records))
    assert [record.key for record in dead if record.key in ours] == [b"fault-poison"], applied

