from datetime import date, datetime

import pytest

from services.casework.domain.allocation import REVIEW_DECISION_EXPECTED_WITHIN, working_due_date
from services.casework.domain.case import (
    Case,
    CaseFlags,
    ClosureDetails,
    ClosureReason,
    EscalationKind,
    ReviewDecision,
    RiskBand,
    Status,
)
from services.casework.domain.checklist import STANDARD_CHECKS, WHEREABOUTS_UNKNOWN_CHECKS
from services.casework.domain.errors import ClosureRefused, EscalationRefused, InvalidRecord, ReviewDecisionRefused
from services.casework.domain.events import (
    BackOnMissingMondaysAgenda,
    CaseEscalated,
    FlagsRaised,
    ReviewDecisionApplied,
)
from services.casework.tests.factories import (
    OFFICER,
    SENIOR,
    TEAM_LEAD,
    allocated_case,
    at,
    case_with_full_checklist,
    escalated_to_missing_mondays,
    record_checks,
    record_joint_enquiries,
)

SIGNED_OFF = at(days=9)


def escalate_to_missing_mondays(case: Case, when: datetime) -> None:
    case.escalate(EscalationKind.MISSING_MONDAYS, TEAM_LEAD, when, cme_score=5, safeguarding_score=1)


def test_missing_mondays_escalation_needs_the_whole_checklist_including_whereabouts_unknown_checks() -> None:
    case = allocated_case()
    record_checks(case, STANDARD_CHECKS)

    with pytest.raises(EscalationRefused) as refused:
        escalate_to_missing_mondays(case, at(days=2))

    message = str(refused.value)
    assert "checks outstanding" in message
    for check in WHEREABOUTS_UNKNOWN_CHECKS:
        assert check.label in message
    assert not case.missing_mondays_pending
    assert case.escalations == []


def test_missing_mondays_escalation_names_each_missing_score() -> None:
    case = case_with_full_checklist()

    with pytest.raises(EscalationRefused) as refused:
        case.escalate(EscalationKind.MISSING_MONDAYS, TEAM_LEAD, at(days=2))

    assert "a CME score is required" in str(refused.value)
    assert "a safeguarding score is required" in str(refused.value)


@pytest.mark.parametrize(("cme_score", "safeguarding_score"), [(0, 3), (6, 3), (3, 0), (3, 6)])
def test_missing_mondays_scores_must_be_one_to_five(cme_score: int, safeguarding_score: int) -> None:
    case = case_with_full_checklist()

    with pytest.raises(EscalationRefused, match="from 1 to 5"):
        case.escalate(
            EscalationKind.MISSING_MONDAYS,
            TEAM_LEAD,
            at(days=2),
            cme_score=cme_score,
            safeguarding_score=safeguarding_score,
        )


def test_missing_mondays_escalation_marks_the_case_whereabouts_unknown_and_pending() -> None:
    case = escalated_to_missing_mondays(cme_score=4, safeguarding_score=2)

    assert case.missing_mondays_pending
    assert case.flags.whereabouts_unknown
    escalated = next(event for event in case.events if isinstance(event, CaseEscalated))
    assert (escalated.escalation, escalated.cme_score, escalated.safeguarding_score) == (
        EscalationKind.MISSING_MONDAYS,
        4,
        2,
    )
    assert escalated.summary == "Escalated to Missing Mondays (CME score 4, safeguarding score 2)"
    assert isinstance(case.events[-1], FlagsRaised)


def test_missing_mondays_escalation_is_refused_while_a_review_is_pending() -> None:
    case = escalated_to_missing_mondays()

    with pytest.raises(EscalationRefused, match="already pending"):
        escalate_to_missing_mondays(case, at(days=3))


def test_missing_mondays_needs_joint_enquiry_evidence_when_the_deletion_ground_requires_it() -> None:
    case = case_with_full_checklist(flags=CaseFlags(joint_enquiries_required=True))

    with pytest.raises(EscalationRefused, match="joint school and local authority enquiries"):
        escalate_to_missing_mondays(case, at(days=2))

    record_joint_enquiries(case)
    escalate_to_missing_mondays(case, at(days=2))
    assert case.missing_mondays_pending


@pytest.mark.parametrize(
    "kind",
    [EscalationKind.FAP, EscalationKind.SAO, EscalationKind.S19, EscalationKind.CCAS],
)
def test_other_escalations_need_no_checklist_and_take_no_scores(kind: EscalationKind) -> None:
    case = allocated_case()

    with pytest.raises(EscalationRefused, match="only to Missing Mondays"):
        case.escalate(kind, TEAM_LEAD, at(days=1), cme_score=3)

    case.escalate(kind, TEAM_LEAD, at(days=1), note="Discussed at panel")
    assert [escalation.kind for escalation in case.escalations] == [kind]
    assert not case.missing_mondays_pending
    assert not case.flags.whereabouts_unknown


def test_review_decision_needs_a_missing_mondays_escalation() -> None:
    case = case_with_full_checklist()

    with pytest.raises(ReviewDecisionRefused, match="not been escalated"):
        case.apply_review_decision(RiskBand.LO, ReviewDecision.CLOSE, SENIOR, SIGNED_OFF, None)


def test_a_high_risk_decision_to_close_is_refused() -> None:
    case = escalated_to_missing_mondays(cme_score=5, safeguarding_score=5)

    with pytest.raises(ReviewDecisionRefused, match="must not be closed"):
        case.apply_review_decision(RiskBand.HI, ReviewDecision.CLOSE, SENIOR, SIGNED_OFF, None)
    assert case.missing_mondays_pending


def test_a_high_risk_case_kept_open_cannot_be_closed_as_whereabouts_unknown() -> None:
    case = escalated_to_missing_mondays(cme_score=5, safeguarding_score=5)
    case.apply_review_decision(RiskBand.HI, ReviewDecision.KEEP_OPEN, SENIOR, SIGNED_OFF, date(2027, 3, 11))

    assert case.status is Status.ENQUIRIES
    assert not case.missing_mondays_pending
    with pytest.raises(ClosureRefused, match="high-risk"):
        case.close(ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW, OFFICER, at(days=10))
    assert case.status is Status.ENQUIRIES


def test_a_high_risk_case_still_closes_when_the_child_is_found() -> None:
    case = escalated_to_missing_mondays(cme_score=5, safeguarding_score=5)
    case.apply_review_decision(RiskBand.HI, ReviewDecision.KEEP_OPEN, SENIOR, SIGNED_OFF, date(2027, 3, 11))

    case.close_as_registered_into_provision("school-5", at(days=40))

    assert case.status is Status.CLOSED


@pytest.mark.parametrize("band", [RiskBand.LO, RiskBand.MED])
def test_a_signed_off_decision_to_close_closes_the_case_after_review(band: RiskBand) -> None:
    case = escalated_to_missing_mondays()

    case.apply_review_decision(band, ReviewDecision.CLOSE, SENIOR, SIGNED_OFF, None, review_id="review-1",
                               signed_off_role="Assistant Director", comments="No concerns raised")

    assert case.status is Status.CLOSED
    assert not case.missing_mondays_pending
    assert case.outcome is not None
    assert case.outcome.reason is ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW
    applied = next(event for event in case.events if isinstance(event, ReviewDecisionApplied))
    assert (applied.actor, applied.at, applied.risk_band, applied.review_id) == (SENIOR, SIGNED_OFF, band, "review-1")
    assert [record.signed_off_role for record in case.review_history] == ["Assistant Director"]


def test_closure_after_review_needs_a_decision() -> None:
    case = case_with_full_checklist()

    with pytest.raises(ClosureRefused, match="signed-off Missing Mondays decision"):
        case.close(ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW, OFFICER, at(days=3))


def test_closure_after_review_is_refused_while_the_review_is_pending() -> None:
    case = escalated_to_missing_mondays()

    with pytest.raises(ClosureRefused, match="review is pending"):
        case.close(ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW, OFFICER, at(days=3))


def test_a_decision_to_keep_open_is_not_a_licence_to_close() -> None:
    case = escalated_to_missing_mondays()
    case.apply_review_decision(RiskBand.MED, ReviewDecision.KEEP_OPEN, SENIOR, SIGNED_OFF, None)

    with pytest.raises(ClosureRefused, match="keep the case open"):
        case.close(ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW, OFFICER, at(days=10))


def test_a_decision_on_a_child_located_meanwhile_is_refused_and_the_case_closes_like_any_other() -> None:
    case = escalated_to_missing_mondays()
    case.record_child_located(OFFICER, at(days=4), "Seen at a new address")
    case.record_outcome(ClosureReason.MOVED_TO_OTHER_LA, OFFICER, at(days=4), ClosureDetails(la_code="330"))

    with pytest.raises(ReviewDecisionRefused, match="located"):
        case.apply_review_decision(RiskBand.LO, ReviewDecision.CLOSE, SENIOR, SIGNED_OFF, None)

    assert case.outcome is not None
    assert case.outcome.reason is ClosureReason.MOVED_TO_OTHER_LA
    assert case.awaiting_transfer_acknowledgement


def test_next_review_date_must_follow_the_sign_off() -> None:
    case = escalated_to_missing_mondays()

    with pytest.raises(ReviewDecisionRefused, match="after the sign-off"):
        case.apply_review_decision(
            RiskBand.HI,
            ReviewDecision.KEEP_OPEN,
            SENIOR,
            SIGNED_OFF,
            SIGNED_OFF.date(),
        )


def test_a_case_kept_open_can_return_to_missing_mondays() -> None:
    case = escalated_to_missing_mondays()
    case.apply_review_decision(RiskBand.HI, ReviewDecision.KEEP_OPEN, SENIOR, SIGNED_OFF, date(2027, 3, 11))

    case.escalate(EscalationKind.MISSING_MONDAYS, TEAM_LEAD, at(days=370), cme_score=4, safeguarding_score=1)

    assert case.missing_mondays_pending
    assert len(case.escalations) == 2


def test_reopening_clears_the_previous_review_decision() -> None:
    case = escalated_to_missing_mondays()
    case.apply_review_decision(RiskBand.LO, ReviewDecision.CLOSE, SENIOR, SIGNED_OFF, None)

    case.reopen("referral-2", at(days=60), "Child seen locally", keep_officer=True)

    assert case.review_decision is None
    with pytest.raises(ClosureRefused):
        case.close(ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW, OFFICER, at(days=61))


def test_a_case_kept_open_goes_back_to_pending_when_review_puts_it_on_an_agenda_again() -> None:
    case = escalated_to_missing_mondays(cme_score=5, safeguarding_score=5)
    case.apply_review_decision(RiskBand.HI, ReviewDecision.KEEP_OPEN, SENIOR, SIGNED_OFF, date(2027, 3, 11))
    year_on = datetime(2027, 3, 11, 9, tzinfo=SIGNED_OFF.tzinfo)

    assert case.return_to_missing_mondays(date(2027, 3, 15), year_on)

    assert case.missing_mondays_pending
    assert isinstance(case.events[-1], BackOnMissingMondaysAgenda)
    # Due from the meeting it is back before (plus the objection window), not from the first escalation.
    assert working_due_date(case) == date(2027, 3, 15) + REVIEW_DECISION_EXPECTED_WITHIN
    # A second notice of the same agenda changes nothing.
    events = len(case.events)
    assert not case.return_to_missing_mondays(date(2027, 3, 15), year_on)
    assert len(case.events) == events


def test_the_first_escalation_onto_the_agenda_changes_nothing_more() -> None:
    case = escalated_to_missing_mondays(cme_score=5, safeguarding_score=5)
    events = len(case.events)

    assert not case.return_to_missing_mondays(date(2026, 3, 9), SIGNED_OFF)
    assert len(case.events) == events


def test_the_chair_adds_a_case_of_concern_to_the_agenda_with_checks_outstanding() -> None:
    case = allocated_case()

    case.add_to_missing_mondays_agenda(TEAM_LEAD, at(days=2), "Police report a sighting; family not engaging")

    assert case.missing_mondays_pending
    assert case.flags.whereabouts_unknown
    added = next(event for event in case.events if isinstance(event, CaseEscalated))
    assert added.added_by_chair
    assert (added.escalation, added.cme_score, added.note) == (
        EscalationKind.MISSING_MONDAYS, None, "Police report a sighting; family not engaging"
    )
    assert added.summary == "Added to the Missing Mondays agenda by the chair"


@pytest.mark.parametrize("reason", ["", "   "])
def test_the_chair_must_say_why_a_case_goes_on_the_agenda(reason: str) -> None:
    case = allocated_case()

    with pytest.raises(InvalidRecord, match="why the case is added to the agenda"):
        case.add_to_missing_mondays_agenda(TEAM_LEAD, at(days=2), reason)
    assert not case.missing_mondays_pending


def test_the_chair_cannot_add_a_case_already_awaiting_review() -> None:
    case = escalated_to_missing_mondays()

    with pytest.raises(EscalationRefused, match="already pending"):
        case.add_to_missing_mondays_agenda(TEAM_LEAD, at(days=3), "Again")
