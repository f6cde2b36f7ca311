"""Case lifecycle events from casework, all on one topic keyed by child id."""

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from contracts import topics
from contracts.base import Event
from contracts.events.common_v1 import Child, Safeguarding, School
from contracts.events.triage_v1 import Priority, Track


class CaseOpened(Event):
    event_type: ClassVar[str] = "cme.case.opened.v1"
    topic: ClassVar[str] = topics.CASE_LIFECYCLE

    case_id: UUID
    child_id: UUID
    referral_id: UUID
    opened_at: datetime
    priority: Priority
    track: Track
    due_date: date | None = None
    child: Child
    school: School | None = None
    safeguarding: Safeguarding = Safeguarding()


class CaseUpdated(Event):
    event_type: ClassVar[str] = "cme.case.updated.v1"
    topic: ClassVar[str] = topics.CASE_LIFECYCLE

    case_id: UUID
    child_id: UUID
    updated_at: datetime
    change: str = Field(description="What kind of change, e.g. allocated, check_recorded, referral_attached")
    summary: str = Field(description="Timeline text without personal data")
    status: str
    priority: Priority | None = None
    officer_id: str | None = None


class EscalationKind(StrEnum):
    MISSING_MONDAYS = "missing_mondays"
    FAIR_ACCESS_PROTOCOL = "fap"
    SCHOOL_ATTENDANCE_ORDER = "sao"
    SECTION_19 = "s19"
    CCAS = "ccas"


class CaseEscalated(Event):
    event_type: ClassVar[str] = "cme.case.escalated.v1"
    topic: ClassVar[str] = topics.CASE_LIFECYCLE

    case_id: UUID
    child_id: UUID
    escalated_at: datetime
    kind: EscalationKind
    cme_score: int | None = Field(default=None, ge=1, le=5)
    safeguarding_score: int | None = Field(default=None, ge=1, le=5)
    escalated_by: str


class CaseClosed(Event):
    event_type: ClassVar[str] = "cme.case.closed.v1"
    topic: ClassVar[str] = topics.CASE_LIFECYCLE

    case_id: UUID
    child_id: UUID
    closed_at: datetime
    reason: str
    closed_by: str
