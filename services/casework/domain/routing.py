"""Where a new referral about a child goes: a child has at most one open case."""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from services.casework.domain.case_state import CaseState
from services.casework.domain.errors import InvalidRecord, MoreThanOneOpenCase
from services.casework.domain.vocabulary import ClosureReason


class RouteAction(StrEnum):
    OPEN_NEW = "open_new"
    ATTACH = "attach"
    REOPEN = "reopen"


@dataclass(frozen=True)
class ReferralRoute:
    action: RouteAction
    case_id: str | None


def route_referral(child_cases: Iterable[CaseState]) -> ReferralRoute:
    """Where a new referral about a child goes, given all that child's cases.

    Attach to the open case; else reopen the most recently closed case that was not a duplicate; else open a
    new one. More than one open case breaks the suite's invariant and is reported, not guessed at.
    """
    cases = list(child_cases)
    if len({case.child_id for case in cases}) > 1:
        raise InvalidRecord("route_referral expects the cases of one child")
    open_cases = [case for case in cases if case.is_open]
    if len(open_cases) > 1:
        ids = ", ".join(sorted(case.case_id for case in open_cases))
        raise MoreThanOneOpenCase(f"child has more than one open case: {ids}")
    if open_cases:
        return ReferralRoute(RouteAction.ATTACH, open_cases[0].case_id)
    reopenable = [
        case
        for case in cases
        if case.closed_at is not None
        and not (case.outcome is not None and case.outcome.reason is ClosureReason.DUPLICATE)
    ]
    if reopenable:
        latest = max(reopenable, key=lambda case: (case.closed_at or case.opened_at, case.case_id))
        return ReferralRoute(RouteAction.REOPEN, latest.case_id)
    return ReferralRoute(RouteAction.OPEN_NEW, None)
