"""The Case aggregate: one child's CME case from the triage decision to closure (App. D, E, F; policy §9-§11).

A case records what happened as domain events in `events` and counts its changes in `version` (the adapters
use it for optimistic concurrency). Every command checks all its rules before changing anything, so a command
that raises leaves the case exactly as it was.

Transitions:

    Case.open                                   -> TRIAGED
    allocate                                    TRIAGED -> ALLOCATED (reallocating keeps the status)
    first check or contact                      ALLOCATED -> ENQUIRIES
    record_outcome; close for a move to another LA not yet acknowledged; a review decision to close
                                                open -> OUTCOME_RECORDED
    close; acknowledge_transfer                 open -> CLOSED
    withdraw_outcome; a review decision to keep open
                                                OUTCOME_RECORDED -> TRIAGED, ALLOCATED or ENQUIRIES
    reopen                                      CLOSED -> TRIAGED, or ALLOCATED when the officer is kept

A child has at most one open case: a new referral attaches to the open case, or reopens the last closed one
(`route_referral`).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Final, TypedDict

from services.casework.domain import checklist
from services.casework.domain.checklist import CheckType
from services.casework.domain.errors import (
    CaseClosedError,
    ClosureRefused,
    EscalationRefused,
    InvalidRecord,
    InvalidTransition,
    MoreThanOneOpenCase,
    ReviewDecisionRefused,
)
from services.casework.domain.events import (
    CaseAllocated,
    CaseClosed,
    CaseEscalated,
    CaseEvent,
    CaseOpened,
    CaseReopened,
    CheckRecorded,
    ContactRecorded,
    EnquiriesStarted,
    FlagsRaised,
    JointEnquiryRecorded,
    NoteAdded,
    OutcomeRecorded,
    OutcomeWithdrawn,
    PriorityChanged,
    ReferralAttached,
    ReviewDecisionApplied,
    SocialWorkerLiaised,
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
from services.casework.domain.vocabulary import (
    LABELS,
    RESULTS_BY_METHOD,
    CheckStatus,
    ClosureReason,
    ContactMethod,
    ContactResult,
    EscalationKind,
    JointEnquiryParty,
    Priority,
    ReviewDecision,
    RiskBand,
    Status,
    Track,
    most_urgent,
)

__all__ = [
    "SYSTEM_ACTOR",
    "Case",
    "CaseFlags",
    "CheckStatus",
    "CheckType",
    "ChildSummary",
    "ClosureDetails",
    "ClosureReason",
    "ContactMethod",
    "ContactResult",
    "EscalationKind",
    "JointEnquiryParty",
    "Priority",
    "ReferralRoute",
    "ReviewDecision",
    "RiskBand",
    "RouteAction",
    "Status",
    "Track",
    "checklist_complete",
    "joint_enquiries_evidenced",
    "outstanding_checks",
    "route_referral",
]

SYSTEM_ACTOR: Final = "system"
"""The actor of changes no person made: a triage decision arriving, a joiner return closing a case."""

MAX_TEXT_LENGTH: Final = 10_000
MIN_SCORE: Final = 1
MAX_SCORE: Final = 5
_INITIALS = re.compile(r"[A-Z][A-Z'-]{0,4}")
_LA_CODE = re.compile(r"\d{3}")
_WORKING_STATUSES: Final = frozenset({Status.ALLOCATED, Status.ENQUIRIES, Status.OUTCOME_RECORDED})


class _Header(TypedDict):
    case_id: str
    case_version: int
    at: datetime
    actor: str
    summary: str


@dataclass(eq=False)
class Case:
    """One child's case. New cases come from `Case.open`; adapters use the constructor to rehydrate."""

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
    outcome: Outcome | None = None
    closed_at: datetime | None = None
    version: int = 0
    events: list[CaseEvent] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Case) and other.case_id == self.case_id

    def __hash__(self) -> int:
        return hash(self.case_id)

    # ------------------------------------------------------------------ opening and referrals

    @classmethod
    def open(
        cls,
        *,
        case_id: str,
        child_id: str,
        referral_id: str,
        priority: Priority,
        track: Track,
        due_date: date,
        opened_at: datetime,
        child_summary: ChildSummary,
        flags: CaseFlags,
        by: str = SYSTEM_ACTOR,
    ) -> "Case":
        """Open a case from a triage decision. Statutory flags always make the case P1 (App. D)."""
        _require_aware(opened_at)
        for name, value in (("case id", case_id), ("child id", child_id), ("referral id", referral_id)):
            _require_text(value, name)
        effective_priority = _with_flag_floor(priority, flags)
        case = cls(
            case_id=case_id,
            child_id=child_id,
            status=Status.TRIAGED,
            priority=effective_priority,
            track=track,
            due_date=due_date,
            opened_at=opened_at,
            child=child_summary,
            flags=flags,
            referral_ids=[referral_id],
        )
        case.version = 1
        summary = f"Case opened from referral {referral_id}: {LABELS[track]}, priority {effective_priority}"
        if effective_priority is not priority:
            summary += f" (raised from {priority} by statutory flags)"
        case.events.append(
            CaseOpened(
                **case._header(opened_at, by, summary),
                child_id=child_id,
                referral_id=referral_id,
                priority=effective_priority,
                track=track,
                due_date=due_date,
            )
        )
        return case

    def attach_referral(
        self,
        referral_id: str,
        priority: Priority,
        at: datetime,
        *,
        due_date: date | None = None,
        flags: CaseFlags | None = None,
        by: str = SYSTEM_ACTOR,
    ) -> None:
        """Attach a new referral about the child to this open case.

        Priority can rise but never silently fall (lowering it takes `change_priority`, with a reason); an
        earlier due date wins; flags on the new referral are added. Attaching a referral already attached does
        nothing, so a redelivered triage decision is harmless.
        """
        _require_aware(at)
        self._require_open("attach a referral; reopen it instead")
        _require_text(referral_id, "referral id")
        if referral_id in self.referral_ids:
            return
        merged_flags = self.flags.merged_with(flags) if flags is not None else self.flags
        priority_after = _with_flag_floor(most_urgent(self.priority, priority), merged_flags)
        priority_before = self.priority

        self._bump()
        self.referral_ids.append(referral_id)
        self.priority = priority_after
        if due_date is not None and due_date < self.due_date:
            self.due_date = due_date
        if priority_after is priority_before:
            summary = f"Referral {referral_id} attached; priority stays {priority_before}"
            if priority is not priority_before:
                summary += f" (referral assessed {priority})"
        else:
            summary = f"Referral {referral_id} attached; priority raised from {priority_before} to {priority_after}"
        self.events.append(
            ReferralAttached(
                **self._header(at, by, summary),
                referral_id=referral_id,
                assessed_priority=priority,
                priority_before=priority_before,
                priority_after=priority_after,
            )
        )
        self._raise_flags(merged_flags, at, by)

    def change_priority(self, priority: Priority, by: str, at: datetime, reason: str) -> None:
        """An explicit, reasoned change of priority (the only way a priority falls)."""
        _require_aware(at)
        self._require_open("change its priority")
        reason = _require_text(reason, "a reason for the priority change")
        if priority is self.priority:
            raise InvalidTransition(f"case {self.case_id} is already priority {priority}")
        if self.flags.requires_priority_one and priority is not Priority.P1:
            raise InvalidTransition(f"case {self.case_id} must stay P1 while it has a statutory or safeguarding flag")
        before = self.priority
        self._bump()
        self.priority = priority
        self.events.append(
            PriorityChanged(
                **self._header(at, by, f"Priority changed from {before} to {priority}"),
                priority_before=before,
                priority_after=priority,
                reason=reason,
            )
        )

    def reopen(
        self,
        referral_id: str,
        at: datetime,
        reason: str,
        *,
        by: str = SYSTEM_ACTOR,
        priority: Priority | None = None,
        due_date: date | None = None,
        keep_officer: bool = False,
    ) -> None:
        """Reopen a closed case when new information arrives.

        The case returns to the allocation queue (TRIAGED) unless `keep_officer` and it had an officer
        (ALLOCATED). The checklist starts again for the new episode; the earlier records stay on the case.
        A case closed as a duplicate is not reopened: the case it duplicated is the one to work.
        """
        _require_aware(at)
        _require_text(referral_id, "referral id")
        reason = _require_text(reason, "a reason for reopening")
        if self.status is not Status.CLOSED:
            raise InvalidTransition(f"case {self.case_id} is not closed; attach the referral instead")
        if self.outcome is not None and self.outcome.reason is ClosureReason.DUPLICATE:
            raise InvalidTransition(f"case {self.case_id} was closed as a duplicate; work the original case")
        officer_kept = keep_officer and self.officer_id is not None

        self._bump()
        self.reopen_count += 1
        if not officer_kept:
            self.officer_id = None
        self.status = Status.ALLOCATED if officer_kept else Status.TRIAGED
        self.outcome = None
        self.closed_at = None
        self.review_decision = None
        self.missing_mondays_pending = False
        if referral_id not in self.referral_ids:
            self.referral_ids.append(referral_id)
        if priority is not None:
            self.priority = _with_flag_floor(priority, self.flags)
        if due_date is not None:
            self.due_date = due_date
        where = "officer kept" if officer_kept else "returned to the allocation queue"
        summary = f"Case reopened (reopen {self.reopen_count}) from referral {referral_id}; {where}"
        self.events.append(
            CaseReopened(
                **self._header(at, by, summary),
                referral_id=referral_id,
                reopen_count=self.reopen_count,
                officer_kept=officer_kept,
                reason=reason,
            )
        )

    # ------------------------------------------------------------------ allocation

    def allocate(self, officer_id: str, by: str, at: datetime) -> None:
        """Allocate or reallocate the case to a CME officer. Who may allocate is access.py's concern."""
        _require_aware(at)
        self._require_open("allocate it")
        officer_id = _require_text(officer_id, "officer id")
        if officer_id == self.officer_id:
            raise InvalidTransition(f"case {self.case_id} is already allocated to officer {officer_id}")
        previous = self.officer_id
        self._bump()
        self.officer_id = officer_id
        if self.status is Status.TRIAGED:
            self.status = Status.ALLOCATED
        summary = (
            f"Allocated to officer {officer_id}"
            if previous is None
            else f"Reallocated from officer {previous} to officer {officer_id}"
        )
        self.events.append(
            CaseAllocated(
                **self._header(at, by, summary),
                officer_id=officer_id,
                previous_officer_id=previous,
            )
        )

    # ------------------------------------------------------------------ enquiries

    def record_check(
        self,
        check: CheckType,
        status: CheckStatus,
        *,
        on: date,
        officer_id: str,
        officer_initials: str,
        outcome: str,
        note: str,
        at: datetime,
        school_safeguarding_concern: bool | None = None,
    ) -> None:
        """Record one App. F check as done (with its outcome) or not applicable (with the reason in `note`).

        The leaver form / school discussion check records whether the school has a safeguarding concern; a
        "yes" flags the case and makes it P1 (App. D).
        """
        _require_aware(at)
        self._require_worked("record a check")
        officer_id = _require_text(officer_id, "officer id")
        initials = officer_initials.strip().upper()
        if not _INITIALS.fullmatch(initials):
            raise InvalidRecord("officer initials must be one to five letters")
        if on > at.date():
            raise InvalidRecord("a check cannot be dated in the future")
        if status is CheckStatus.DONE:
            _require_text(outcome, "the outcome of a completed check")
        else:
            _require_text(note, "a note saying why the check is not applicable")
        _limit_text(outcome, note)
        asks_about_concern = check is CheckType.LEAVER_FORM_OR_SCHOOL_DISCUSSION
        if asks_about_concern and status is CheckStatus.DONE and school_safeguarding_concern is None:
            raise InvalidRecord("the school discussion check must record whether the school has a safeguarding concern")
        if not asks_about_concern and school_safeguarding_concern is not None:
            raise InvalidRecord("only the school discussion check records a school safeguarding concern")

        self._bump()
        self.checks.append(
            CheckRecord(
                check=check,
                status=status,
                on=on,
                officer_id=officer_id,
                officer_initials=initials,
                outcome=outcome.strip(),
                note=note.strip(),
                recorded_at=at,
                episode=self.reopen_count,
                school_safeguarding_concern=school_safeguarding_concern,
            )
        )
        self._start_enquiries(at, officer_id)
        self.events.append(
            CheckRecorded(
                **self._header(at, officer_id, f"Check recorded: {check.label}: {LABELS[status]}"),
                check=check,
                group=check.group,
                status=status,
                on=on,
                officer_id=officer_id,
                officer_initials=initials,
                school_safeguarding_concern=school_safeguarding_concern,
                outcome=outcome.strip(),
                note=note.strip(),
            )
        )
        if school_safeguarding_concern:
            self._raise_flags(replace(self.flags, safeguarding_concern=True), at, officer_id)

    def record_contact(
        self,
        method: ContactMethod,
        at: datetime,
        officer_id: str,
        result: ContactResult,
        note: str,
    ) -> None:
        _require_aware(at)
        self._require_worked("record a contact")
        officer_id = _require_text(officer_id, "officer id")
        if result not in RESULTS_BY_METHOD[method]:
            raise InvalidRecord(f"a contact by {LABELS[method]} cannot have the result '{LABELS[result]}'")
        _limit_text(note)

        self._bump()
        self.contacts.append(
            ContactRecord(
                method=method,
                result=result,
                at=at,
                officer_id=officer_id,
                note=note.strip(),
                episode=self.reopen_count,
            )
        )
        self._start_enquiries(at, officer_id)
        self.events.append(
            ContactRecorded(
                **self._header(at, officer_id, f"Contact by {LABELS[method]}: {LABELS[result]}"),
                method=method,
                result=result,
                officer_id=officer_id,
                note=note.strip(),
            )
        )

    def record_joint_enquiry(
        self,
        party: JointEnquiryParty,
        *,
        who: str,
        action: str,
        on: date,
        outcome: str,
        by: str,
        at: datetime,
    ) -> None:
        """Evidence of the joint school and LA reasonable enquiries that a 9(1)(h) or (i) deletion needs."""
        _require_aware(at)
        self._require_open("record a joint enquiry")
        who = _require_text(who, "who made the enquiry")
        action = _require_text(action, "what the enquiry was")
        outcome = _require_text(outcome, "the outcome of the enquiry")
        _limit_text(who, action, outcome)
        if on > at.date():
            raise InvalidRecord("an enquiry cannot be dated in the future")

        self._bump()
        self.joint_enquiries.append(
            JointEnquiry(
                party=party,
                who=who,
                action=action,
                on=on,
                outcome=outcome,
                recorded_by=by,
                recorded_at=at,
            )
        )
        self.events.append(
            JointEnquiryRecorded(
                **self._header(at, by, f"Joint enquiry recorded: {LABELS[party]}, {on.isoformat()}"),
                party=party,
                on=on,
                who=who,
                action=action,
                outcome=outcome,
            )
        )

    def add_note(self, text: str, by: str, at: datetime) -> None:
        """Notes can be added to closed cases too: late information belongs on the record."""
        _require_aware(at)
        text = _require_text(text, "note text")
        _limit_text(text)
        self._bump()
        self.notes.append(Note(text=text, by=by, at=at))
        self.events.append(NoteAdded(**self._header(at, by, "Note added"), text=text))

    def liaise_with_social_worker(self, at: datetime, by: str, note: str) -> None:
        """Policy §11.2: contact the named social worker of a child already open to social care."""
        _require_aware(at)
        self._require_open("record social worker liaison")
        if not self.flags.open_to_social_care:
            raise InvalidRecord(f"case {self.case_id} is not open to social care")
        note = _require_text(note, "a note of the liaison")
        _limit_text(note)
        self._bump()
        self.social_worker_liaisons.append(SocialWorkerLiaison(by=by, at=at, note=note))
        self.events.append(
            SocialWorkerLiaised(
                **self._header(at, by, "Liaised with the social worker"),
                note=note,
            )
        )

    @property
    def social_worker_contact_due(self) -> bool:
        """True until the officer has contacted the social worker of a child open to social care."""
        return self.status is not Status.CLOSED and self.flags.open_to_social_care and not self.social_worker_liaisons

    # ------------------------------------------------------------------ escalation and review

    def escalate(
        self,
        kind: EscalationKind,
        by: str,
        at: datetime,
        *,
        cme_score: int | None = None,
        safeguarding_score: int | None = None,
        note: str = "",
    ) -> None:
        """Escalate to Missing Mondays, FAP, SAO, s19 or CCAS (policy §9.4).

        Missing Mondays reviews whereabouts-unknown cases: it needs the whole checklist including the
        additional whereabouts-unknown checks, both scores from 1 to 5, the joint-enquiry evidence when the
        deletion ground needs it, and no review already pending. Escalating marks the whereabouts unknown.
        """
        _require_aware(at)
        self._require_open("escalate it")
        _limit_text(note)
        if kind is EscalationKind.MISSING_MONDAYS:
            problems = self._missing_mondays_problems(cme_score, safeguarding_score)
            if problems:
                raise EscalationRefused("cannot escalate to Missing Mondays: " + "; ".join(problems))
        elif cme_score is not None or safeguarding_score is not None:
            raise EscalationRefused("CME and safeguarding scores apply only to Missing Mondays escalations")

        self._bump()
        self.escalations.append(
            Escalation(
                kind=kind,
                by=by,
                at=at,
                cme_score=cme_score,
                safeguarding_score=safeguarding_score,
                note=note.strip(),
                episode=self.reopen_count,
            )
        )
        summary = f"Escalated to {LABELS[kind]}"
        if kind is EscalationKind.MISSING_MONDAYS:
            self.missing_mondays_pending = True
            summary += f" (CME score {cme_score}, safeguarding score {safeguarding_score})"
        self.events.append(
            CaseEscalated(
                **self._header(at, by, summary),
                escalation=kind,
                cme_score=cme_score,
                safeguarding_score=safeguarding_score,
                note=note.strip(),
            )
        )
        if kind is EscalationKind.MISSING_MONDAYS:
            self._raise_flags(replace(self.flags, whereabouts_unknown=True), at, by)

    def _missing_mondays_problems(self, cme_score: int | None, safeguarding_score: int | None) -> list[str]:
        problems: list[str] = []
        if self.status is not Status.ENQUIRIES:
            problems.append(f"the case must be in enquiries, not {self.status}")
        if self.missing_mondays_pending:
            problems.append("a Missing Mondays review is already pending")
        missing = outstanding_checks(self, whereabouts_unknown=True)
        if missing:
            problems.append(f"checks outstanding: {checklist.describe(missing)}")
        for name, score in (("CME score", cme_score), ("safeguarding score", safeguarding_score)):
            if score is None:
                problems.append(f"a {name} is required")
            elif not MIN_SCORE <= score <= MAX_SCORE:
                problems.append(f"the {name} must be from {MIN_SCORE} to {MAX_SCORE}")
        if self.flags.joint_enquiries_required and not joint_enquiries_evidenced(self):
            problems.append("joint school and local authority enquiries are not yet evidenced")
        return problems

    def apply_review_decision(
        self,
        risk_band: RiskBand,
        decision: ReviewDecision,
        signed_off_by: str,
        signed_off_at: datetime,
        next_review_date: date | None,
    ) -> None:
        """Apply a signed-off Missing Mondays decision from the review service.

        CLOSE (LO or MED only) authorises closure: the case moves to OUTCOME_RECORDED with the
        whereabouts-unknown outcome, and `close` with that reason completes it; if another outcome is
        already pending (the child was found meanwhile), that outcome stands. KEEP_OPEN withdraws an
        authorised closure and the checks continue.
        """
        _require_aware(signed_off_at)
        self._require_open("apply a review decision")
        signed_off_by = _require_text(signed_off_by, "the signing-off senior officer")
        if not self.missing_mondays_pending and self.review_decision is None:
            raise ReviewDecisionRefused(f"case {self.case_id} has not been escalated to Missing Mondays")
        if risk_band is RiskBand.HI and decision is ReviewDecision.CLOSE:
            raise ReviewDecisionRefused("a high-risk (HI) case must not be closed")
        if next_review_date is not None and next_review_date <= signed_off_at.date():
            raise ReviewDecisionRefused("the next review date must be after the sign-off date")

        record = ReviewDecisionRecord(
            risk_band=risk_band,
            decision=decision,
            signed_off_by=signed_off_by,
            signed_off_at=signed_off_at,
            next_review_date=next_review_date,
        )
        self._bump()
        self.review_decision = record
        self.missing_mondays_pending = False
        closure_authorised_before = self._closure_after_review_pending
        if decision is ReviewDecision.CLOSE and self.outcome is None:
            self.outcome = Outcome(
                reason=ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW,
                details=ClosureDetails(),
                recorded_by=signed_off_by,
                recorded_at=signed_off_at,
            )
            self.status = Status.OUTCOME_RECORDED
        elif decision is ReviewDecision.KEEP_OPEN and closure_authorised_before:
            self.outcome = None
            self.status = self._working_status()
        summary = f"Missing Mondays decision signed off: risk {risk_band}, {LABELS[decision]}"
        if next_review_date is not None:
            summary += f", next review {next_review_date.isoformat()}"
        self.events.append(
            ReviewDecisionApplied(
                **self._header(signed_off_at, signed_off_by, summary),
                risk_band=risk_band,
                decision=decision,
                signed_off_by=signed_off_by,
                next_review_date=next_review_date,
            )
        )

    @property
    def _closure_after_review_pending(self) -> bool:
        return self.outcome is not None and self.outcome.reason is ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW

    # ------------------------------------------------------------------ outcomes and closure

    def record_outcome(
        self,
        reason: ClosureReason,
        by: str,
        at: datetime,
        details: ClosureDetails | None = None,
    ) -> None:
        """Record the outcome of the enquiries without closing: the case waits in OUTCOME_RECORDED."""
        _require_aware(at)
        self._require_open("record an outcome")
        details = details or ClosureDetails()
        self._require_closable(reason, details)
        self._record_outcome(reason, details, by, at)

    def close(
        self,
        reason: ClosureReason,
        by: str,
        at: datetime,
        details: ClosureDetails | None = None,
    ) -> Status:
        """Close the case, or, for a move to another LA not yet acknowledged, record the outcome and wait.

        Returns the status the case ends in (CLOSED, or OUTCOME_RECORDED awaiting acknowledgement).
        """
        _require_aware(at)
        self._require_open("close it")
        details = details or ClosureDetails()
        self._require_closable(reason, details)
        if reason is ClosureReason.MOVED_TO_OTHER_LA and not details.acknowledged:
            self._record_outcome(reason, details, by, at)
        else:
            self._close(reason, details, by, at)
        return self.status

    def acknowledge_transfer(self, by: str, at: datetime) -> None:
        """The other LA acknowledged the child: close the case that was waiting for it."""
        _require_aware(at)
        if not self.awaiting_transfer_acknowledgement or self.outcome is None:
            raise InvalidTransition(f"case {self.case_id} is not awaiting an acknowledgement")
        self._close(self.outcome.reason, replace(self.outcome.details, acknowledged=True), by, at)

    def withdraw_outcome(self, by: str, at: datetime, explanation: str) -> None:
        """Take back a recorded outcome (the other LA does not know the child, new concerns arose)."""
        _require_aware(at)
        explanation = _require_text(explanation, "why the outcome is withdrawn")
        if self.status is not Status.OUTCOME_RECORDED or self.outcome is None:
            raise InvalidTransition(f"case {self.case_id} has no recorded outcome to withdraw")
        withdrawn = self.outcome.reason
        self._bump()
        self.outcome = None
        self.status = self._working_status()
        self.events.append(
            OutcomeWithdrawn(
                **self._header(at, by, f"Outcome withdrawn: {LABELS[withdrawn]}"),
                withdrawn_reason=withdrawn,
                explanation=explanation,
            )
        )

    def close_as_registered_into_provision(self, school_id: str, at: datetime) -> None:
        """A joiner return shows the child on a school roll: the case closes (App. D)."""
        details = ClosureDetails(school_id=school_id)
        self.close(ClosureReason.REGISTERED_INTO_PROVISION, SYSTEM_ACTOR, at, details)

    @property
    def awaiting_transfer_acknowledgement(self) -> bool:
        return (
            self.status is Status.OUTCOME_RECORDED
            and self.outcome is not None
            and self.outcome.reason is ClosureReason.MOVED_TO_OTHER_LA
            and not self.outcome.details.acknowledged
        )

    def closure_problems(self, reason: ClosureReason, details: ClosureDetails) -> list[str]:
        """Why the case cannot be closed for `reason` with `details` (empty when it can)."""
        problems: list[str] = []
        names_provision = bool(details.school_id) or _has_text(details.text)
        if reason is ClosureReason.REGISTERED_INTO_PROVISION and not names_provision:
            problems.append("registration into provision needs the school id or details of the provision")
        elif reason is ClosureReason.MOVED_TO_OTHER_LA:
            if not (details.la_code or _has_text(details.la_name)):
                problems.append("a move to another local authority needs that authority's name or code")
            if details.la_code is not None and not _LA_CODE.fullmatch(details.la_code):
                problems.append("a local authority code has three digits")
        elif reason is ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW:
            problems.extend(self._closure_after_review_problems())
        elif reason is ClosureReason.DUPLICATE and details.duplicate_of in (None, "", self.case_id):
            problems.append("a duplicate case must name the other case it duplicates")
        elif reason is ClosureReason.OTHER and not _has_text(details.text):
            problems.append("closing for another reason needs details")
        if details.text is not None and len(details.text) > MAX_TEXT_LENGTH:
            problems.append(f"details are limited to {MAX_TEXT_LENGTH} characters")
        return problems

    def _closure_after_review_problems(self) -> list[str]:
        decision = self.review_decision
        if self.missing_mondays_pending:
            return ["a Missing Mondays review is pending"]
        if decision is None:
            return ["closing a whereabouts-unknown case needs a signed-off Missing Mondays decision"]
        if decision.risk_band is RiskBand.HI:
            return ["a high-risk (HI) case must not be closed"]
        if not decision.allows_closure:
            return ["the Missing Mondays decision was to keep the case open"]
        return []

    def _require_closable(self, reason: ClosureReason, details: ClosureDetails) -> None:
        problems = self.closure_problems(reason, details)
        if problems:
            raise ClosureRefused(f"cannot close case {self.case_id} as {LABELS[reason]}: " + "; ".join(problems))

    def _record_outcome(self, reason: ClosureReason, details: ClosureDetails, by: str, at: datetime) -> None:
        self._bump()
        self.outcome = Outcome(reason=reason, details=details, recorded_by=by, recorded_at=at)
        self.status = Status.OUTCOME_RECORDED
        summary = f"Outcome recorded: {LABELS[reason]}"
        if reason is ClosureReason.MOVED_TO_OTHER_LA:
            summary += "; awaiting the authority's acknowledgement"
        self.events.append(OutcomeRecorded(**self._header(at, by, summary), reason=reason, details=details))

    def _close(self, reason: ClosureReason, details: ClosureDetails, by: str, at: datetime) -> None:
        self._bump()
        self.outcome = Outcome(reason=reason, details=details, recorded_by=by, recorded_at=at)
        self.status = Status.CLOSED
        self.closed_at = at
        self.missing_mondays_pending = False
        summary = f"Case closed: {LABELS[reason]}"
        if reason is ClosureReason.MOVED_TO_OTHER_LA:
            summary += " (acknowledged)"
        self.events.append(CaseClosed(**self._header(at, by, summary), reason=reason, details=details))

    # ------------------------------------------------------------------ internals

    @property
    def is_open(self) -> bool:
        return self.status is not Status.CLOSED

    def checks_this_episode(self) -> list[CheckRecord]:
        return [record for record in self.checks if record.episode == self.reopen_count]

    def _header(self, at: datetime, actor: str, summary: str) -> _Header:
        return _Header(case_id=self.case_id, case_version=self.version, at=at, actor=actor, summary=summary)

    def _bump(self) -> None:
        self.version += 1

    def _require_open(self, action: str) -> None:
        if self.status is Status.CLOSED:
            raise CaseClosedError(f"case {self.case_id} is closed: cannot {action}")

    def _require_worked(self, action: str) -> None:
        self._require_open(action)
        if self.status not in _WORKING_STATUSES:
            raise InvalidTransition(f"case {self.case_id} must be allocated before you {action}")

    def _start_enquiries(self, at: datetime, actor: str) -> None:
        if self.status is Status.ALLOCATED:
            self.status = Status.ENQUIRIES
            self.events.append(EnquiriesStarted(**self._header(at, actor, "Enquiries started")))

    def _working_status(self) -> Status:
        if self.officer_id is None:
            return Status.TRIAGED
        episode_has_work = self.checks_this_episode() or any(
            contact.episode == self.reopen_count for contact in self.contacts
        )
        return Status.ENQUIRIES if episode_has_work else Status.ALLOCATED

    def _raise_flags(self, flags: CaseFlags, at: datetime, actor: str) -> None:
        """Adopt flags that are now set, and the P1 priority that statutory and safeguarding flags bring."""
        raised = flags.raised_since(self.flags)
        self.flags = flags
        if not raised:
            return
        summary = "Flags raised: " + ", ".join(name.replace("_", " ") for name in raised)
        self.events.append(FlagsRaised(**self._header(at, actor, summary), flags=raised))
        priority_after = _with_flag_floor(self.priority, flags)
        if priority_after is not self.priority:
            before = self.priority
            self.priority = priority_after
            summary = f"Priority raised from {before} to {priority_after} by the flags raised"
            self.events.append(
                PriorityChanged(
                    **self._header(at, actor, summary),
                    priority_before=before,
                    priority_after=priority_after,
                    reason="statutory or safeguarding flag raised",
                )
            )


# ---------------------------------------------------------------------- checklist queries


def outstanding_checks(case: Case, *, whereabouts_unknown: bool | None = None) -> tuple[CheckType, ...]:
    """Checks still to record in this episode. `whereabouts_unknown` defaults to the case's flag."""
    include_additional = whereabouts_unknown
    if include_additional is None:
        include_additional = case.flags.whereabouts_unknown
    recorded = (record.check for record in case.checks_this_episode())
    return checklist.outstanding(recorded, whereabouts_unknown=include_additional)


def checklist_complete(case: Case) -> bool:
    """Every standard check done or not applicable, plus the whereabouts-unknown group when flagged."""
    return not outstanding_checks(case)


def joint_enquiries_evidenced(case: Case) -> bool:
    """Both the school and the local authority have recorded a reasonable enquiry."""
    parties = {enquiry.party for enquiry in case.joint_enquiries}
    return parties >= set(JointEnquiryParty)


# ---------------------------------------------------------------------- one open case per child


class RouteAction(StrEnum):
    OPEN_NEW = "open_new"
    ATTACH = "attach"
    REOPEN = "reopen"


@dataclass(frozen=True)
class ReferralRoute:
    action: RouteAction
    case_id: str | None


def route_referral(child_cases: Iterable[Case]) -> ReferralRoute:
    """Where a new referral about a child goes, given all that child's cases.

    Attach to the open case; else reopen the most recently closed case that was not a duplicate; else open a
    new one. More than one open case breaks the suite's invariant and is reported, not guessed at.
    """
    cases = list(child_cases)
    if len({case.child_id for case in cases}) > 1:
        raise InvalidRecord("route_referral expects the cases of one child")
    open_cases = [case for case in cases if case.is_open]
    if len(open_cases) > 1:
        ids = ", ".join(sorted(case.case_id for case in open_cases))
        raise MoreThanOneOpenCase(f"child has more than one open case: {ids}")
    if open_cases:
        return ReferralRoute(RouteAction.ATTACH, open_cases[0].case_id)
    reopenable = [
        case
        for case in cases
        if case.closed_at is not None
        and not (case.outcome is not None and case.outcome.reason is ClosureReason.DUPLICATE)
    ]
    if reopenable:
        latest = max(reopenable, key=lambda case: (case.closed_at or case.opened_at, case.case_id))
        return ReferralRoute(RouteAction.REOPEN, latest.case_id)
    return ReferralRoute(RouteAction.OPEN_NEW, None)


# ---------------------------------------------------------------------- helpers


def _with_flag_floor(priority: Priority, flags: CaseFlags) -> Priority:
    return Priority.P1 if flags.requires_priority_one else priority


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidRecord("timestamps must carry a time zone")


def _require_text(value: str, what: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise InvalidRecord(f"{what} is required")
    return stripped


def _has_text(value: str | None) -> bool:
    return value is not None and bool(value.strip())


def _limit_text(*values: str) -> None:
    if any(len(value) > MAX_TEXT_LENGTH for value in values):
        raise InvalidRecord(f"text is limited to {MAX_TEXT_LENGTH} characters")
