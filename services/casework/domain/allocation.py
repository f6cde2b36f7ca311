"""The engagement manager's allocation queue, officers' workloads and overdue cases (App. D, App. E)."""

from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Final

from services.casework.domain.case import Case
from services.casework.domain.vocabulary import EscalationKind, Status

REVIEW_DECISION_EXPECTED_WITHIN: Final = timedelta(days=14)


def queue_order(cases: Iterable[Case]) -> list[Case]:
    """Open cases awaiting allocation, most urgent first: priority (P1 first), then due date, then opened_at.

    The case id breaks remaining ties so that every officer sees the same order.
    """
    waiting = [case for case in cases if case.status is Status.TRIAGED]
    return sorted(
        waiting,
        key=lambda case: (case.priority.urgency_rank, case.due_date, case.opened_at, case.case_id),
    )


def workload(cases: Iterable[Case]) -> dict[str, int]:
    """Open cases allocated to each officer, by officer id. Officers with no open case are not listed."""
    counts = Counter(case.officer_id for case in cases if case.is_open and case.officer_id is not None)
    return {officer_id: counts[officer_id] for officer_id in sorted(counts)}


def working_due_date(case: Case) -> date | None:
    """The date the next piece of work on an open case falls due, or None when the case waits on others.

    A case waiting for an outcome to complete (acknowledgement) is not the officer's to progress. A case
    escalated to Missing Mondays is due for its decision within `REVIEW_DECISION_EXPECTED_WITHIN` of the
    escalation (the meeting, then the objection window until the following one), so a review that stalls shows
    as overdue instead of vanishing from the lists. A case kept open after review is due on its next review
    date; any other open case on its enquiry due date.
    """
    if not case.is_open or case.status is Status.OUTCOME_RECORDED:
        return None
    if case.missing_mondays_pending:
        escalated = [each.at.date() for each in case.escalations if each.kind is EscalationKind.MISSING_MONDAYS]
        # Back before a meeting after an earlier decision: due from that meeting, not the first escalation.
        since = [*escalated, *([case.review_meeting_on] if case.review_meeting_on else [])]
        return (max(since) if since else case.due_date) + REVIEW_DECISION_EXPECTED_WITHIN
    if case.review_decision is not None and case.review_decision.next_review_date is not None:
        if case.recheck_due_on is not None:
            return min(case.recheck_due_on, case.review_decision.next_review_date)
        return case.review_decision.next_review_date
    return case.due_date


def is_overdue(case: Case, today: date) -> bool:
    """True when the case's working due date has passed (a case due today is not yet overdue)."""
    due = working_due_date(case)
    return due is not None and due < today
