"""What intake's identity decisions do to cases: two records of one child become one case, and back.

Intake merges child records (`ChildrenMerged`) when an officer confirms two are one child, or when an exact
permanent UPN proves it. Casework keeps one living case per child, so the children's cases become one:

* Each child is represented by its current case: the open one, else the one opened last.
* An open case beats a closed one (the child's live work must not end up inside a closed case); between two
  alike the earliest opened survives, so the reference officers have quoted longest is kept, whichever child id
  survives in intake.
* The other case is marked merged: closed for lists, queues and counts, read-only (every officer action needs an
  open case), with what it was before kept so that an undo reopens it exactly as it was.
* Later events about either child id go to the surviving case's child (an alias). With one case, the case simply
  gains the alias; with none, the alias points at intake's surviving child.

Timeline entries never move: the surviving case shows the merged case's entries beside its own, each under its
own case reference, so undoing the merge needs nothing split apart, and what was added after the merge stays on
the surviving case.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.casework.domain.case import Case
from services.casework.domain.vocabulary import Status


@dataclass(frozen=True)
class CaseMergePlan:
    surviving_case: Case | None
    merged_case: Case | None
    case_child_id: str
    """The child id whose case holds the work from now on: events for `alias_child_id` are sent here."""
    alias_child_id: str


@dataclass(frozen=True)
class MergedCaseMemo:
    """What a merged case was before the merge, so that undoing it reopens the case as it was."""

    status: Status
    closed_at: datetime | None


def current_case(cases: Sequence[Case]) -> Case | None:
    """The case that stands for a child: its open case (there is at most one), else the one opened last."""
    open_cases = [case for case in cases if case.is_open]
    if open_cases:
        return open_cases[0]
    return max(cases, key=lambda case: (case.opened_at, case.case_id), default=None)


def _survives(first: Case, second: Case) -> bool:
    """True when `first` should survive a merge with `second`: open beats closed, then the earliest opened."""
    return (not first.is_open, first.opened_at, first.case_id) <= (not second.is_open, second.opened_at, second.case_id)


def plan_merge(
    surviving_child_id: str,
    merged_child_id: str,
    surviving_child_cases: Sequence[Case],
    merged_child_cases: Sequence[Case],
) -> CaseMergePlan:
    """Which case survives intake's merge of `merged_child_id` into `surviving_child_id`, and where events go."""
    if surviving_child_id == merged_child_id:
        raise ValueError("a child cannot be merged into itself")
    kept, other = current_case(surviving_child_cases), current_case(merged_child_cases)
    if other is not None and (kept is None or not _survives(kept, other)):
        # The merged child's case survives: the surviving child's events go to it.
        return CaseMergePlan(other, kept, case_child_id=merged_child_id, alias_child_id=surviving_child_id)
    return CaseMergePlan(kept, other, case_child_id=surviving_child_id, alias_child_id=merged_child_id)


def mark_merged(case: Case, at: datetime) -> MergedCaseMemo:
    """Take `case` out of the open work: closed for every list and count, and read-only, until an undo."""
    memo = MergedCaseMemo(status=case.status, closed_at=case.closed_at)
    case.status = Status.CLOSED
    if case.closed_at is None:
        case.closed_at = at
    case.version += 1
    return memo


def restore_merged(case: Case, memo: MergedCaseMemo) -> None:
    """Undo `mark_merged`: the case is exactly as it was before, whatever it was."""
    case.status = memo.status
    case.closed_at = memo.closed_at
    case.version += 1


def merged_summary(surviving_reference: str) -> str:
    return f"Merged into case {surviving_reference}: intake found both records are one child"


def survivor_summary(merged_reference: str | None) -> str:
    if merged_reference is None:
        return "Intake found another record of this child: its referrals now come to this case"
    return f"Case {merged_reference} merged into this case: intake found both records are one child"


def undone_summary(other_reference: str | None) -> str:
    if other_reference is None:
        return "Merge undone: the other child record's referrals no longer come to this case"
    return f"Merge with case {other_reference} undone: the two cases are separate again"
