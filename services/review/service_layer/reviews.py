"""Review's service layer: turn a Missing Mondays escalation into a scored review outcome."""

from datetime import datetime
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from cme_runtime.outbox import Outbox
from contracts.envelope import CloudEventAttributes
from contracts.events.case_v1 import CaseEscalated, EscalationKind
from contracts.events.review_v1 import ReviewDecided
from contracts.events.review_v1 import RiskBand as ContractRiskBand
from services.review.adapters.tables import reviews
from services.review.domain.risk import review


class ReviewService:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def on_case_escalated(
        self, session: AsyncSession, attributes: CloudEventAttributes, event: CaseEscalated
    ) -> None:
        """A case escalated to Missing Mondays with its scores is reviewed and the risk band published."""
        if event.kind is not EscalationKind.MISSING_MONDAYS:
            return
        if event.cme_score is None or event.safeguarding_score is None:
            return
        decided_at = datetime.now(attributes.time.tzinfo)
        outcome = review(event.cme_score, event.safeguarding_score, decided_at.date())
        review_id = uuid4()
        await session.execute(
            reviews.insert().values(
                review_id=review_id,
                case_id=event.case_id,
                child_id=event.child_id,
                escalation_event_id=attributes.id,
                cme_score=event.cme_score,
                safeguarding_score=event.safeguarding_score,
                risk_band=outcome.risk_band.value,
                recommendation=outcome.recommendation,
                next_review_date=outcome.next_review_date,
                decided_at=decided_at,
            )
        )
        await self.outbox.add(
            session,
            ReviewDecided(
                review_id=review_id,
                case_id=event.case_id,
                child_id=event.child_id,
                decided_at=decided_at,
                cme_score=event.cme_score,
                safeguarding_score=event.safeguarding_score,
                risk_band=ContractRiskBand(outcome.risk_band.value),
                may_close=outcome.may_close,
                needs_senior_sign_off=outcome.needs_senior_sign_off,
                next_review_date=outcome.next_review_date,
                recommendation=outcome.recommendation,
            ),
            key=event.child_id,
            subject=event.case_id,
        )
