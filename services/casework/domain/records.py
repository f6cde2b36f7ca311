"""Value objects held by a case: the child summary, flags, and the records of the work done.

Fields that can hold a child's personal data, or free text that might, are left out of `repr` so an aggregate
that reaches a log line or a traceback does not carry them.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from services.casework.domain.checklist import CheckType
from services.casework.domain.vocabulary import (
    CheckStatus,
    ClosureReason,
    ContactMethod,
    ContactResult,
    EscalationKind,
    JointEnquiryParty,
    ReviewDecision,
    RiskBand,
)


@dataclass(frozen=True)
class ChildSummary:
    """What an officer needs on the case page; the full child record belongs to intake's identity store."""

    given_name: str = field(repr=False)
    family_name: str = field(repr=False)
    date_of_birth: date | None = field(repr=False)
    upn: str | None = field(default=None, repr=False)
    school_name: str | None = None
    school_id: str | None = None
    postcode: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class CaseFlags:
    """Facts about the child that change how the case is worked.

    `joint_enquiries_required` is set for deletions under reg 9(1)(h) or (i) (2006: 8(1)(f), (h)), where the
    school and the LA must both make, and evidence, reasonable enquiries.
    """

    cla: bool = False
    cp: bool = False
    cin: bool = False
    ehcp: bool = False
    open_to_social_care: bool = False
    safeguarding_concern: bool = False
    whereabouts_unknown: bool = False
    social_worker_name: str | None = field(default=None, repr=False)
    social_worker_email: str | None = field(default=None, repr=False)
    joint_enquiries_required: bool = False

    @property
    def requires_priority_one(self) -> bool:
        """App. D: looked-after, CP, CiN and EHCP children, and any safeguarding concern, come first."""
        return self.cla or self.cp or self.cin or self.ehcp or self.safeguarding_concern

    def merged_with(self, newer: "CaseFlags") -> "CaseFlags":
        """A later referral can raise a flag but not clear one; clearing a flag is an officer's decision."""
        raised = {name: getattr(self, name) or getattr(newer, name) for name in YES_NO_FLAGS}
        return replace(
            self,
            **raised,
            social_worker_name=newer.social_worker_name or self.social_worker_name,
            social_worker_email=newer.social_worker_email or self.social_worker_email,
        )

    def raised_since(self, older: "CaseFlags") -> tuple[str, ...]:
        """Names of the yes/no flags set here but not in `older`."""
        return tuple(name for name in YES_NO_FLAGS if getattr(self, name) and not getattr(older, name))


YES_NO_FLAGS: tuple[str, ...] = (
    "cla",
    "cp",
    "cin",
    "ehcp",
    "open_to_social_care",
    "safeguarding_concern",
    "whereabouts_unknown",
    "joint_enquiries_required",
)


@dataclass(frozen=True)
class CheckRecord:
    """One line of the App. F checklist: done or not applicable, date, officer initials, outcome, comment.

    `episode` is the case's reopen count when the check was recorded: a reopened case starts its checklist
    again, because the new information may have made earlier checks stale.
    """

    check: CheckType
    status: CheckStatus
    on: date
    officer_id: str
    officer_initials: str
    outcome: str = field(repr=False)
    note: str = field(repr=False)
    recorded_at: datetime
    episode: int
    school_safeguarding_concern: bool | None = None


@dataclass(frozen=True)
class ContactRecord:
    method: ContactMethod
    result: ContactResult
    at: datetime
    officer_id: str
    note: str = field(repr=False)
    episode: int


@dataclass(frozen=True)
class JointEnquiry:
    """Evidence of a reasonable enquiry by the school or the LA: who made it, what, when, and the outcome."""

    party: JointEnquiryParty
    who: str = field(repr=False)
    action: str = field(repr=False)
    on: date
    outcome: str = field(repr=False)
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class Note:
    text: str = field(repr=False)
    by: str
    at: datetime


@dataclass(frozen=True)
class Escalation:
    kind: EscalationKind
    by: str
    at: datetime
    cme_score: int | None
    safeguarding_score: int | None
    note: str = field(repr=False)
    episode: int


@dataclass(frozen=True)
class SocialWorkerLiaison:
    """Policy §11.2: contact with the named social worker of a child already open to social care."""

    by: str
    at: datetime
    note: str = field(repr=False)


@dataclass(frozen=True)
class ReviewDecisionRecord:
    """A signed-off Missing Mondays decision, as received from the review service."""

    risk_band: RiskBand
    decision: ReviewDecision
    signed_off_by: str
    signed_off_at: datetime
    next_review_date: date | None
    review_id: str | None = None
    signed_off_role: str | None = None
    comments: str = field(default="", repr=False)

    @property
    def allows_closure(self) -> bool:
        """App. F: HI must never be closed; LO and MED close only on a senior officer's decision to close."""
        return self.decision is ReviewDecision.CLOSE and self.risk_band in (RiskBand.LO, RiskBand.MED)


@dataclass(frozen=True)
class ClosureDetails:
    """Closure particulars; `Case.closure_problems` says which field each reason requires."""

    school_id: str | None = None
    la_name: str | None = None
    la_code: str | None = None
    destination_country: str | None = None
    acknowledged: bool = False
    duplicate_of: str | None = None
    text: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Outcome:
    reason: ClosureReason
    details: ClosureDetails
    recorded_by: str
    recorded_at: datetime
