"""The state of a `Case` and the helpers every group of its rules shares.

`CaseState` holds the aggregate's fields, its version, and its `events`; it is the one place where events are
recorded (`_header` and `_record`) and the version counted (`_bump`). The rules live in mixins that subclass
it (case_lifecycle, case_enquiries, case_escalation, case_closure) and `case.Case` composes them: the fields,
and so the snapshot adapters' view of a case, are the fields declared here.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Final, TypedDict

from services.casework.domain.errors import CaseClosedError, InvalidRecord
from services.casework.domain.events import (
    CaseAllocated,
    CaseClosed,
    CaseEvent,
    ChildLocated,
    FlagsRaised,
    PriorityChanged,
)
from services.casework.domain.records import (
    CaseFlags,
    CheckRecord,
    ChildSummary,
    ClosureDetails,
    ContactRecord,
    Escalation,
    JointEnquiry,
    Note,
    Outcome,
    ReviewDecisionRecord,
    SocialWorkerLiaison,
)
from services.casework.domain.vocabulary import LABELS, ClosureReason, Priority, Status, Track

SYSTEM_ACTOR: Final = "system"
"""The actor of changes no person made: a triage decision arriving, a joiner return closing a case."""

MAX_TEXT_LENGTH: Final = 10_000


class _Header(TypedDict):
    case_id: str
    case_version: int
    at: datetime
    actor: str
    summary: str


@dataclass(eq=False)
class CaseState:
    """The fields of a case, and the bookkeeping its commands share. Use `case.Case`, which adds the rules."""

    case_id: str
    child_id: str
    status: Status
    priority: Priority
    track: Track
    due_date: date
    opened_at: datetime
    child: ChildSummary = field(repr=False)
    flags: CaseFlags
    referral_ids: list[str]
    officer_id: str | None = None
    reopen_count: int = 0
    checks: list[CheckRecord] = field(default_factory=list)
    contacts: list[ContactRecord] = field(default_factory=list)
    joint_enquiries: list[JointEnquiry] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    social_worker_liaisons: list[SocialWorkerLiaison] = field(default_factory=list)
    missing_mondays_pending: bool = False
    review_decision: ReviewDecisionRecord | None = None
    review_history: list[ReviewDecisionRecord] = field(default_factory=list)
    lead_officer_oversight: str | None = None
    recheck_due_on: date | None = None
    # The meeting a further review (or the chair's addition) put the case back before, while it is pending again.
    review_meeting_on: date | None = None
    """The lead officer's next periodic re-check (policy §10.5); cleared when a check or contact is recorded."""
    """The CME lead officer who keeps oversight of a case kept open after review (policy §10.4), until the
    child is located and the case goes back to a CME officer."""
    outcome: Outcome | None = None
    closed_at: datetime | None = None
    version: int = 0
    events: list[CaseEvent] = field(default_factory=list, repr=False)

    # ------------------------------------------------------------------ queries

    @property
    def is_open(self) -> bool:
        return self.status is not Status.CLOSED

    def checks_this_episode(self) -> list[CheckRecord]:
        return [record for record in self.checks if record.episode == self.reopen_count]

    # ------------------------------------------------------------------ recording

    def _header(self, at: datetime, actor: str, summary: str) -> _Header:
        return _Header(case_id=self.case_id, case_version=self.version, at=at, actor=actor, summary=summary)

    def _record(self, event: CaseEvent) -> None:
        self.events.append(event)

    def _bump(self) -> None:
        self.version += 1

    # ------------------------------------------------------------------ guards and shared changes

    def _require_open(self, action: str) -> None:
        if self.status is Status.CLOSED:
            raise CaseClosedError(f"case {self.case_id} is closed: cannot {action}")

    def _has_outcome(self, reason: ClosureReason) -> bool:
        return self.outcome is not None and self.outcome.reason is reason

    def _set_outcome(
        self, reason: ClosureReason, details: ClosureDetails, by: str, at: datetime, status: Status
    ) -> None:
        self.outcome = Outcome(reason=reason, details=details, recorded_by=by, recorded_at=at)
        self.status = status

    def _close(self, reason: ClosureReason, details: ClosureDetails, by: str, at: datetime) -> None:
        self._bump()
        self._set_outcome(reason, details, by, at, Status.CLOSED)
        self.closed_at = at
        self.missing_mondays_pending = False
        summary = f"Case closed: {LABELS[reason]}"
        if reason is ClosureReason.MOVED_TO_OTHER_LA:
            summary += " (acknowledged)"
        self._record(CaseClosed(**self._header(at, by, summary), reason=reason, details=details))

    def _close_after_review(self, by: str, at: datetime) -> None:
        self._close(ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW, ClosureDetails(), by, at)

    def _assign(self, officer_id: str, by: str, at: datetime, why: str) -> None:
        """Hand the case to `officer_id` as part of another change (no version bump of its own)."""
        previous = self.officer_id
        if previous == officer_id:
            return
        self.officer_id = officer_id
        summary = f"Re-assigned to officer {officer_id} {why}"
        self._record(
            CaseAllocated(**self._header(at, by, summary), officer_id=officer_id, previous_officer_id=previous)
        )

    def _mark_located(self, by: str, at: datetime, note: str, officer_id: str | None) -> None:
        previous = self.officer_id
        self._bump()
        self.flags = replace(self.flags, whereabouts_unknown=False)
        self.missing_mondays_pending = False
        self.lead_officer_oversight = None
        summary = "Child located: whereabouts known"
        if officer_id is not None and officer_id != previous:
            self.officer_id = officer_id
            if self.status is Status.TRIAGED:
                self.status = Status.ALLOCATED
            summary += f"; re-assigned to officer {officer_id}"
        self._record(
            ChildLocated(
                **self._header(at, by, summary),
                officer_id=self.officer_id,
                previous_officer_id=previous,
                note=note,
            )
        )

    def _working_status(self) -> Status:
        """Where an open case stands in its work when no outcome is pending."""
        if self.officer_id is None:
            return Status.TRIAGED
        episode_has_work = self.checks_this_episode() or any(
            contact.episode == self.reopen_count for contact in self.contacts
        )
        return Status.ENQUIRIES if episode_has_work else Status.ALLOCATED

    def _set_priority(self, priority: Priority, at: datetime, actor: str, *, summary: str, reason: str) -> None:
        before = self.priority
        self.priority = priority
        self._record(
            PriorityChanged(
                **self._header(at, actor, summary),
                priority_before=before,
                priority_after=priority,
                reason=reason,
            )
        )

    def _raise_flags(self, flags: CaseFlags, at: datetime, actor: str) -> None:
        """Adopt flags that are now set, and the P1 priority that statutory and safeguarding flags bring."""
        raised = flags.raised_since(self.flags)
        self.flags = flags
        if not raised:
            return
        summary = "Flags raised: " + ", ".join(name.replace("_", " ") for name in raised)
        self._record(FlagsRaised(**self._header(at, actor, summary), flags=raised))
        priority_after = with_flag_floor(self.priority, flags)
        if priority_after is not self.priority:
            self._set_priority(
                priority_after,
                at,
                actor,
                summary=f"Priority raised from {self.priority} to {priority_after} by the flags raised",
                reason="statutory or safeguarding flag raised",
            )


# ---------------------------------------------------------------------- input checks the rules share


def with_flag_floor(priority: Priority, flags: CaseFlags) -> Priority:
    return Priority.P1 if flags.requires_priority_one else priority


def require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidRecord("timestamps must carry a time zone")


def require_text(value: str, what: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise InvalidRecord(f"{what} is required")
    return stripped


def limit_text(*values: str) -> None:
    if any(len(value) > MAX_TEXT_LENGTH for value in values):
        raise InvalidRecord(f"text is limited to {MAX_TEXT_LENGTH} characters")
