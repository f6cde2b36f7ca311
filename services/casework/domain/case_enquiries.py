"""A case's enquiry rules: the App. F checklist checks, contacts, and the joint school and LA enquiries."""

import re
from dataclasses import replace
from datetime import date, datetime
from typing import Final

from services.casework.domain import checklist
from services.casework.domain.case_state import CaseState, limit_text, require_aware, require_text
from services.casework.domain.checklist import CheckType
from services.casework.domain.errors import InvalidRecord, InvalidTransition
from services.casework.domain.events import CheckRecorded, ContactRecorded, EnquiriesStarted, JointEnquiryRecorded
from services.casework.domain.records import CheckRecord, ContactRecord, JointEnquiry
from services.casework.domain.vocabulary import (
    LABELS,
    RESULTS_BY_METHOD,
    CheckStatus,
    ContactMethod,
    ContactResult,
    JointEnquiryParty,
    Status,
)

_INITIALS = re.compile(r"[A-Z][A-Z'-]{0,4}")
_WORKING_STATUSES: Final = frozenset({Status.ALLOCATED, Status.ENQUIRIES, Status.OUTCOME_RECORDED})


class EnquiryRules(CaseState):
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
        require_aware(at)
        self._require_worked("record a check")
        officer_id = require_text(officer_id, "officer id")
        initials = officer_initials.strip().upper()
        if not _INITIALS.fullmatch(initials):
            raise InvalidRecord("officer initials must be one to five letters")
        if on > at.date():
            raise InvalidRecord("a check cannot be dated in the future")
        if status is CheckStatus.DONE:
            require_text(outcome, "the outcome of a completed check")
        else:
            require_text(note, "a note saying why the check is not applicable")
        limit_text(outcome, note)
        outcome, note = outcome.strip(), note.strip()
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
                outcome=outcome,
                note=note,
                recorded_at=at,
                episode=self.reopen_count,
                school_safeguarding_concern=school_safeguarding_concern,
            )
        )
        self._start_enquiries(at, officer_id)
        self._record(
            CheckRecorded(
                **self._header(at, officer_id, f"Check recorded: {check.label}: {LABELS[status]}"),
                check=check,
                group=check.group,
                status=status,
                on=on,
                officer_id=officer_id,
                officer_initials=initials,
                school_safeguarding_concern=school_safeguarding_concern,
                outcome=outcome,
                note=note,
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
        require_aware(at)
        self._require_worked("record a contact")
        officer_id = require_text(officer_id, "officer id")
        if result not in RESULTS_BY_METHOD[method]:
            raise InvalidRecord(f"a contact by {LABELS[method]} cannot have the result '{LABELS[result]}'")
        limit_text(note)
        note = note.strip()

        self._bump()
        self.contacts.append(
            ContactRecord(
                method=method,
                result=result,
                at=at,
                officer_id=officer_id,
                note=note,
                episode=self.reopen_count,
            )
        )
        self._start_enquiries(at, officer_id)
        self._record(
            ContactRecorded(
                **self._header(at, officer_id, f"Contact by {LABELS[method]}: {LABELS[result]}"),
                method=method,
                result=result,
                officer_id=officer_id,
                note=note,
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
        require_aware(at)
        self._require_open("record a joint enquiry")
        who = require_text(who, "who made the enquiry")
        action = require_text(action, "what the enquiry was")
        outcome = require_text(outcome, "the outcome of the enquiry")
        limit_text(who, action, outcome)
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
        self._record(
            JointEnquiryRecorded(
                **self._header(at, by, f"Joint enquiry recorded: {LABELS[party]}, {on.isoformat()}"),
                party=party,
                on=on,
                who=who,
                action=action,
                outcome=outcome,
            )
        )

    def _require_worked(self, action: str) -> None:
        self._require_open(action)
        if self.status not in _WORKING_STATUSES:
            raise InvalidTransition(f"case {self.case_id} must be allocated before you {action}")

    def _start_enquiries(self, at: datetime, actor: str) -> None:
        self.recheck_due_on = None  # a check or contact is the lead officer's re-check (policy §10.5)
        if self.status is Status.ALLOCATED:
            self.status = Status.ENQUIRIES
            self._record(EnquiriesStarted(**self._header(at, actor, "Enquiries started")))


# ---------------------------------------------------------------------- checklist queries


def outstanding_checks(case: CaseState, *, whereabouts_unknown: bool | None = None) -> tuple[CheckType, ...]:
    """Checks still to record in this episode. `whereabouts_unknown` defaults to the case's flag."""
    include_additional = whereabouts_unknown
    if include_additional is None:
        include_additional = case.flags.whereabouts_unknown
    recorded = (record.check for record in case.checks_this_episode())
    return checklist.outstanding(recorded, whereabouts_unknown=include_additional)


def checklist_complete(case: CaseState) -> bool:
    """Every standard check done or not applicable, plus the whereabouts-unknown group when flagged."""
    return not outstanding_checks(case)


def joint_enquiries_evidenced(case: CaseState) -> bool:
    """Both the school and the local authority have recorded a reasonable enquiry."""
    parties = {enquiry.party for enquiry in case.joint_enquiries}
    return parties >= set(JointEnquiryParty)
