"""The task diary's rules, each at the right date: the day before, nothing; on the day, one task; again, the
same task (its natural key), so a second run raises nothing new."""

from datetime import UTC, date, datetime

import pytest

from services.casework.domain.case import Case
from services.casework.domain.errors import InvalidRecord
from services.casework.domain.tasks import (
    ExclusionLeaver,
    TaskKind,
    TaskState,
    add_school_days,
    case_tasks_due,
    diary_order,
    enquiry_deadline_task,
    exclusion_ap_task,
    follow_up,
    further_review_task,
    lost_pupil_ctf_task,
    officer_task,
    past_school_age_task,
    recheck_task,
)
from services.casework.domain.vocabulary import ClosureReason, Priority, ReviewDecision, RiskBand
from services.casework.tests.factories import (
    OFFICER,
    SENIOR,
    allocated_case,
    at,
    escalated_to_missing_mondays,
)

LEAD = "lead-1"
DONE_AT = datetime(2026, 3, 20, 10, tzinfo=UTC)


def kept_open_hi(next_review: date) -> Case:
    case = escalated_to_missing_mondays(cme_score=5, safeguarding_score=4)
    case.apply_review_decision(
        RiskBand.HI, ReviewDecision.KEEP_OPEN, SENIOR, at(days=10), next_review, lead_officer_id=LEAD
    )
    return case


# ---------------------------------------------------------------------- App. D enquiry deadline


def test_the_enquiry_deadline_task_is_raised_three_school_days_before_the_due_date() -> None:
    case = allocated_case(due_date=date(2026, 3, 30))  # a Monday; three school days before: Wednesday 25th
    assert enquiry_deadline_task(case, date(2026, 3, 24)) is None
    first = enquiry_deadline_task(case, date(2026, 3, 25))
    again = enquiry_deadline_task(case, date(2026, 3, 25))
    assert first is not None and again is not None
    assert (first.kind, first.due_on, first.assignee_id, first.priority) == (
        TaskKind.ENQUIRY_DEADLINE, date(2026, 3, 30), OFFICER, Priority.P3,
    )
    assert first.natural_key == again.natural_key
    # Later days owe the same task, not another one.
    later = enquiry_deadline_task(case, date(2026, 4, 20))
    assert later is not None and later.natural_key == first.natural_key


def test_an_unallocated_case_s_deadline_is_a_team_task_and_a_closed_case_owes_none() -> None:
    case = allocated_case(due_date=date(2026, 3, 30))
    case.officer_id = None
    draft = enquiry_deadline_task(case, date(2026, 3, 30))
    assert draft is not None and draft.assignee_id is None
    case.close(ClosureReason.DIED, OFFICER, at(days=3))
    assert case_tasks_due(case, date(2026, 3, 30)) == []


# ---------------------------------------------------------------------- end of compulsory school age


def test_the_past_school_age_prompt_is_raised_the_day_after_the_school_leaving_date() -> None:
    case = allocated_case()  # born 1 May 2014: school leaving date Friday 28 June 2030
    assert past_school_age_task(case, date(2030, 6, 28)) is None
    first = past_school_age_task(case, date(2030, 6, 29))
    again = past_school_age_task(case, date(2030, 6, 29))
    assert first is not None and again is not None
    assert (first.kind, first.due_on) == (TaskKind.PAST_COMPULSORY_SCHOOL_AGE, date(2030, 6, 29))
    assert first.natural_key == again.natural_key


# ---------------------------------------------------------------------- day-6 alternative provision check


def test_the_exclusion_check_falls_due_on_the_sixth_school_day_after_the_exclusion() -> None:
    leaver = ExclusionLeaver(child_id="child-9", excluded_on=date(2026, 3, 2))  # a Monday
    assert add_school_days(date(2026, 3, 2), 6) == date(2026, 3, 10)
    assert exclusion_ap_task(leaver, date(2026, 3, 9)) is None
    first = exclusion_ap_task(leaver, date(2026, 3, 10))
    again = exclusion_ap_task(leaver, date(2026, 3, 10))
    assert first is not None and again is not None
    assert (first.kind, first.due_on, first.assignee_id, first.case_id) == (
        TaskKind.EXCLUSION_AP_CHECK, date(2026, 3, 10), None, None,
    )
    assert first.natural_key == again.natural_key


def test_bank_holidays_are_not_school_days_in_the_exclusion_count() -> None:
    # Excluded Thursday 2 April 2026: Good Friday (3rd) and Easter Monday (6th) are bank holidays.
    leaver = ExclusionLeaver(child_id="child-9", excluded_on=date(2026, 4, 2))
    draft = exclusion_ap_task(leaver, date(2026, 5, 1))
    assert draft is not None and draft.due_on == date(2026, 4, 14)
    assert exclusion_ap_task(leaver, date(2026, 4, 13)) is None


# ---------------------------------------------------------------------- further review (HI kept open)


def test_a_further_review_reminder_is_raised_five_school_days_before_the_next_review() -> None:
    case = kept_open_hi(date(2027, 3, 12))  # a Friday; five school days before: Friday 5 March
    assert further_review_task(case, date(2027, 3, 4)) is None
    first = further_review_task(case, date(2027, 3, 5))
    again = further_review_task(case, date(2027, 3, 5))
    assert first is not None and again is not None
    assert (first.kind, first.due_on, first.assignee_id) == (TaskKind.FURTHER_REVIEW, date(2027, 3, 12), LEAD)
    assert first.natural_key == again.natural_key
    # A case waiting on its further review owes no enquiry-deadline task.
    assert enquiry_deadline_task(case, date(2027, 3, 5)) is None


# ---------------------------------------------------------------------- tasks from officers and events


def test_a_follow_up_is_for_the_officer_on_the_day_they_chose() -> None:
    case = allocated_case()
    draft = follow_up(case, kind=TaskKind.FOLLOW_UP_CONTACT, due_on=date(2026, 3, 9), officer_id=OFFICER,
                      what="Phone contact", key="v3")
    assert (draft.due_on, draft.assignee_id, draft.case_id) == (date(2026, 3, 9), OFFICER, case.case_id)
    with pytest.raises(InvalidRecord):
        follow_up(case, kind=TaskKind.RECHECK, due_on=date(2026, 3, 9), officer_id=OFFICER, what="x", key="v3")


def test_an_officer_task_needs_words_and_an_open_case() -> None:
    case = allocated_case()
    with pytest.raises(InvalidRecord, match="what needs doing"):
        officer_task(case, title="  ", due_on=date(2026, 3, 9), assignee_id=None, key="k")
    case.close(ClosureReason.DIED, OFFICER, at(days=3))
    with pytest.raises(InvalidRecord, match="closed"):
        officer_task(case, title="Ring the school", due_on=date(2026, 3, 9), assignee_id=None, key="k")


def test_a_recheck_is_keyed_by_its_due_date_and_goes_to_the_lead_officer() -> None:
    case = kept_open_hi(date(2027, 3, 12))
    first = recheck_task(case, date(2026, 4, 13))
    assert first is not None and first.assignee_id == LEAD
    again = recheck_task(case, date(2026, 4, 13))
    assert again is not None and again.natural_key == first.natural_key


# ---------------------------------------------------------------------- completing, and the diary's order


def test_a_task_is_completed_once_with_an_outcome() -> None:
    task = follow_up(allocated_case(), kind=TaskKind.FOLLOW_UP_CHECK, due_on=date(2026, 3, 9), officer_id=OFFICER,
                     what="Housing", key="v1").as_task("t-1", DONE_AT, OFFICER)
    with pytest.raises(InvalidRecord, match="outcome"):
        task.complete(OFFICER, DONE_AT, "   ")
    done = task.complete(OFFICER, DONE_AT, "Rang housing: no new address")
    assert (done.state, done.completed_by, done.outcome_note) == (
        TaskState.COMPLETED, OFFICER, "Rang housing: no new address",
    )
    assert not done.is_overdue(date(2030, 1, 1))
    with pytest.raises(InvalidRecord, match="already done"):
        done.complete(OFFICER, DONE_AT, "again")


def test_the_diary_lists_by_due_date_then_priority_and_flags_overdue_tasks() -> None:
    p3 = allocated_case("case-a", priority=Priority.P3)
    p1 = allocated_case("case-b", priority=Priority.P1)
    soon_p3 = officer_task(p3, title="a", due_on=date(2026, 3, 9), assignee_id=None, key="1").as_task(
        "t-1", DONE_AT, OFFICER)
    soon_p1 = officer_task(p1, title="b", due_on=date(2026, 3, 9), assignee_id=None, key="2").as_task(
        "t-2", DONE_AT, OFFICER)
    earlier = officer_task(p3, title="c", due_on=date(2026, 3, 5), assignee_id=None, key="3").as_task(
        "t-3", DONE_AT, OFFICER)
    assert [task.task_id for task in diary_order([soon_p3, soon_p1, earlier])] == ["t-3", "t-2", "t-1"]
    assert earlier.is_overdue(date(2026, 3, 6)) and not earlier.is_overdue(date(2026, 3, 5))


def test_a_lost_pupil_ctf_is_a_check_for_the_team_or_the_case_s_officer_keyed_by_child_and_day() -> None:
    without_case = lost_pupil_ctf_task("child-7", None, date(2026, 3, 4), "Test Child")
    assert (without_case.assignee_id, without_case.case_id, without_case.due_on, without_case.priority) == (
        None, None, date(2026, 3, 4), Priority.P2,
    )
    case = allocated_case(priority=Priority.P1)
    with_case = lost_pupil_ctf_task(case.child_id, case, date(2026, 3, 4), "Test Child")
    assert (with_case.assignee_id, with_case.case_id, with_case.priority) == (OFFICER, case.case_id, Priority.P1)
    assert lost_pupil_ctf_task(case.child_id, case, date(2026, 3, 4), "").natural_key == with_case.natural_key
