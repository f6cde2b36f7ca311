"""Intake's child register against the real PostgreSQL: matching, the review queue, merges and families.

Each test works inside a transaction that is rolled back, with invented people whose names are unique to the
test, so tests neither see nor leave each other's children."""

import random
import string
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cme_runtime.db import create_engine, create_session_factory
from services.intake.adapters.register import ChildRegister, Conflict, NotFound
from services.intake.adapters.tables import child_addresses, children, families, merges
from services.intake.domain.identity import PersonRecord, blocking_keys
from services.intake.settings import IntakeSettings
from tests.support.infrastructure import Infrastructure
from tests.support.submissions import valid_upn

pytestmark = pytest.mark.integration

_rng = random.Random()


def surname() -> str:
    # Random letters throughout: names are compared as letters (digits are dropped) and by similarity, so a
    # shared prefix would make them alike.
    return "".join(_rng.choices(string.ascii_lowercase, k=12)).title()


def address_line() -> str:
    """An address no other test uses: children at one address are linked as a family."""
    return f"{_rng.randint(1, 999)} {''.join(_rng.choices(string.ascii_lowercase, k=10)).title()} Close"


def postcode() -> str:
    inward_letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"WR{_rng.randint(1, 15)} {_rng.randint(1, 9)}{''.join(_rng.choices(inward_letters, k=2))}"


def person(**overrides: Any) -> PersonRecord:
    """An invented child whose name, birthday and address no other test shares."""
    record = PersonRecord(
        given_name="Isla",
        family_name=surname(),
        date_of_birth=date(2012, 9, 1) + timedelta(days=_rng.randint(0, 7 * 365)),
        sex="F",
        postcode=postcode(),
        address_line=address_line(),
    )
    return replace(record, **overrides)


def middle_name_pair() -> tuple[PersonRecord, PersonRecord]:
    """One child recorded under her middle name and then under her first name: an uncertain match."""
    known_as_grace = person(given_name="Grace", middle_names="Isla Grace")
    return known_as_grace, replace(known_as_grace, given_name="Isla", middle_names="Grace")


@pytest.fixture
async def session(migrated: Infrastructure) -> AsyncIterator[AsyncSession]:
    engine = create_engine(IntakeSettings(DATABASE_URL=migrated.database_url))
    async with create_session_factory(engine)() as session:
        await session.begin()
        try:
            yield session
        finally:
            await session.rollback()
    await engine.dispose()


register = ChildRegister()


async def resolve(session: AsyncSession, record: PersonRecord) -> Any:
    submission_id = f"register-test-{uuid4().hex}"
    return await register.resolve(session, record, submission_id=submission_id, referral_id=uuid4())


async def child_row(session: AsyncSession, child_id: UUID) -> dict[str, Any]:
    row = (await session.execute(select(children).where(children.c.child_id == child_id))).mappings().one()
    return dict(row)


async def test_the_same_child_by_upn_is_one_record_and_a_new_upn_keeps_the_old_one_as_former(
    session: AsyncSession,
) -> None:
    first_upn, second_upn = valid_upn(), valid_upn()
    known = person(upn=first_upn)
    first = await resolve(session, known)
    record = replace(known, given_name="Maisie")

    again = await resolve(session, record)
    moved_school = await resolve(session, replace(record, upn=second_upn, former_upns=(first_upn,)))

    assert first.decision == "new_child"
    assert (again.decision, again.child_id) == ("matched_existing", first.child_id)
    assert (moved_school.decision, moved_school.child_id) == ("matched_existing", first.child_id)
    stored = await child_row(session, first.child_id)
    assert (stored["upn"], stored["former_upns"]) == (second_upn, [first_upn])
    assert stored["given_name"] == "Isla"


async def test_a_match_without_identifiers_carries_a_score_and_reasons_an_officer_can_read(
    session: AsyncSession,
) -> None:
    record = person(nhs_number=None)
    first = await resolve(session, record)

    again = await resolve(session, replace(record, given_name="ISLA", address_line="42, Owl Cl"))

    assert (again.decision, again.child_id) == ("matched_existing", first.child_id)
    assert again.score is not None
    assert float(again.score) >= 0.97
    assert again.reasons
    assert all(record.family_name.lower() not in reason.lower() for reason in again.reasons)


async def test_a_new_address_is_recorded_and_the_old_one_kept_and_still_matched(session: AsyncSession) -> None:
    record = person(upn=valid_upn())
    first = await resolve(session, record)
    moved = replace(record, upn=None, postcode=postcode(), address_line=address_line())

    after_move = await resolve(session, moved)

    assert after_move.child_id == first.child_id
    stored = await child_row(session, first.child_id)
    assert (stored["postcode"], stored["address_line"]) == (moved.postcode, moved.address_line)
    history = (
        (
            await session.execute(
                select(child_addresses)
                .where(child_addresses.c.child_id == first.child_id)
                .order_by(child_addresses.c.recorded_at, child_addresses.c.superseded_at.nulls_last())
            )
        )
        .mappings()
        .all()
    )
    assert [(row["postcode"], row["superseded_at"] is None) for row in history] == [
        (record.postcode, False),
        (moved.postcode, True),
    ]
    # A later form from someone who only knew the old address still finds the child.
    assert (await resolve(session, replace(record, upn=None, sex=None))).child_id == first.child_id


async def test_an_uncertain_match_goes_ahead_with_a_provisional_child_and_a_review_for_an_officer(
    session: AsyncSession,
) -> None:
    known, uncertain_record = middle_name_pair()
    existing = await resolve(session, known)

    uncertain = await resolve(session, uncertain_record)

    assert uncertain.decision == "needs_review"
    assert uncertain.child_id != existing.child_id
    assert uncertain.review_id is not None
    review = await register.review(session, uncertain.review_id)
    assert (review.kind, review.status) == ("uncertain_match", "open")
    assert (review.child_id, review.proposed_child_id) == (uncertain.child_id, existing.child_id)
    assert [alternative.child_id for alternative in review.alternatives] == [existing.child_id]
    assert 0.5 <= review.alternatives[0].score < 0.97
    assert review.alternatives[0].reasons
    assert existing.child_id not in uncertain.sibling_child_ids


async def test_confirming_an_uncertain_match_merges_the_provisional_child_into_the_existing_one(
    session: AsyncSession,
) -> None:
    known, uncertain_record = middle_name_pair()
    existing = await resolve(session, known)
    uncertain = await resolve(session, uncertain_record)
    assert uncertain.review_id is not None

    decided = await register.decide_review(
        session, uncertain.review_id, confirm=True, decided_by="officer-7", reason=None
    )
    later = await resolve(session, uncertain_record)

    assert (decided.status, decided.decided_by) == ("confirmed", "officer-7")
    assert decided.merge_id is not None
    assert await register.current_child_ids(session, [uncertain.child_id]) == {uncertain.child_id: existing.child_id}
    assert (later.decision, later.child_id) == ("matched_existing", existing.child_id)
    with pytest.raises(Conflict):
        await register.decide_review(session, uncertain.review_id, confirm=False, decided_by="officer-7", reason=None)


async def test_rejecting_a_review_keeps_both_children(session: AsyncSession) -> None:
    known, uncertain_record = middle_name_pair()
    existing = await resolve(session, known)
    uncertain = await resolve(session, uncertain_record)
    assert uncertain.review_id is not None

    decided = await register.decide_review(
        session, uncertain.review_id, confirm=False, decided_by="officer-7", reason="Different school histories"
    )

    assert (decided.status, decided.merge_id) == ("rejected", None)
    assert await register.current_child_ids(session, [uncertain.child_id, existing.child_id]) == {
        uncertain.child_id: uncertain.child_id,
        existing.child_id: existing.child_id,
    }


async def register_twice(session: AsyncSession, record: PersonRecord) -> tuple[UUID, UUID]:
    """Two entries for one child, as a register loaded from an older system may hold. Resolution never makes
    these itself, so the test reaches past it."""
    keys = sorted(blocking_keys(record))
    entries = []
    for source in ("legacy-1", "legacy-2"):
        child_id = await register._add_child(session, record, source)
        await register._index(session, child_id, keys)
        entries.append(child_id)
    return entries[0], entries[1]


async def test_a_register_holding_one_child_twice_raises_one_possible_duplicate_review(
    session: AsyncSession,
) -> None:
    record = person(upn=None)
    first, second = await register_twice(session, record)

    matched = await resolve(session, record)
    again = await resolve(session, record)

    assert matched.decision == "matched_existing"
    assert matched.child_id in {first, second}
    assert matched.review_id is not None
    review = await register.review(session, matched.review_id)
    assert review.kind == "possible_duplicate"
    assert (review.child_id, {review.child_id, review.proposed_child_id}) == (matched.child_id, {first, second})
    assert review.alternatives[0].outcome == "match"
    assert again.child_id == matched.child_id
    assert again.review_id is None


async def test_an_unmerge_restores_both_children_exactly(session: AsyncSession) -> None:
    surviving = await resolve(session, person(upn=valid_upn()))
    merged = await resolve(session, person(upn=valid_upn(), given_name="Noah"))
    before = [await child_row(session, surviving.child_id), await child_row(session, merged.child_id)]

    merge = await register.merge(
        session, surviving.child_id, merged.child_id, reason="Same child, two records", decided_by="officer-7"
    )
    assert await register.current_child_ids(session, [merged.child_id]) == {merged.child_id: surviving.child_id}

    reversal = await register.unmerge(session, merge.merge_id, reason="Twins, not one child", decided_by="officer-9")

    assert reversal.reverses_merge_id == merge.merge_id
    assert await register.current_child_ids(session, [merged.child_id]) == {merged.child_id: merged.child_id}
    assert [await child_row(session, surviving.child_id), await child_row(session, merged.child_id)] == before
    recorded = (
        (
            await session.execute(
                select(merges.c.action, merges.c.decided_by)
                .where(merges.c.merged_child_id == merged.child_id)
                .order_by(merges.c.decided_at)
            )
        )
        .tuples()
        .all()
    )
    assert recorded == [("merge", "officer-7"), ("unmerge", "officer-9")]
    with pytest.raises(Conflict):
        await register.unmerge(session, merge.merge_id, reason="again", decided_by="officer-9")


async def test_merges_of_merges_are_followed_and_cycles_and_double_merges_refused(session: AsyncSession) -> None:
    first, second, third = [
        (await resolve(session, person(upn=valid_upn(), given_name=name))).child_id for name in ("Ava", "Mia", "Zoe")
    ]
    await register.merge(session, second, first, reason="same", decided_by="officer-7")
    await register.merge(session, third, second, reason="same", decided_by="officer-7")

    assert await register.current_child_ids(session, [first, second, third]) == {
        first: third,
        second: third,
        third: third,
    }
    with pytest.raises(Conflict):
        await register.merge(session, first, third, reason="cycle", decided_by="officer-7")
    with pytest.raises(Conflict):
        await register.merge(session, third, first, reason="twice", decided_by="officer-7")
    with pytest.raises(Conflict):
        await register.merge(session, first, first, reason="itself", decided_by="officer-7")
    with pytest.raises(NotFound):
        await register.merge(session, first, uuid4(), reason="unknown", decided_by="officer-7")
    with pytest.raises(NotFound):
        await register.unmerge(session, uuid4(), reason="unknown", decided_by="officer-7")


async def family_of(session: AsyncSession, child_id: UUID) -> set[UUID]:
    """The members of the child's family, as the `families` view lists them."""
    family = select(families.c.family_id).where(families.c.child_id == child_id).scalar_subquery()
    return set((await session.execute(select(families.c.child_id).where(families.c.family_id == family))).scalars())


async def test_siblings_at_one_address_are_one_family_until_one_is_merged_away(session: AsyncSession) -> None:
    home = person()
    older = await resolve(session, replace(home, given_name="Ava", date_of_birth=date(2013, 3, 1)))
    younger = await resolve(session, replace(home, given_name="Leo", sex="M", date_of_birth=date(2017, 9, 12)))
    elsewhere = await resolve(session, person(given_name="Leo"))

    assert younger.sibling_child_ids == (older.child_id,)
    assert await register.siblings(session, older.child_id) == (younger.child_id,)
    assert await register.siblings(session, elsewhere.child_id) == ()
    assert await family_of(session, older.child_id) == {older.child_id, younger.child_id}

    await register.merge(session, older.child_id, younger.child_id, reason="test", decided_by="officer-7")

    assert await register.siblings(session, older.child_id) == ()
    assert await family_of(session, older.child_id) == set()
