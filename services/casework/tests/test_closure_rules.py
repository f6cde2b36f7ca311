"""Issue 12: the closure rules every path goes through (the officers' pages, the JSON API and events all call
`Case.close`/`record_outcome`, so these rules are the one place they are decided)."""

from dataclasses import replace
from datetime import date

import pytest

from contracts.reference.school_age import csa_end as school_leaving_date
from contracts.reference.school_age import past_compulsory_school_age
from services.casework.domain.case import (
    Case,
    CaseFlags,
    ClosureDetails,
    ClosureReason,
    ReviewDecision,
    RiskBand,
    Status,
)
from services.casework.domain.errors import ClosureRefused, InvalidRecord
from services.casework.domain.events import CaseAllocated, ChildLocated
from services.casework.tests.factories import (
    OFFICER,
    SENIOR,
    TEAM_LEAD,
    allocated_case,
    at,
    escalated_to_missing_mondays,
)

LEAD = "lead-1"
DETAILS_FOR = {
    ClosureReason.REGISTERED_INTO_PROVISION: ClosureDetails(school_id="8852001"),
    ClosureReason.MOVED_TO_OTHER_LA: ClosureDetails(la_code="330", acknowledged=True),
    ClosureReason.MOVED_ABROAD: ClosureDetails(destination_country="Portugal"),
    ClosureReason.EHE_CONFIRMED: ClosureDetails(),
    ClosureReason.ON_ROLL_NOT_CME: ClosureDetails(),
    ClosureReason.DUPLICATE: ClosureDetails(duplicate_of="case-9"),
    ClosureReason.OTHER: ClosureDetails(text="Family asked us to stop"),
}


def high_risk_kept_open() -> Case:
    case = escalated_to_missing_mondays(cme_score=5, safeguarding_score=5)
    case.apply_review_decision(RiskBand.HI, ReviewDecision.KEEP_OPEN, SENIOR, at(days=9), date(2027, 3, 11),
                               lead_officer_id=LEAD)
    case.events.clear()
    return case


def past_school_age(case: Case) -> Case:
    case.child = replace(case.child, date_of_birth=date(2009, 5, 1))  # school leaving date 26 June 2025
    return case


@pytest.mark.parametrize("reason", list(DETAILS_FOR))
def test_a_high_risk_case_is_never_closed_while_the_whereabouts_stay_unknown(reason: ClosureReason) -> None:
    case = high_risk_kept_open()

    with pytest.raises(ClosureRefused, match=r"high-risk \(HI\) case is never closed"):
        case.close(reason, LEAD, at(days=20), DETAILS_FOR[reason])
    with pytest.raises(ClosureRefused, match=r"high-risk \(HI\) case is never closed"):
        case.record_outcome(reason, LEAD, at(days=20), DETAILS_FOR[reason])
    with pytest.raises(ClosureRefused, match=r"high-risk \(HI\) case is never closed"):
        case.close(ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW, LEAD, at(days=20))
    assert case.is_open
    assert case.events == []


@pytest.mark.parametrize("reason", list(DETAILS_FOR))
def test_a_whereabouts_unknown_case_closes_only_through_a_signed_off_review(reason: ClosureReason) -> None:
    case = allocated_case(flags=CaseFlags(whereabouts_unknown=True, joint_enquiries_required=True))

    with pytest.raises(ClosureRefused, match="closes only through a signed-off Missing Mondays review"):
        case.close(reason, OFFICER, at(days=3), DETAILS_FOR[reason])
    assert case.status is Status.ALLOCATED


def test_a_case_awaiting_its_meeting_cannot_be_closed_as_other() -> None:
    case = escalated_to_missing_mondays()

    with pytest.raises(ClosureRefused, match="signed-off Missing Mondays review"):
        case.close(ClosureReason.OTHER, OFFICER, at(days=3), ClosureDetails(text="No longer needed"))
    assert case.missing_mondays_pending


def test_once_located_a_high_risk_case_goes_back_to_a_cme_officer_and_closes_like_any_other() -> None:
    case = high_risk_kept_open()
    assert (case.officer_id, case.lead_officer_oversight) == (LEAD, LEAD)

    with pytest.raises(InvalidRecord, match="name the CME officer"):
        case.record_child_located(LEAD, at(days=30), "Found on a database search")
    case.record_child_located(LEAD, at(days=30), "Found on a database search", officer_id=OFFICER)

    assert not case.flags.whereabouts_unknown
    assert case.officer_id == OFFICER
    assert case.lead_officer_oversight is None
    [located] = case.events
    assert isinstance(located, ChildLocated)
    assert (located.previous_officer_id, located.officer_id) == (LEAD, OFFICER)
    assert "re-assigned to officer officer-1" in located.summary
    case.close(ClosureReason.REGISTERED_INTO_PROVISION, OFFICER, at(days=31), DETAILS_FOR[
        ClosureReason.REGISTERED_INTO_PROVISION])
    assert case.status is Status.CLOSED


def test_keeping_a_case_open_puts_it_under_the_lead_officers_oversight_with_a_next_review() -> None:
    case = escalated_to_missing_mondays()

    case.apply_review_decision(RiskBand.MED, ReviewDecision.KEEP_OPEN, SENIOR, at(days=9), date(2027, 3, 11),
                               lead_officer_id=LEAD)

    assert case.status is Status.ENQUIRIES
    assert not case.missing_mondays_pending
    assert case.lead_officer_oversight == LEAD
    assert case.officer_id == LEAD
    assert any(isinstance(event, CaseAllocated) and event.officer_id == LEAD for event in case.events)


def test_a_joiner_return_locates_and_closes_a_high_risk_case() -> None:
    case = high_risk_kept_open()

    case.close_as_registered_into_provision("8852001", at(days=40))

    assert case.status is Status.CLOSED
    assert isinstance(case.events[0], ChildLocated)


def test_moved_abroad_needs_a_destination_country() -> None:
    case = allocated_case()

    with pytest.raises(ClosureRefused, match="destination country"):
        case.close(ClosureReason.MOVED_ABROAD, OFFICER, at(days=2), ClosureDetails(destination_country=" "))
    case.close(ClosureReason.MOVED_ABROAD, OFFICER, at(days=2), ClosureDetails(destination_country="Poland"))
    assert case.status is Status.CLOSED


def test_past_compulsory_school_age_needs_the_child_to_be_past_it() -> None:
    case = allocated_case()  # born 1 May 2014: of compulsory school age until 28 June 2030

    with pytest.raises(ClosureRefused, match="of compulsory school age until 2030-06-28"):
        case.close(ClosureReason.PAST_COMPULSORY_SCHOOL_AGE, OFFICER, at(days=2))
    assert case.closure_prompt(date(2030, 6, 28)) is None
    assert case.closure_prompt(date(2030, 6, 29)) is ClosureReason.PAST_COMPULSORY_SCHOOL_AGE


def test_a_high_risk_child_past_compulsory_school_age_is_prompted_and_closes_with_its_own_reason() -> None:
    case = past_school_age(high_risk_kept_open())

    assert case.closure_prompt(at(days=20).date()) is ClosureReason.PAST_COMPULSORY_SCHOOL_AGE
    case.close(ClosureReason.PAST_COMPULSORY_SCHOOL_AGE, LEAD, at(days=20))

    assert case.status is Status.CLOSED


def test_a_death_ends_any_case() -> None:
    case = high_risk_kept_open()

    case.close(ClosureReason.DIED, TEAM_LEAD, at(days=20))

    assert case.status is Status.CLOSED


@pytest.mark.parametrize(
    ("born", "leaving"),
    [
        (date(2010, 8, 31), date(2026, 6, 26)),  # turns 16 in August: that school year ends in June 2026
        (date(2010, 9, 1), date(2027, 6, 25)),  # turns 16 on 1 September: the next school year
        (date(2012, 2, 29), date(2028, 6, 30)),  # a leap-day birthday
    ],
)
def test_the_school_leaving_date(born: date, leaving: date) -> None:
    assert school_leaving_date(born) == leaving
    assert not past_compulsory_school_age(born, leaving)
    assert past_compulsory_school_age(born, date.fromordinal(leaving.toordinal() + 1))
    assert not past_compulsory_school_age(None, leaving)
