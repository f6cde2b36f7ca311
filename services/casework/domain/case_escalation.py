"""A case's escalation and review rules: Missing Mondays, FAP, SAO, s19 and CCAS escalations (policy §9.4),
social worker liaison (§11.2) and the signed-off Missing Mondays decisions (App. F)."""

from dataclasses import replace
from datetime import date, datetime
from typing import Final

from services.casework.domain import checklist
from services.casework.domain.case_enquiries import joint_enquiries_evidenced, outstanding_checks
from services.casework.domain.case_state import SYSTEM_ACTOR, CaseState, limit_text, require_aware, require_text
from services.casework.domain.errors import EscalationRefused, InvalidRecord, ReviewDecisionRefused
from services.casework.domain.events import (
    BackOnMissingMondaysAgenda,
    CaseEscalated,
    RecheckDue,
    ReviewDecisionApplied,
    SocialWorkerLiaised,
)
from services.casework.domain.records import Escalation, ReviewDecisionRecord, SocialWorkerLiaison
from services.casework.domain.vocabulary import (
    LABELS,
    ClosureReason,
    EscalationKind,
    ReviewDecision,
    RiskBand,
    Status,
)

MIN_SCORE: Final = 1
MAX_SCORE: Final = 5


class EscalationRules(CaseState):
    # ------------------------------------------------------------------ social worker liaison

    def liaise_with_social_worker(self, at: datetime, by: str, note: str) -> None:
        """Policy §11.2: contact the named social worker of a child already open to social care."""
        require_aware(at)
        self._require_open("record social worker liaison")
        if not self.flags.open_to_social_care:
            raise InvalidRecord(f"case {self.case_id} is not open to social care")
        note = require_text(note, "a note of the liaison")
        limit_text(note)
        self._bump()
        self.social_worker_liaisons.append(SocialWorkerLiaison(by=by, at=at, note=note))
        self._record(
            SocialWorkerLiaised(
                **self._header(at, by, "Liaised with the social worker"),
                note=note,
            )
        )

    @property
    def social_worker_contact_due(self) -> bool:
        """True until the officer has contacted the social worker of a child open to social care."""
        return self.status is not Status.CLOSED and self.flags.open_to_social_care and not self.social_worker_liaisons

    # ------------------------------------------------------------------ escalation

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
        require_aware(at)
        self._require_open("escalate it")
        limit_text(note)
        note = note.strip()
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
                note=note,
                episode=self.reopen_count,
            )
        )
        summary = f"Escalated to {LABELS[kind]}"
        if kind is EscalationKind.MISSING_MONDAYS:
            self.missing_mondays_pending = True
            summary += f" (CME score {cme_score}, safeguarding score {safeguarding_score})"
        self._record(
            CaseEscalated(
                **self._header(at, by, summary),
                escalation=kind,
                cme_score=cme_score,
                safeguarding_score=safeguarding_score,
                note=note,
            )
        )
        if kind is EscalationKind.MISSING_MONDAYS:
            self._raise_flags(replace(self.flags, whereabouts_unknown=True), at, by)

    def add_to_missing_mondays_agenda(self, by: str, at: datetime, reason: str) -> None:
        """The chair (the CME lead officer) puts a case of concern on the next meeting's agenda (App. F), with a
        reason, whatever its checklist shows: the meeting sees the outstanding checks on the form and scores it.
        The meeting reviews children whose whereabouts are unknown, so the case is marked so."""
        require_aware(at)
        self._require_open("add it to the Missing Mondays agenda")
        reason = require_text(reason, "why the case is added to the agenda")
        limit_text(reason)
        if self.missing_mondays_pending:
            raise EscalationRefused("a Missing Mondays review is already pending")
        self._bump()
        self.escalations.append(
            Escalation(kind=EscalationKind.MISSING_MONDAYS, by=by, at=at, cme_score=None, safeguarding_score=None,
                       note=reason, episode=self.reopen_count)
        )
        self.missing_mondays_pending = True
        self._record(
            CaseEscalated(
                **self._header(at, by, "Added to the Missing Mondays agenda by the chair"),
                escalation=EscalationKind.MISSING_MONDAYS,
                cme_score=None,
                safeguarding_score=None,
                note=reason,
                added_by_chair=True,
            )
        )
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

    # ------------------------------------------------------------------ review

    def apply_review_decision(
        self,
        risk_band: RiskBand,
        decision: ReviewDecision,
        signed_off_by: str,
        signed_off_at: datetime,
        next_review_date: date | None,
        *,
        review_id: str | None = None,
        signed_off_role: str | None = None,
        comments: str = "",
        lead_officer_id: str | None = None,
    ) -> None:
        """Apply a Missing Mondays decision the senior officer signed off (policy §10.3, App. F).

        CLOSE (LO or MED only) closes the case as whereabouts unknown, closed after review. KEEP_OPEN keeps it
        open under the CME lead officer's oversight (§10.4) until its next review date; the periodic re-checks
        (§10.5) continue. Either way the review is no longer pending.
        """
        require_aware(signed_off_at)
        self._require_open("apply a review decision")
        signed_off_by = require_text(signed_off_by, "the signing-off senior officer")
        limit_text(comments)
        escalated = any(each.kind is EscalationKind.MISSING_MONDAYS for each in self.escalations)
        if escalated and not self.flags.whereabouts_unknown:
            raise ReviewDecisionRefused(f"the child of case {self.case_id} has been located since the escalation")
        if not self.missing_mondays_pending and self.review_decision is None:
            raise ReviewDecisionRefused(f"case {self.case_id} has not been escalated to Missing Mondays")
        if risk_band is RiskBand.HI and decision is ReviewDecision.CLOSE:
            raise ReviewDecisionRefused("a high-risk (HI) case must not be closed")
        if next_review_date is not None and next_review_date <= signed_off_at.date():
            raise ReviewDecisionRefused("the next review date must be after the sign-off date")
        if decision is ReviewDecision.KEEP_OPEN and next_review_date is None and risk_band is RiskBand.HI:
            raise ReviewDecisionRefused("a high-risk (HI) case kept open needs its next review date")

        record = ReviewDecisionRecord(
            risk_band=risk_band,
            decision=decision,
            signed_off_by=signed_off_by,
            signed_off_at=signed_off_at,
            next_review_date=next_review_date,
            review_id=review_id,
            signed_off_role=signed_off_role,
            comments=comments.strip(),
        )
        self._bump()
        self.review_decision = record
        self.review_history.append(record)
        self.missing_mondays_pending = False
        summary = f"Missing Mondays decision signed off by {signed_off_by}: risk {risk_band}, {LABELS[decision]}"
        if next_review_date is not None:
            summary += f", next review {next_review_date.isoformat()}"
        self._record(
            ReviewDecisionApplied(
                **self._header(signed_off_at, signed_off_by, summary),
                risk_band=risk_band,
                decision=decision,
                signed_off_by=signed_off_by,
                next_review_date=next_review_date,
                review_id=review_id,
                signed_off_role=signed_off_role,
                comments=comments.strip(),
            )
        )
        if decision is ReviewDecision.CLOSE:
            if self.status is Status.OUTCOME_RECORDED:
                # An outcome recorded before the decision is superseded by the signed-off closure.
                self.outcome = None
            self._close_after_review(signed_off_by, signed_off_at)
            return
        if self._has_outcome(ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW):
            self.outcome = None
            self.status = self._working_status()
        if lead_officer_id is not None:
            self.lead_officer_oversight = lead_officer_id
            self._assign(lead_officer_id, signed_off_by, signed_off_at, "for the lead officer's oversight after review")

    def return_to_missing_mondays(self, meeting_date: date, at: datetime) -> bool:
        """Review put this case, decided at an earlier meeting, back on an agenda (its further review a year on,
        or the chair's addition): the review is pending again until the next signed-off decision, so the case
        shows in the queues as due by that meeting. False when there is nothing to change (closed, never decided,
        or already pending, as on the first escalation)."""
        require_aware(at)
        if not self.is_open or self.missing_mondays_pending or self.review_decision is None:
            return False
        self._bump()
        self.missing_mondays_pending = True
        self.review_meeting_on = meeting_date
        self._record(
            BackOnMissingMondaysAgenda(
                **self._header(at, SYSTEM_ACTOR, f"Back on the Missing Mondays agenda of {meeting_date.isoformat()}"),
                meeting_date=meeting_date,
            )
        )
        return True

    def note_recheck_due(self, due_on: date, at: datetime) -> None:
        """Review's scheduler says a periodic re-check is due (policy §10.5): a task for the lead officer."""
        require_aware(at)
        self._require_open("note a re-check")
        if self.lead_officer_oversight is None or not self.flags.whereabouts_unknown:
            raise InvalidRecord(f"case {self.case_id} is not kept open under the lead officer's oversight")
        self._bump()
        self.recheck_due_on = due_on
        self._record(
            RecheckDue(
                **self._header(at, SYSTEM_ACTOR, f"Periodic re-check due {due_on.isoformat()} for the lead officer"),
                due_on=due_on,
            )
        )

    def record_child_located(self, by: str, at: datetime, note: str, *, officer_id: str | None = None) -> None:
        """The child's whereabouts are known again (policy §10.5): the case leaves the whereabouts-unknown route
        (any pending review is moot) and goes back to a CME officer, then closes like any other case.

        A case under the lead officer's oversight must name the CME officer it goes back to.
        """
        require_aware(at)
        self._require_open("record that the child has been located")
        note = require_text(note, "how the child was located")
        limit_text(note)
        if not self.flags.whereabouts_unknown:
            raise InvalidRecord(f"the child of case {self.case_id} is not recorded as whereabouts unknown")
        if officer_id is None and self.lead_officer_oversight is not None:
            raise InvalidRecord("name the CME officer the case goes back to")
        self._mark_located(by, at, note, officer_id)
