"""Builders for cases in each stage of their lifecycle, with made-up data only."""

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.casework.domain.case import (
    Case,
    CaseFlags,
    CheckStatus,
    CheckType,
    ChildSummary,
    EscalationKind,
    JointEnquiryParty,
    Priority,
    Track,
)
from services.casework.domain.checklist import STANDARD_CHECKS, WHEREABOUTS_UNKNOWN_CHECKS

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OFFICER = "officer-1"
TEAM_LEAD = "manager-1"
SENIOR = "senior-1"
CHILD_GIVEN_NAME = "Zephyrine"
CHILD_FAMILY_NAME = "Quillfeather"


def at(days: int = 0, hours: int = 0) -> datetime:
    return START + timedelta(days=days, hours=hours)


def child_summary() -> ChildSummary:
    return ChildSummary(
        given_name=CHILD_GIVEN_NAME,
        family_name=CHILD_FAMILY_NAME,
        date_of_birth=date(2014, 5, 1),
        upn="B801200005001",
        school_name="Example Primary",
        school_id="school-9",
        postcode="WR1 2AB",
    )


def open_case(
    case_id: str = "case-1",
    *,
    child_id: str = "child-1",
    referral_id: str = "referral-1",
    priority: Priority = Priority.P3,
    flags: CaseFlags | None = None,
    due_date: date = date(2026, 3, 30),
    opened_at: datetime = START,
) -> Case:
    return Case.open(
        case_id=case_id,
        child_id=child_id,
        referral_id=referral_id,
        priority=priority,
        track=Track.CME_ENQUIRY,
        due_date=due_date,
        opened_at=opened_at,
        child_summary=child_summary(),
        flags=flags or CaseFlags(),
    )


def allocated_case(case_id: str = "case-1", **kwargs: Any) -> Case:
    case = open_case(case_id, **kwargs)
    case.allocate(OFFICER, TEAM_LEAD, at(hours=1))
    return case


def record_checks(case: Case, checks: Iterable[CheckType], *, when: datetime | None = None) -> None:
    moment = when or at(days=1)
    for check in checks:
        if check is CheckType.EHCP:
            case.record_check(
                check,
                CheckStatus.NOT_APPLICABLE,
                on=moment.date(),
                officer_id=OFFICER,
                officer_initials="ab",
                outcome="",
                note="No EHCP held",
                at=moment,
            )
            continue
        case.record_check(
            check,
            CheckStatus.DONE,
            on=moment.date(),
            officer_id=OFFICER,
            officer_initials="ab",
            outcome="No trace",
            note="",
            at=moment,
            school_safeguarding_concern=(False if check is CheckType.LEAVER_FORM_OR_SCHOOL_DISCUSSION else None),
        )


def case_with_full_checklist(case_id: str = "case-1", **kwargs: Any) -> Case:
    case = allocated_case(case_id, **kwargs)
    record_checks(case, STANDARD_CHECKS + WHEREABOUTS_UNKNOWN_CHECKS)
    return case


def escalated_to_missing_mondays(
    case_id: str = "case-1",
    *,
    cme_score: int = 5,
    safeguarding_score: int = 1,
) -> Case:
    case = case_with_full_checklist(case_id)
    case.escalate(
        EscalationKind.MISSING_MONDAYS,
        TEAM_LEAD,
        at(days=2),
        cme_score=cme_score,
        safeguarding_score=safeguarding_score,
        note="Left the country, no destination",
    )
    return case


def record_joint_enquiries(case: Case) -> None:
    for party in JointEnquiryParty:
        case.record_joint_enquiry(
            party,
            who=f"{party} officer",
            action="Called all contacts",
            on=at().date(),
            outcome="Not found",
            by=OFFICER,
            at=at(hours=2),
        )
