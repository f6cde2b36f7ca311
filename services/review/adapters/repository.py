"""Missing Mondays reviews as rows: one per escalation reviewed."""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from cme_runtime.db import Transaction
from services.review.adapters.tables import reviews
from services.review.domain.risk import ReviewOutcome


@dataclass(frozen=True)
class Review:
    """One review of a case escalated to Missing Mondays: the scores it was given and what they mean."""

    review_id: UUID
    case_id: UUID
    child_id: UUID
    escalation_event_id: str
    cme_score: int
    safeguarding_score: int
    outcome: ReviewOutcome
    decided_at: datetime


class ReviewRepository(ABC):
    """The port review's service layer keeps its reviews through."""

    @abstractmethod
    async def add(self, session: Transaction, review: Review) -> None:
        """Keep `review` in the caller's transaction."""


class SqlReviewRepository(ReviewRepository):
    async def add(self, session: Transaction, review: Review) -> None:
        await session.execute(
            reviews.insert().values(
                review_id=review.review_id,
                case_id=review.case_id,
                child_id=review.child_id,
                escalation_event_id=review.escalation_event_id,
                cme_score=review.cme_score,
                safeguarding_score=review.safeguarding_score,
                risk_band=review.outcome.risk_band.value,
                recommendation=review.outcome.recommendation,
                next_review_date=review.outcome.next_review_date,
                decided_at=review.decided_at,
            )
        )
