"""Triage's use cases against in-memory ports: decisions stored once and published, and joiner watches moved.

Every person and school here is invented.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from cme_runtime.testing import TRANSACTION, FixedClock, RecordingOutbox
from contracts.envelope import CloudEventAttributes, new_attributes
from contracts.events.common_v1 import Child, Destination, Safeguarding, School
from contracts.events.referral_v1 import LeavingGround, LegalSource, ReferralKind, ReferralReceived
from contracts.events.triage_v1 import Priority, Track, TriageDecided
from contracts.reference.school_days import SchoolCalendar
from services.triage.domain.rules import RuleOverrides
from services.triage.domain.watch import WatchStatus
from services.triage.service_layer.triage import ExpiryRun, TriageService
from services.triage.tests.fakes import FakeDecisionRepository, FakeWatchRepository

LEFT_ON = date(2025, 11, 3)  # a Monday
WATCH_DEADLINE = date(2025, 11, 17)  # 10 school days after leaving
NOW = datetime(2025, 11, 3, 16, 30, tzinfo=UTC)
LEAVING_SCHOOL = School(establishment_id="8852003", name="Tumbledown Lane Primary School (fictional)")
DESTINATION_SCHOOL = School(establishment_id="8852001", name="Larkspur Academy (fictional)")


@dataclass
class Triage:
    service: TriageService
    outbox: RecordingOutbox
    decisions: FakeDecisionRepository
    watches: FakeWatchRepository
    clock: FixedClock

    def published(self) -> list[TriageDecided]:
        return [event for event in self.outbox.of_type(TriageDecided) if isinstance(event, TriageDecided)]


@pytest.fixture
def triage() -> Triage:
    outbox = RecordingOutbox(declared=frozenset({TriageDecided.event_type}))
    decisions = FakeDecisionRepository()
    watches = FakeWatchRepository(decisions)
    clock = FixedClock(NOW)
    service = TriageService(
        outbox, SchoolCalendar(), RuleOverrides(), decisions=decisions, watches=watches, clock=clock
    )
    return Triage(service, outbox, decisions, watches, clock)


def referral(kind: ReferralKind, child_id: Any = None, **fields: Any) -> ReferralReceived:
    values: dict[str, Any] = {
        "referral_id": uuid4(),
        "child_id": child_id or uuid4(),
        "submission_id": f"test-{uuid4().hex}",
        "kind": kind,
        "received_at": datetime(2025, 11, 3, 10, 0, tzinfo=UTC),
        "referral_date": LEFT_ON,
        "child": Child(given_name="Ada", family_name="Testperson", date_of_birth=date(2014, 5, 10)),
        "school": LEAVING_SCHOOL,
    }
    values.update(fields)
    return ReferralReceived(**values)


def leaver(code: str, child_id: Any = None, **fields: Any) -> ReferralReceived:
    ground = LeavingGround(code=code, legal_source=LegalSource.REGS_2024)
    return referral(ReferralKind.LEAVER, child_id, leaving_ground=ground, **fields)


def transfer(child_id: Any = None) -> ReferralReceived:
    return leaver("9(1)(a)", child_id, destination=Destination(school_id=DESTINATION_SCHOOL.establishment_id))


def joiner(child_id: Any, joined_on: date) -> ReferralReceived:
    return referral(ReferralKind.JOINER, child_id, referral_date=joined_on, school=DESTINATION_SCHOOL)


def attributes(event: ReferralReceived) -> CloudEventAttributes:
    return new_attributes(event, source="/intake", subject=str(event.referral_id))


async def receive(triage: Triage, event: ReferralReceived) -> None:
    await triage.service.on_referral_received(TRANSACTION, attributes(event), event)


async def test_a_leaver_who_moved_away_gets_one_cme_decision_published_keyed_by_the_child(triage: Triage) -> None:
    moved_away = leaver("9(1)(g)", safeguarding=Safeguarding(child_protection_plan=True))

    await receive(triage, moved_away)

    [published] = triage.outbox.published
    assert published.key == str(moved_away.child_id)
    assert published.subject == str(moved_away.referral_id)
    decided = published.event
    assert isinstance(decided, TriageDecided)
    assert decided.referral_id == moved_away.referral_id
    assert decided.child_id == moved_away.child_id
    assert decided.is_cme is True
    assert decided.track is Track.CME_ENQUIRY
    assert decided.priority is Priority.P1  # a child protection plan
    assert decided.decided_at == NOW
    domain = triage.service.decide(moved_away)
    assert (decided.is_cme, decided.track.value, decided.priority.value, decided.due_date) == (
        domain.is_cme,
        domain.track.value,
        domain.priority.value,
        domain.due_date,
    )
    [stored] = triage.decisions.stored
    assert stored.decision_id == decided.decision_id
    assert stored.referral == moved_away
    assert stored.decided_at == NOW
    assert triage.watches.rows == []


async def test_the_same_referral_twice_is_decided_and_published_once(triage: Triage) -> None:
    moved_away = leaver("9(1)(g)")

    await receive(triage, moved_away)
    triage.clock.now = NOW + timedelta(minutes=5)
    await receive(triage, moved_away)

    assert len(triage.decisions.stored) == 1
    [decided] = triage.published()
    assert decided.referral_id == moved_away.referral_id
    assert decided.decided_at == NOW


async def test_a_transfer_leaver_opens_a_watch_that_a_later_joiner_return_satisfies(triage: Triage) -> None:
    leaving = transfer()

    await receive(triage, leaving)

    [row] = triage.watches.rows
    assert row.referral == leaving
    assert row.watch.status is WatchStatus.OPEN
    assert row.watch.child_id == str(leaving.child_id)
    assert row.watch.school_id == DESTINATION_SCHOOL.establishment_id
    assert row.watch.started_on == LEFT_ON
    assert row.watch.deadline == WATCH_DEADLINE
    [watching] = triage.published()
    assert watching.track is Track.WATCH_FOR_JOINER
    assert watching.is_cme is False
    assert watching.watch_deadline == WATCH_DEADLINE

    joined = joiner(leaving.child_id, date(2025, 11, 10))
    triage.clock.now = datetime(2025, 11, 10, 11, 0, tzinfo=UTC)
    await receive(triage, joined)

    [row] = triage.watches.rows
    assert row.watch.status is WatchStatus.SATISFIED
    assert row.watch.joined_school_id == DESTINATION_SCHOOL.establishment_id
    assert row.watch.joined_on == date(2025, 11, 10)
    assert row.satisfied_by == joined.referral_id
    assert row.decided_at == datetime(2025, 11, 10, 11, 0, tzinfo=UTC)
    assert [decided.referral_id for decided in triage.published()] == [leaving.referral_id, joined.referral_id]
    assert all(each.key == str(leaving.child_id) for each in triage.outbox.published)

    assert await triage.service.expire_watches(TRANSACTION, datetime(2025, 11, 19, 9, 0, tzinfo=UTC)) == ExpiryRun(0, 0)
    assert len(triage.published()) == 2


async def test_a_joiner_return_that_arrived_before_the_leaver_return_satisfies_the_watch_at_once(
    triage: Triage,
) -> None:
    child_id = uuid4()
    joined = joiner(child_id, date(2025, 10, 31))
    await receive(triage, joined)

    leaving = transfer(child_id)
    await receive(triage, leaving)

    [row] = triage.watches.rows
    assert row.watch.status is WatchStatus.SATISFIED
    assert row.satisfied_by == joined.referral_id
    assert row.watch.joined_on == date(2025, 10, 31)
    assert row.decided_at == NOW


async def test_a_watch_still_open_after_its_deadline_day_becomes_a_published_cme_decision(triage: Triage) -> None:
    leaving = transfer()
    await receive(triage, leaving)

    on_the_deadline_day = datetime(2025, 11, 17, 23, 30, tzinfo=UTC)  # 23:30 UTC is still 17 Nov in the UK
    assert await triage.service.expire_watches(TRANSACTION, on_the_deadline_day) == ExpiryRun(0, 0)
    assert triage.watches.rows[0].watch.status is WatchStatus.OPEN

    after_the_deadline = datetime(2025, 11, 18, 9, 0, tzinfo=UTC)
    assert await triage.service.expire_watches(TRANSACTION, after_the_deadline) == ExpiryRun(expired=1, left_open=0)

    [row] = triage.watches.rows
    assert row.watch.status is WatchStatus.EXPIRED
    assert row.decided_at == after_the_deadline
    _, expiry = triage.outbox.published
    assert expiry.key == str(leaving.child_id)
    assert expiry.subject == str(leaving.referral_id)
    decided = expiry.event
    assert isinstance(decided, TriageDecided)
    assert row.expiry_decision_id == decided.decision_id
    assert decided.referral_id == leaving.referral_id
    assert decided.is_cme is True
    assert decided.track is Track.CME_ENQUIRY
    assert decided.watch_deadline == WATCH_DEADLINE
    assert decided.decided_at == after_the_deadline
    assert decided.due_date == date(2025, 12, 15)  # 20 school days after the deadline
    assert decided.reasons[0].startswith("No joiner return from the named school within 10 school days")

    assert await triage.service.expire_watches(TRANSACTION, after_the_deadline + timedelta(days=1)) == ExpiryRun(0, 0)
    assert len(triage.outbox.published) == 2


async def test_a_death_cancels_the_childs_open_watches(triage: Triage) -> None:
    leaving = transfer()
    await receive(triage, leaving)

    died = leaver("9(1)(k)", leaving.child_id, referral_date=date(2025, 11, 5))
    await receive(triage, died)

    [row] = triage.watches.rows
    assert row.watch.status is WatchStatus.CANCELLED
    assert row.satisfied_by == died.referral_id
    assert row.decided_at == NOW
    closing = triage.published()[-1]
    assert closing.referral_id == died.referral_id
    assert closing.track is Track.CLOSE_ANY_CASE
    assert closing.is_cme is False

    assert await triage.service.expire_watches(TRANSACTION, datetime(2025, 11, 19, 9, 0, tzinfo=UTC)) == ExpiryRun(0, 0)
    assert len(triage.published()) == 2


async def test_a_permanent_exclusion_and_a_lost_pupil_ctf_carry_what_casework_s_task_diary_needs(
    triage: Triage,
) -> None:
    excluded = leaver("9(1)(o)")
    lost = referral(ReferralKind.CTF_BULK, lost_pupil_file=True)

    await receive(triage, excluded)
    await receive(triage, lost)

    exclusion, lost_file = triage.published()
    # The exclusion's date is day 0 of the LA's alternative provision count.
    assert (exclusion.track, exclusion.referral_date, exclusion.lost_pupil_file) == (Track.EXCLUSION_AP, LEFT_ON, False)
    assert (lost_file.kind, lost_file.is_cme, lost_file.lost_pupil_file) == (ReferralKind.CTF_BULK, False, True)
