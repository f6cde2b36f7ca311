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


class ClosureDecision(StrEnum):
    CLOSE = "close"
    REMAIN_OPEN = "remain_open"


class ReviewSignedOff(Event):
    """The senior officer signed off a Missing Mondays review form (policy §10.3, App. F): the decision for the
    case, who signed it and when. Published only after the objection window closed with no open concern."""

    event_type: ClassVar[str] = "cme.review.signed_off.v1"
    topic: ClassVar[str] = topics.REVIEW_DECIDED

    review_id: UUID
    case_id: UUID
    child_id: UUID
    signed_off_at: datetime
    risk_band: RiskBand
    cme_score: int = Field(ge=1, le=5)
    safeguarding_score: int = Field(ge=1, le=5)
    decision: ClosureDecision
    senior_officer_id: str
    senior_officer_name: str
    senior_officer_role: str
    comments: str = ""
    next_review_date: date | None = Field(
        default=None, description="For 'remain open': the next review, 12 calendar months after the meeting"
    )
    lead_officer_id: str | None = Field(default=None, description="The chair, who keeps oversight (policy §10.4)")


class ReviewProgressed(Event):
    """A step of a Missing Mondays review before its sign-off, for the case timeline: on an agenda, scored and
    circulated, a concern raised, passed to the senior officer, withdrawn. Summaries carry no personal data."""

    event_type: ClassVar[str] = "cme.review.progressed.v1"
    topic: ClassVar[str] = topics.REVIEW_DECIDED

    review_id: UUID
    case_id: UUID
    child_id: UUID
    at: datetime
    step: str = Field(description="agenda_item_added, scored, concern_raised, passed_to_senior_officer, withdrawn")
    summary: str
    meeting_date: date
    actor: str


class RecheckDue(Event):
    """Policy §10.5: a periodic database re-check is due on a case kept open after review, for the lead officer."""

    event_type: ClassVar[str] = "cme.review.recheck_due.v1"
    topic: ClassVar[str] = topics.REVIEW_DECIDED

    review_id: UUID
    case_id: UUID
    child_id: UUID
    due_on: date
    next_review_date: date | None = None
