"""Intake's advisory locks on the real PostgreSQL: a transaction may lock as many keys as a term-start CTF file has
(tens of thousands) without filling PostgreSQL's shared lock table, and one key still makes a second transaction
wait for the first."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from services.intake.adapters.locks import SLOTS, LockKind, lock_keys
from tests.support.infrastructure import Infrastructure
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def engine(migrated: Infrastructure) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(migrated.service_database_url("intake"))
    try:
        yield engine
    finally:
        await engine.dispose()


async def advisory_locks_held(session: AsyncSession) -> int:
    held = await session.execute(
        text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted")
    )
    return int(held.scalar_one())


async def test_a_transaction_locks_a_term_start_files_worth_of_keys_within_a_bounded_number_of_locks(
    engine: AsyncEngine,
) -> None:
    # 100,000 keys: far beyond the ~20,000 locks this cluster's shared lock table holds, one lock a key.
    keys = [f"dob:2015-{index % 12 + 1:02d}|name:{index}" for index in range(100_000)]
    async with AsyncSession(engine) as session, session.begin():
        await lock_keys(session, LockKind.SUBMISSION, [f"submission-{index}" for index in range(500)])
        await lock_keys(session, LockKind.IDENTITY, keys)
        # Again, as resolving each child does: the slots are already held.
        await lock_keys(session, LockKind.IDENTITY, keys[:10])
        held = await advisory_locks_held(session)

    assert SLOTS < held <= 2 * SLOTS


async def test_a_key_held_by_one_transaction_makes_another_wait_until_it_ends(engine: AsyncEngine) -> None:
    async with AsyncSession(engine) as first, first.begin():
        await lock_keys(first, LockKind.IDENTITY, ["upn:A885123456789"])
        first_pid = (await first.execute(text("SELECT pg_backend_pid()"))).scalar_one()

        async def second_transaction() -> None:
            async with AsyncSession(engine) as second, second.begin():
                await lock_keys(second, LockKind.IDENTITY, ["name:unrelated", "upn:A885123456789"])

        waiting = asyncio.create_task(second_transaction())

        async def blocked_by_first() -> bool:
            async with engine.connect() as observer:
                blocking = await observer.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                        "AND :first = ANY(pg_blocking_pids(pid))"
                    ),
                    {"first": first_pid},
                )
                return int(blocking.scalar_one()) == 1

        await eventually(blocked_by_first, timeout=30, what="the second transaction waiting for the first")
        assert not waiting.done()
    await asyncio.wait_for(waiting, timeout=30)
