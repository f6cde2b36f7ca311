from datetime import date

from services.casework.domain.allocation import is_overdue, queue_order, working_due_date, workload
from services.casework.domain.case import (
    ClosureDetails,
    ClosureReason,
    Priority,
    ReviewDecision,
    RiskBand,
)
from services.casework.tests.factories import (
    OFFICER,
    SENIOR,
    TEAM_LEAD,
    allocated_case,
    at,
    escalated_to_missing_mondays,
    open_case,
)


def test_queue_orders_by_priority_then_due_date_then_opened_at() -> None:
    p3_early = open_case("p3-early", priority=Priority.P3, due_date=date(2026, 3, 10))
    p1_late = open_case("p1-late", priority=Priority.P1, due_date=date(2026, 4, 30))
    p2_due_soon = open_case("p2-due-soon", priority=Priority.P2, due_date=date(2026, 3, 20))
    p2_due_later = open_case("p2-due-later", priority=Priority.P2, due_date=date(2026, 3, 25))
    p2_same_due_opened_later = open_case(
        "p2-opened-later",
        priority=Priority.P2,
        due_date=date(2026, 3, 20),
        opened_at=at(hours=3),
    )

    ordered = queue_order([p3_early, p2_due_later, p2_same_due_opened_later, p1_late, p2_due_soon])

    assert [case.case_id for case in ordered] == [
        "p1-late",
        "p2-due-soon",
        "p2-opened-later",
        "p2-due-later",
        "p3-early",
    ]


def test_queue_holds_only_open_unallocated_cases() -> None:
    waiting = open_case("waiting")
    allocated = allocated_case("allocated")
    closed = open_case("closed")
    closed.close(ClosureReason.DUPLICATE, TEAM_LEAD, at(days=1), ClosureDetails(duplicate_of="waiting"))

    assert queue_order([allocated, closed, waiting]) == [waiting]


def test_queue_breaks_full_ties_by_case_id() -> None:
    second = open_case("case-b")
    first = open_case("case-a")

    assert [case.case_id for case in queue_order([second, first])] == ["case-a", "case-b"]


def test_workload_counts_open_cases_per_officer() -> None:
    first = allocated_case("case-1")
    second = allocated_case("case-2")
    other_officer = open_case("case-3")
    other_officer.allocate("officer-2", TEAM_LEAD, at(hours=1))
    closed = allocated_case("case-4")
    closed.close(ClosureReason.MOVED_ABROAD, OFFICER, at(days=2), ClosureDetails(destination_country="Spain"))
    unallocated = open_case("case-5")

    assert workload([first, second, other_officer, closed, unallocated]) == {OFFICER: 2, "officer-2": 1}


def test_a_case_is_overdue_the_day_after_its_due_date() -> None:
    case = allocated_case(due_date=date(2026, 3, 30))

    assert not is_overdue(case, date(2026, 3, 30))
    assert is_overdue(case, date(2026, 3, 31))


def test_closed_cases_and_cases_waiting_on_others_are_not_overdue() -> None:
    closed = allocated_case("closed", due_date=date(2026, 3, 5))
    closed.close(ClosureReason.MOVED_ABROAD, OFFICER, at(days=1), ClosureDetails(destination_country="Spain"))
    awaiting_la = allocated_case("awaiting", due_date=date(2026, 3, 5))
    awaiting_la.close(ClosureReason.MOVED_TO_OTHER_LA, OFFICER, at(days=1), ClosureDetails(la_code="330"))

    today = date(2026, 6, 1)
    assert not is_overdue(closed, today)
    assert not is_overdue(awaiting_la, today)


def test_a_case_at_missing_mondays_stays_in_the_overdue_lists_until_its_decision_arrives() -> None:
    at_missing_mondays = escalated_to_missing_mondays("mm")  # escalated on 4 March 2026

    assert working_due_date(at_missing_mondays) == date(2026, 3, 18)
    assert not is_overdue(at_missing_mondays, date(2026, 3, 18))
    assert is_overdue(at_missing_mondays, date(2026, 3, 19))


def test_a_case_kept_open_after_review_is_due_on_its_next_review_date() -> None:
    case = escalated_to_missing_mondays()
    case.apply_review_decision(RiskBand.HI, ReviewDecision.KEEP_OPEN, SENIOR, at(days=9), date(2027, 3, 11))

    assert working_due_date(case) == date(2027, 3, 11)
    assert not is_overdue(case, date(2027, 3, 11))
    assert is_overdue(case, date(2027, 3, 12))
