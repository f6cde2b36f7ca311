"""Case lifecycle events from casework, all on one topic keyed by child id."""

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from contracts import topics
from contracts.base import Event
from contracts.events.common_v1 import Child, Part, Safeguarding, School
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
    flags_raised: tuple[str, ...] = Field(
        default=(), description="On change=flags_raised: the coded flags newly set (cla, cp, cin, ehcp, ...)"
    )
    safeguarding: Safeguarding | None = Field(
        default=None,
        description="On flags_raised and reopened: the case's social-care facts after the change, for notify",
    )


class EscalationKind(StrEnum):
    MISSING_MONDAYS = "missing_mondays"
    FAIR_ACCESS_PROTOCOL = "fap"
    SCHOOL_ATTENDANCE_ORDER = "sao"
    SECTION_19 = "s19"
    CCAS = "ccas"


class ChildOnReviewForm(Part):
    """A child as the Missing Mondays review form lists them (App. F)."""

    given_name: str
    family_name: str
    date_of_birth: date | None = None
    previous_school: str | None = None
    last_day_in_school: date | None = None


class ChecklistSummaryLine(Part):
    """One App. F check on the review form: done or not applicable, with the date and the officer's initials."""

    check: str
    group: str
    status: str
    on: date
    initials: str


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
    children: list[ChildOnReviewForm] = Field(
        default_factory=list, description="Missing Mondays: the children the review form lists"
    )
    checklist: list[ChecklistSummaryLine] = Field(
        default_factory=list, description="Missing Mondays: the App. F checklist summary for the form"
    )
    added_by_chair_reason: str | None = Field(
        default=None,
        max_length=10_000,
        description="Missing Mondays: the chair put the case on the agenda, and why (free text that may name the "
        "child: show it, never log it). Absent for an officer's escalation with a complete checklist",
    )


class CaseClosed(Event):
    event_type: ClassVar[str] = "cme.case.closed.v1"
    topic: ClassVar[str] = topics.CASE_LIFECYCLE

    case_id: UUID
    child_id: UUID
    closed_at: datetime
    reason: str
    closed_by: str
