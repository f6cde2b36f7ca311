"""The outcome of a Missing Mondays whereabouts-unknown review."""

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from contracts import topics
from contracts.base import Event


class RiskBand(StrEnum):
    LO = "LO"
    MED = "MED"
    HI = "HI"


class ReviewDecided(Event):
    event_type: ClassVar[str] = "cme.review.decided.v1"
    topic: ClassVar[str] = topics.REVIEW_DECIDED

    review_id: UUID
    case_id: UUID
    child_id: UUID
    decided_at: datetime
    cme_score: int = Field(ge=1, le=5)
    safeguarding_score: int = Field(ge=1, le=5)
    risk_band: RiskBand
    may_close: bool = Field(description="False for HI: the case must not be closed")
    needs_senior_sign_off: bool
    next_review_date: date | None = None
    recommendation: str
