"""Case lifecycle events from casework, all on one topic keyed by child id."""

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from contracts import topics
from contracts.base import Event
from contracts.events.common_v1 import Address, Child, LaCode, Part, Safeguarding, School
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


class AuthorityContactKind(StrEnum):
    REFERRAL = "referral"  # the child has moved to that authority's area: a CME referral (policy §4.1)
    ENQUIRY = "enquiry"  # is this child known to you? (§11.5)


class CaseReferredToAuthority(Event):
    """An officer sent the case to another authority: a CME referral to the area the child moved to, or an enquiry
    whether that authority knows the child. Notify signs and sends it through the cross-LA exchange. Carries the
    child's details because the receiving team needs them to find the child; never log them."""

    event_type: ClassVar[str] = "cme.case.referred_to_authority.v1"
    topic: ClassVar[str] = topics.CASE_LIFECYCLE

    case_id: UUID
    child_id: UUID
    referred_at: datetime
    officer_id: str = Field(max_length=200)
    to_la: LaCode
    kind: AuthorityContactKind
    child: Child
    last_known_address: Address | None = None
    believed_address: Address | None = Field(default=None, description="Where the child may now live")
    previous_school: School | None = None
    left_school_on: date | None = None
    reason: str = Field(min_length=1, max_length=2000, description="Why the officer believes the child is there")
