"""Review's Missing Mondays use cases against in-memory ports: the agenda from escalations, each step published,
the sign-off published for casework, and the time rules."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from cme_runtime.testing import TRANSACTION, FixedClock, RecordingOutbox
from contracts.envelope import new_attributes
from contracts.events.case_v1 import (
    CaseClosed,
    CaseEscalated,
    ChecklistSummaryLine,
    ChildOnReviewForm,
    EscalationKind,
)
from contracts.events.review_v1 import (
    ClosureDecision,
    RecheckDue,
    ReviewDecided,
    ReviewProgressed,
    ReviewSignedOff,
    RiskBand,
)
from services.review.domain.meeting import AgendaReason, Decision, ReviewRuleBroken, ReviewStatus
from services.review.service_layer.meetings import MeetingService
from services.review.tests.fakes import FakeMeetingRepository

ESCALATED = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # Wednesday; the meeting is Monday 9 March
OFFICER, CHAIR, SENIOR = "officer-1", "lead-1", "senior-1"


@dataclass
class Meeting:
    service: MeetingService
    outbox: RecordingOutbox
    repository: FakeMeetingRepository
    clock: FixedClock


@pytest.fixture
def meeting() -> Meeting:
    outbox = RecordingOutbox(declared=frozenset(
        {ReviewDecided.event_type, ReviewSignedOff.event_type, ReviewProgressed.event_type, RecheckDue.event_type}))
    repository = FakeMeetingRepository()
    clock = FixedClock(ESCALATED)
    return Meeting(MeetingService(outbox, repository, clock), outbox, repository, clock)


def escalation(
    kind: EscalationKind = EscalationKind.MISSING_MONDAYS, date_of_birth: date = date(2015, 1, 2)
) -> CaseEscalated:
    return CaseEscalated(
        case_id=uuid4(), child_id=uuid4(), escalated_at=ESCALATED, kind=kind, cme_score=5, safeguarding_score=1,
        escalated_by=OFFICER,
        children=[ChildOnReviewForm(given_name="Invented", family_name="Child", date_of_birth=date_of_birth,
                                    previous_school="Example Primary")],
        checklist=[ChecklistSummaryLine(check="NAFN", group="whereabouts_unknown", status="done",
                                        on=date(2026, 3, 2), initials="AB")],
    )


async def escalate(
    meeting: Meeting, kind: EscalationKind = EscalationKind.MISSING_MONDAYS, date_of_birth: date = date(2015, 1, 2)
) -> CaseEscalated:
    event = escalation(kind, date_of_birth)
    attributes = new_attributes(event, source="/casework", subject=str(event.case_id))
    await meeting.service.on_case_event(TRANSACTION, attributes, event)
    return event


def steps(meeting: Meeting) -> list[str]:
    return [each.step for each in meeting.outbox.of_type(ReviewProgressed)]  # type: ignore[attr-defined]


async def test_an_escalation_goes_on_the_next_meetings_agenda_unscored(meeting: Meeting) -> None:
    event = await escalate(meeting)

    [form] = await meeting.service.agenda(TRANSACTION, date(2026, 3, 9))
    assert form.case_id == str(event.case_id)
    assert form.status is ReviewStatus.AWAITING_MEETING
    assert form.children[0].previous_school == "Example Primary"
    assert form.checklist[0].initials == "AB"
    assert meeting.outbox.of_type(ReviewDecided) == []
    assert steps(meeting) == ["agenda_item_added"]


async def test_other_escalations_do_not_reach_the_meeting(meeting: Meeting) -> None:
    await escalate(meeting, EscalationKind.FAIR_ACCESS_PROTOCOL)

    assert meeting.repository.rows == {}
    assert meeting.outbox.published == []


async def score(meeting: Meeting, review_id: str, cme: int = 4, safeguarding: int = 1,
                recommendation: Decision = Decision.CLOSE) -> None:
    await meeting.service.score(TRANSACTION, review_id, chair_id=CHAIR, cme_score=cme,
                                safeguarding_score=safeguarding, attendees=["Lead officer", "Social care"],
                                comments="All checks exhausted", recommendation=recommendation)


async def test_the_whole_low_risk_flow_publishes_each_step_and_the_signed_decision(meeting: Meeting) -> None:
    event = await escalate(meeting)
    [form] = meeting.repository.rows.values()
    meeting.clock.now = datetime(2026, 3, 9, 10, tzinfo=UTC)
    await score(meeting, form.review_id)
    meeting.clock.now = datetime(2026, 3, 11, 10, tzinfo=UTC)
    await meeting.service.raise_concern(TRANSACTION, form.review_id, by="sw-1", team="Social care",
                                        text="Sibling seen")
    meeting.clock.now = datetime(2026, 3, 16, 10, tzinfo=UTC)
    assert [f.review_id for f in await meeting.service.agenda(TRANSACTION, date(2026, 3, 16))] == [form.review_id]
    await score(meeting, form.review_id)
    meeting.clock.now = datetime(2026, 3, 23, 10, tzinfo=UTC)
    await meeting.service.pass_to_senior_officer(TRANSACTION, form.review_id, by=CHAIR)
    assert [f.review_id for f in await meeting.service.awaiting_sign_off(TRANSACTION)] == [form.review_id]
    with pytest.raises(ReviewRuleBroken, match="escalated the case cannot sign off"):
        await meeting.service.sign_off(TRANSACTION, form.review_id, senior_officer_id=OFFICER, name="N",
                                       role="AD", decision=Decision.CLOSE, comments="")
    await meeting.service.sign_off(TRANSACTION, form.review_id, senior_officer_id=SENIOR, name="Invented Senior",
                                   role="Assistant Director", decision=Decision.CLOSE, comments="Agreed")

    assert steps(meeting) == ["agenda_item_added", "scored", "concern_raised", "scored", "passed_to_senior_officer"]
    assert [decided.risk_band for decided in meeting.outbox.of_type(ReviewDecided)] == [RiskBand.LO, RiskBand.LO]  # type: ignore[attr-defined]
    [signed] = meeting.outbox.of_type(ReviewSignedOff)
    assert isinstance(signed, ReviewSignedOff)
    assert (signed.case_id, signed.decision, signed.risk_band) == (event.case_id, ClosureDecision.CLOSE, RiskBand.LO)
    assert (signed.senior_officer_id, signed.senior_officer_role) == (SENIOR, "Assistant Director")
    assert signed.next_review_date is None and signed.lead_officer_id is None
    assert all(published.key == str(event.child_id) for published in meeting.outbox.published)


async def test_a_high_risk_case_kept_open_is_rechecked_and_back_on_the_agenda_a_year_on(meeting: Meeting) -> None:
    await escalate(meeting)
    [form] = meeting.repository.rows.values()
    meeting.clock.now = datetime(2026, 3, 9, 10, tzinfo=UTC)
    await score(meeting, form.review_id, cme=5, safeguarding=5, recommendation=Decision.REMAIN_OPEN)
    meeting.clock.now = datetime(2026, 3, 16, 10, tzinfo=UTC)
    await meeting.service.pass_to_senior_officer(TRANSACTION, form.review_id, by=CHAIR)
    await meeting.service.sign_off(TRANSACTION, form.review_id, senior_officer_id=SENIOR, name="N", role="AD",
                                   decision=Decision.REMAIN_OPEN, comments="Checks continue")
    [signed] = meeting.outbox.of_type(ReviewSignedOff)
    assert isinstance(signed, ReviewSignedOff)
    assert signed.next_review_date == date(2027, 3, 9)
    assert signed.lead_officer_id == CHAIR

    early = await meeting.service.run_due(TRANSACTION, datetime(2026, 5, 12, 9, tzinfo=UTC))
    again = await meeting.service.run_due(TRANSACTION, datetime(2026, 5, 12, 9, tzinfo=UTC))
    assert (early.rechecks, early.further_reviews, again.rechecks) == (2, 0, 0)
    due = [recheck.due_on for recheck in meeting.outbox.of_type(RecheckDue)]  # type: ignore[attr-defined]
    assert due == [date(2026, 4, 13), date(2026, 5, 11)]

    year_on = await meeting.service.run_due(TRANSACTION, datetime(2027, 3, 10, 9, tzinfo=UTC))
    assert year_on.further_reviews == 1
    assert early.rechecks + year_on.rechecks == 12
    [further] = await meeting.service.agenda(TRANSACTION, date(2027, 3, 15))
    assert further.previous_review_id == form.review_id
    assert (await meeting.service.run_due(TRANSACTION, datetime(2027, 3, 10, 9, tzinfo=UTC))).further_reviews == 0


async def test_rechecks_and_the_further_review_stop_when_the_child_leaves_compulsory_school_age(
    meeting: Meeting,
) -> None:
    # Born 3 May 2010: 16 in May 2026, so the school leaving date is Friday 26 June 2026 (the last Friday in June).
    await escalate(meeting, date_of_birth=date(2010, 5, 3))
    [form] = meeting.repository.rows.values()
    meeting.clock.now = datetime(2026, 3, 9, 10, tzinfo=UTC)
    await score(meeting, form.review_id, cme=5, safeguarding=5, recommendation=Decision.REMAIN_OPEN)
    meeting.clock.now = datetime(2026, 3, 16, 10, tzinfo=UTC)
    await meeting.service.pass_to_senior_officer(TRANSACTION, form.review_id, by=CHAIR)
    await meeting.service.sign_off(TRANSACTION, form.review_id, senior_officer_id=SENIOR, name="N", role="AD",
                                   decision=Decision.REMAIN_OPEN, comments="Checks continue")

    year_on = await meeting.service.run_due(TRANSACTION, datetime(2027, 3, 10, 9, tzinfo=UTC))

    due = [recheck.due_on for recheck in meeting.outbox.of_type(RecheckDue)]  # type: ignore[attr-defined]
    assert due == [date(2026, 4, 13), date(2026, 5, 11), date(2026, 6, 8)]
    assert year_on.further_reviews == 0
    assert await meeting.service.agenda(TRANSACTION, date(2027, 3, 15)) == []


async def test_a_case_closing_withdraws_its_pending_review(meeting: Meeting) -> None:
    event = await escalate(meeting)
    closed = CaseClosed(case_id=event.case_id, child_id=event.child_id, closed_at=ESCALATED + timedelta(days=1),
                        reason="registered_into_provision", closed_by="system")

    attributes = new_attributes(closed, source="/casework", subject=str(closed.case_id))
    await meeting.service.on_case_event(TRANSACTION, attributes, closed)

    [form] = meeting.repository.rows.values()
    assert form.status is ReviewStatus.WITHDRAWN
    assert steps(meeting)[-1] == "withdrawn"


async def test_a_case_the_chair_added_is_on_the_agenda_with_the_chairs_reason(meeting: Meeting) -> None:
    event = escalation().model_copy(update={"cme_score": None, "safeguarding_score": None,
                                            "added_by_chair_reason": "Police report a sighting"})
    attributes = new_attributes(event, source="/casework", subject=str(event.case_id))

    await meeting.service.on_case_event(TRANSACTION, attributes, event)

    [form] = await meeting.service.agenda(TRANSACTION, date(2026, 3, 9))
    assert form.agenda_reason is AgendaReason.ADDED_BY_CHAIR
    [change] = form.agenda_changes
    assert (change.added, change.reason, change.by) == (True, "Police report a sighting", OFFICER)


async def test_an_officers_escalation_is_on_the_agenda_as_escalated(meeting: Meeting) -> None:
    await escalate(meeting)

    [form] = await meeting.service.agenda(TRANSACTION, date(2026, 3, 9))
    assert form.agenda_reason is AgendaReason.ESCALATED
    assert form.agenda_changes == []
