"""Domain events a case records. The case never publishes them: the unit of work drains `Case.events`.

Every event names the case, the case version it produced, when, who (a user id, or "system"), its kind and a
`summary` for the case timeline. Summaries are built only from coded values and ids, never from a child's
personal data or from free text; free text an officer typed travels in the event's own fields (`note`,
`text`, `outcome`), for the adapters to store with the case.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

from services.casework.domain.checklist import CheckGroup, CheckType
from services.casework.domain.records import ClosureDetails
from services.casework.domain.vocabulary import (
    CheckStatus,
    ClosureReason,
    ContactMethod,
    ContactResult,
    EscalationKind,
    JointEnquiryParty,
    Priority,
    ReviewDecision,
    RiskBand,
    Track,
)


@dataclass(frozen=True, kw_only=True)
class CaseEvent:
    kind: ClassVar[str]
    case_id: str
    case_version: int
    at: datetime
    actor: str
    summary: str


@dataclass(frozen=True, kw_only=True)
class CaseOpened(CaseEvent):
    kind: ClassVar[str] = "case.opened"
    child_id: str
    referral_id: str
    priority: Priority
    track: Track
    due_date: date


@dataclass(frozen=True, kw_only=True)
class ReferralAttached(CaseEvent):
    kind: ClassVar[str] = "case.referral_attached"
    referral_id: str
    assessed_priority: Priority
    priority_before: Priority
    priority_after: Priority


@dataclass(frozen=True, kw_only=True)
class PriorityChanged(CaseEvent):
    kind: ClassVar[str] = "case.priority_changed"
    priority_before: Priority
    priority_after: Priority
    reason: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class FlagsRaised(CaseEvent):
    kind: ClassVar[str] = "case.flags_raised"
    flags: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class CaseReopened(CaseEvent):
    kind: ClassVar[str] = "case.reopened"
    referral_id: str
    reopen_count: int
    officer_kept: bool
    reason: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class CaseAllocated(CaseEvent):
    kind: ClassVar[str] = "case.allocated"
    officer_id: str
    previous_officer_id: str | None


@dataclass(frozen=True, kw_only=True)
class EnquiriesStarted(CaseEvent):
    kind: ClassVar[str] = "case.enquiries_started"


@dataclass(frozen=True, kw_only=True)
class CheckRecorded(CaseEvent):
    kind: ClassVar[str] = "case.check_recorded"
    check: CheckType
    group: CheckGroup
    status: CheckStatus
    on: date
    officer_id: str
    officer_initials: str
    school_safeguarding_concern: bool | None
    outcome: str = field(repr=False)
    note: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class ContactRecorded(CaseEvent):
    kind: ClassVar[str] = "case.contact_recorded"
    method: ContactMethod
    result: ContactResult
    officer_id: str
    note: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class JointEnquiryRecorded(CaseEvent):
    kind: ClassVar[str] = "case.joint_enquiry_recorded"
    party: JointEnquiryParty
    on: date
    who: str = field(repr=False)
    action: str = field(repr=False)
    outcome: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class NoteAdded(CaseEvent):
    kind: ClassVar[str] = "case.note_added"
    text: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class CaseEscalated(CaseEvent):
    kind: ClassVar[str] = "case.escalated"
    escalation: EscalationKind
    cme_score: int | None
    safeguarding_score: int | None
    note: str = field(repr=False)
    added_by_chair: bool = False


@dataclass(frozen=True, kw_only=True)
class SocialWorkerLiaised(CaseEvent):
    kind: ClassVar[str] = "case.social_worker_liaised"
    note: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class ReviewDecisionApplied(CaseEvent):
    kind: ClassVar[str] = "case.review_decision_applied"
    risk_band: RiskBand
    decision: ReviewDecision
    signed_off_by: str
    next_review_date: date | None
    review_id: str | None = None
    signed_off_role: str | None = None
    comments: str = field(default="", repr=False)


@dataclass(frozen=True, kw_only=True)
class ChildLocated(CaseEvent):
    """The child's whereabouts became known (policy §10.5): the case goes back to a CME officer."""

    kind: ClassVar[str] = "case.child_located"
    officer_id: str | None
    previous_officer_id: str | None
    note: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class OutcomeRecorded(CaseEvent):
    kind: ClassVar[str] = "case.outcome_recorded"
    reason: ClosureReason
    details: ClosureDetails


@dataclass(frozen=True, kw_only=True)
class OutcomeWithdrawn(CaseEvent):
    kind: ClassVar[str] = "case.outcome_withdrawn"
    withdrawn_reason: ClosureReason
    explanation: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class CaseClosed(CaseEvent):
    kind: ClassVar[str] = "case.closed"
    reason: ClosureReason
    details: ClosureDetails


@dataclass(frozen=True, kw_only=True)
class BackOnMissingMondaysAgenda(CaseEvent):
    """Review put a case decided before back on a meeting's agenda: its further review, or the chair's addition."""

    kind: ClassVar[str] = "case.back_on_missing_mondays_agenda"
    meeting_date: date


@dataclass(frozen=True, kw_only=True)
class RecheckDue(CaseEvent):
    """Policy §10.5: a periodic database re-check falls due for the lead officer on a case kept open after review."""

    kind: ClassVar[str] = "case.recheck_due"
    due_on: date
