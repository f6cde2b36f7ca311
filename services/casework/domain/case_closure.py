"""A case's closure rules: outcomes, closing, coded closures, transfers to another LA, and the rules that refuse
a closure (App. D, App. F)."""

import re
from dataclasses import replace
from datetime import date, datetime

from contracts.reference.school_age import csa_end as school_leaving_date
from contracts.reference.school_age import past_compulsory_school_age
from services.casework.domain.case_state import (
    MAX_TEXT_LENGTH,
    SYSTEM_ACTOR,
    CaseState,
    require_aware,
    require_text,
)
from services.casework.domain.errors import ClosureRefused, InvalidTransition
from services.casework.domain.events import OutcomeRecorded, OutcomeWithdrawn
from services.casework.domain.records import ClosureDetails
from services.casework.domain.vocabulary import LABELS, ClosureReason, RiskBand, Status

_LA_CODE = re.compile(r"\d{3}")
# A death, and the end of compulsory school age, end a case whatever the meeting decided (policy §10.5); a
# whereabouts-unknown closure after review has its own rule (a signed-off decision to close).
_ENDS_ANY_CASE = frozenset({ClosureReason.DIED, ClosureReason.PAST_COMPULSORY_SCHOOL_AGE})


class ClosureRules(CaseState):
    def record_outcome(
        self,
        reason: ClosureReason,
        by: str,
        at: datetime,
        details: ClosureDetails | None = None,
    ) -> None:
        """Record the outcome of the enquiries without closing: the case waits in OUTCOME_RECORDED."""
        require_aware(at)
        self._require_open("record an outcome")
        details = details or ClosureDetails()
        self._require_closable(reason, details, at.date())
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
        require_aware(at)
        self._require_open("close it")
        details = details or ClosureDetails()
        self._require_closable(reason, details, at.date())
        if reason is ClosureReason.MOVED_TO_OTHER_LA and not details.acknowledged:
            self._record_outcome(reason, details, by, at)
        else:
            self._close(reason, details, by, at)
        return self.status

    def acknowledge_transfer(self, by: str, at: datetime) -> None:
        """The other LA acknowledged the child: close the case that was waiting for it."""
        require_aware(at)
        if not self.awaiting_transfer_acknowledgement or self.outcome is None:
            raise InvalidTransition(f"case {self.case_id} is not awaiting an acknowledgement")
        self._close(self.outcome.reason, replace(self.outcome.details, acknowledged=True), by, at)

    def withdraw_outcome(self, by: str, at: datetime, explanation: str) -> None:
        """Take back a recorded outcome (the other LA does not know the child, new concerns arose)."""
        require_aware(at)
        explanation = require_text(explanation, "why the outcome is withdrawn")
        if self.status is not Status.OUTCOME_RECORDED or self.outcome is None:
            raise InvalidTransition(f"case {self.case_id} has no recorded outcome to withdraw")
        withdrawn = self.outcome.reason
        self._bump()
        self.outcome = None
        self.status = self._working_status()
        self._record(
            OutcomeWithdrawn(
                **self._header(at, by, f"Outcome withdrawn: {LABELS[withdrawn]}"),
                withdrawn_reason=withdrawn,
                explanation=explanation,
            )
        )

    def close_as_registered_into_provision(self, school_id: str, at: datetime) -> None:
        """A joiner return shows the child on a school roll: the case closes (App. D)."""
        details = ClosureDetails(school_id=school_id)
        if self.flags.whereabouts_unknown:
            # A school roll is where the child is: the return itself locates them (policy §10.5).
            self._mark_located(SYSTEM_ACTOR, at, f"Joiner return from school {school_id}", None)
        self.close(ClosureReason.REGISTERED_INTO_PROVISION, SYSTEM_ACTOR, at, details)

    def closure_prompt(self, on: date) -> ClosureReason | None:
        """The closure the officers' UI should prompt for on `on`: an open child past compulsory school age
        closes with its own reason (policy §10.5), whatever route the case is on."""
        if self.is_open and past_compulsory_school_age(self.child.date_of_birth, on):
            return ClosureReason.PAST_COMPULSORY_SCHOOL_AGE
        return None

    @property
    def awaiting_transfer_acknowledgement(self) -> bool:
        return (
            self.status is Status.OUTCOME_RECORDED
            and self.outcome is not None
            and self.outcome.reason is ClosureReason.MOVED_TO_OTHER_LA
            and not self.outcome.details.acknowledged
        )

    # ------------------------------------------------------------------ the rules that refuse a closure

    def closure_problems(self, reason: ClosureReason, details: ClosureDetails, on: date | None = None) -> list[str]:
        """Why the case cannot be closed for `reason` with `details` on the date `on` (empty when it can).

        These hold on every path that closes a case (officers' pages, the JSON API, events): a child whose
        whereabouts are unknown leaves only through a signed-off review, a high-risk case never while they stay
        unknown; a death, and a child passing compulsory school age (§10.5), end any case.
        """
        problems = self._whereabouts_problems(reason)
        names_provision = bool(details.school_id) or _has_text(details.text)
        if reason is ClosureReason.REGISTERED_INTO_PROVISION and not names_provision:
            problems.append("registration into provision needs the school id or details of the provision")
        elif reason is ClosureReason.MOVED_TO_OTHER_LA:
            if not (details.la_code or _has_text(details.la_name)):
                problems.append("a move to another local authority needs that authority's name or code")
            if details.la_code is not None and not _LA_CODE.fullmatch(details.la_code):
                problems.append("a local authority code has three digits")
        elif reason is ClosureReason.MOVED_ABROAD and not _has_text(details.destination_country):
            problems.append(
                "a move abroad needs the destination country (when it is not known, the child's whereabouts are"
                " unknown: escalate to Missing Mondays)"
            )
        elif reason is ClosureReason.PAST_COMPULSORY_SCHOOL_AGE:
            if self.child.date_of_birth is None:
                problems.append("the child's date of birth is not recorded, so compulsory school age cannot be checked")
            elif on is not None and not past_compulsory_school_age(self.child.date_of_birth, on):
                leaving = school_leaving_date(self.child.date_of_birth)
                problems.append(f"the child is of compulsory school age until {leaving.isoformat()}")
        elif reason is ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW:
            problems.extend(self._closure_after_review_problems())
        elif reason is ClosureReason.DUPLICATE and details.duplicate_of in (None, "", self.case_id):
            problems.append("a duplicate case must name the other case it duplicates")
        elif reason is ClosureReason.OTHER and not _has_text(details.text):
            problems.append("closing for another reason needs details")
        if details.text is not None and len(details.text) > MAX_TEXT_LENGTH:
            problems.append(f"details are limited to {MAX_TEXT_LENGTH} characters")
        return problems

    def _whereabouts_problems(self, reason: ClosureReason) -> list[str]:
        if reason in _ENDS_ANY_CASE or not self.flags.whereabouts_unknown:
            return []
        decision = self.review_decision
        if decision is not None and decision.risk_band is RiskBand.HI:
            return [
                "a high-risk (HI) case is never closed while the child's whereabouts are unknown: record that the"
                " child has been located first"
            ]
        if reason is ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW:
            return []
        return [
            "the child's whereabouts are unknown: the case closes only through a signed-off Missing Mondays review,"
            " or record that the child has been located first"
        ]

    def _closure_after_review_problems(self) -> list[str]:
        decision = self.review_decision
        if self.missing_mondays_pending:
            return ["a Missing Mondays review is pending"]
        if decision is None:
            return ["closing a whereabouts-unknown case needs a signed-off Missing Mondays decision"]
        if decision.risk_band is RiskBand.HI:
            return [] if self.flags.whereabouts_unknown else ["a high-risk (HI) case must not be closed"]
        if not decision.allows_closure:
            return ["the Missing Mondays decision was to keep the case open"]
        return []

    def _require_closable(self, reason: ClosureReason, details: ClosureDetails, on: date) -> None:
        problems = self.closure_problems(reason, details, on)
        if problems:
            raise ClosureRefused(f"cannot close case {self.case_id} as {LABELS[reason]}: " + "; ".join(problems))

    # ------------------------------------------------------------------ the changes

    def _record_outcome(self, reason: ClosureReason, details: ClosureDetails, by: str, at: datetime) -> None:
        self._bump()
        self._set_outcome(reason, details, by, at, Status.OUTCOME_RECORDED)
        summary = f"Outcome recorded: {LABELS[reason]}"
        if reason is ClosureReason.MOVED_TO_OTHER_LA:
            summary += "; awaiting the authority's acknowledgement"
        self._record(OutcomeRecorded(**self._header(at, by, summary), reason=reason, details=details))



def _has_text(value: str | None) -> bool:
    return value is not None and bool(value.strip())
