"""A case's escalation and review rules: Missing Mondays, FAP, SAO, s19 and CCAS escalations (policy §9.4),
social worker liaison (§11.2) and the signed-off Missing Mondays decisions (App. F)."""

from dataclasses import replace
from datetime import date, datetime
from typing import Final

from services.casework.domain import checklist
from services.casework.domain.case_enquiries import joint_enquiries_evidenced, outstanding_checks
from services.casework.domain.case_state import CaseState, limit_text, require_aware, require_text
from services.casework.domain.errors import EscalationRefused, InvalidRecord, ReviewDecisionRefused
from services.casework.domain.events import CaseEscalated, ReviewDecisionApplied, SocialWorkerLiaised
from services.casework.domain.records import ClosureDetails, Escalation, ReviewDecisionRecord, SocialWorkerLiaison
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
    ) -> None:
        """Apply a signed-off Missing Mondays decision from the review service.

        CLOSE (LO or MED only) authorises closure: the case moves to OUTCOME_RECORDED with the
        whereabouts-unknown outcome, and `close` with that reason completes it; if another outcome is
        already pending (the child was found meanwhile), that outcome stands. KEEP_OPEN withdraws an
        authorised closure and the checks continue.
        """
        require_aware(signed_off_at)
        self._require_open("apply a review decision")
        signed_off_by = require_text(signed_off_by, "the signing-off senior officer")
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
        closure_authorised_before = self._has_outcome(ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW)
        if decision is ReviewDecision.CLOSE and self.outcome is None:
            self._set_outcome(
                ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW,
                ClosureDetails(),
                signed_off_by,
                signed_off_at,
                Status.OUTCOME_RECORDED,
            )
        elif decision is ReviewDecision.KEEP_OPEN and closure_authorised_before:
            self.outcome = None
            self.status = self._working_status()
        summary = f"Missing Mondays decision signed off: risk {risk_band}, {LABELS[decision]}"
        if next_review_date is not None:
            summary += f", next review {next_review_date.isoformat()}"
        self._record(
            ReviewDecisionApplied(
                **self._header(signed_off_at, signed_off_by, summary),
                risk_band=risk_band,
                decision=decision,
                signed_off_by=signed_off_by,
                next_review_date=next_review_date,
            )
        )
