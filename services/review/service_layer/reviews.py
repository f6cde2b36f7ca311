"""Review's service layer: turn a Missing Mondays escalation into a scored review outcome."""

from datetime import datetime, tzinfo
from uuid import uuid4

from cme_runtime.clock import Clock, utc_now
from cme_runtime.db import Transaction
from cme_runtime.outbox import EventOutbox
from contracts.envelope import CloudEventAttributes
from contracts.events.case_v1 import CaseEscalated, EscalationKind
from contracts.events.review_v1 import ReviewDecided
from contracts.events.review_v1 import RiskBand as ContractRiskBand
from services.review.adapters.repository import Review, ReviewRepository
from services.review.domain.risk import review


class ReviewService:
    def __init__(self, outbox: EventOutbox, reviews: ReviewRepository, clock: Clock = utc_now) -> None:
        self.outbox = outbox
        self.reviews = reviews
        self.clock = clock

    def _now_in(self, zone: tzinfo | None) -> datetime:
        """The time now in the escalation's own zone (its review date is that zone's date); naive local time
        for an escalation that carries no zone."""
        now = self.clock()
        return now.astimezone(zone) if zone is not None else now.astimezone().replace(tzinfo=None)

    async def on_case_escalated(
        self, session: Transaction, attributes: CloudEventAttributes, event: CaseEscalated
    ) -> None:
        """A case escalated to Missing Mondays with its scores is reviewed and the risk band published."""
        if event.kind is not EscalationKind.MISSING_MONDAYS:
            return
        if event.cme_score is None or event.safeguarding_score is None:
            return
        decided_at = self._now_in(attributes.time.tzinfo)
        outcome = review(event.cme_score, event.safeguarding_score, decided_at.date())
        review_id = uuid4()
        await self.reviews.add(
            session,
            Review(
                review_id=review_id,
                case_id=event.case_id,
                child_id=event.child_id,
                escalation_event_id=attributes.id,
                cme_score=event.cme_score,
                safeguarding_score=event.safeguarding_score,
                outcome=outcome,
                decided_at=decided_at,
            ),
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
