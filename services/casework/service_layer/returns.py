"""The returns behind a case (issue 8): every triage decision that reaches a case keeps the submission it came
from (type, leaving ground, leaving date, destination, school, who sent it, when, and its documents) so the case
page can show them. A later return for the same child adds a row; a redelivered decision adds none.

It sits in the chain of triage handlers (composition root): the decision is handled first (a case opened,
attached, reopened or closed), then its return is kept against the child's open case, or, when the decision
closed the case, against that case.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from cme_runtime.db import Transaction
from contracts.envelope import CloudEventAttributes
from contracts.events.triage_v1 import TriageDecided
from services.casework.adapters.repository import CaseRepository
from services.casework.adapters.returns import CaseReturns, ReturnRecord
from services.casework.domain.case import Case

TriageHandler = Callable[[Transaction, CloudEventAttributes, TriageDecided], Awaitable[None]]


def _json(part: Any) -> dict[str, Any] | None:
    return None if part is None else dict(part.model_dump(mode="json", exclude_none=True))


def return_record(decision: TriageDecided, case_id: str) -> ReturnRecord:
    ground = decision.leaving_ground
    return ReturnRecord(
        referral_id=str(decision.referral_id),
        case_id=case_id,
        child_id=str(decision.child_id),
        kind=decision.kind.value,
        submission_id=decision.submission_id,
        leaving_ground=ground.code if ground else None,
        legal_source=ground.legal_source.value if ground else None,
        leaving_date=decision.referral_date if ground else None,
        school=_json(decision.school),
        destination=_json(decision.destination),
        referrer=_json(decision.referrer),
        documents=[document.model_dump(mode="json", exclude_none=True) for document in decision.documents],
        received_at=decision.received_at,
    )


def case_for(cases: list[Case]) -> Case | None:
    """The case a decision's return belongs to: the child's open case, else the one most recently opened."""
    open_case = next((case for case in cases if case.is_open), None)
    if open_case is not None:
        return open_case
    return max(cases, key=lambda case: case.opened_at, default=None)


class ReturnsService:
    def __init__(self, returns: CaseReturns, repository: CaseRepository, then: TriageHandler) -> None:
        self.returns = returns
        self.repository = repository
        self._then = then

    async def on_triage_decided(
        self, session: Transaction, attributes: CloudEventAttributes, decision: TriageDecided
    ) -> None:
        await self._then(session, attributes, decision)
        case = case_for(await self.repository.for_child(session, str(decision.child_id)))
        if case is None:
            # Not missing education and no case: nothing on a case to show it on.
            return
        await self.returns.add(session, return_record(decision, case.case_id))

    async def for_case(self, session: Transaction, case_id: str) -> list[ReturnRecord]:
        return await self.returns.for_case(session, case_id)
