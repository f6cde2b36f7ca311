"""A case's lifecycle rules: opening, attaching referrals, priority, reopening, allocation and notes (App. D)."""

from datetime import date, datetime
from typing import Self

from services.casework.domain.case_state import (
    SYSTEM_ACTOR,
    CaseState,
    limit_text,
    require_aware,
    require_text,
    with_flag_floor,
)
from services.casework.domain.errors import InvalidTransition
from services.casework.domain.events import CaseAllocated, CaseOpened, CaseReopened, NoteAdded, ReferralAttached
from services.casework.domain.records import CaseFlags, ChildSummary, Note
from services.casework.domain.vocabulary import LABELS, ClosureReason, Priority, Status, Track, most_urgent


class LifecycleRules(CaseState):
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
    ) -> Self:
        """Open a case from a triage decision. Statutory flags always make the case P1 (App. D)."""
        require_aware(opened_at)
        for name, value in (("case id", case_id), ("child id", child_id), ("referral id", referral_id)):
            require_text(value, name)
        effective_priority = with_flag_floor(priority, flags)
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
        case._record(
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
        require_aware(at)
        self._require_open("attach a referral; reopen it instead")
        require_text(referral_id, "referral id")
        if referral_id in self.referral_ids:
            return
        merged_flags = self.flags.merged_with(flags) if flags is not None else self.flags
        priority_after = with_flag_floor(most_urgent(self.priority, priority), merged_flags)
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
        self._record(
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
        require_aware(at)
        self._require_open("change its priority")
        reason = require_text(reason, "a reason for the priority change")
        if priority is self.priority:
            raise InvalidTransition(f"case {self.case_id} is already priority {priority}")
        if self.flags.requires_priority_one and priority is not Priority.P1:
            raise InvalidTransition(f"case {self.case_id} must stay P1 while it has a statutory or safeguarding flag")
        self._bump()
        self._set_priority(
            priority, at, by, summary=f"Priority changed from {self.priority} to {priority}", reason=reason
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
        require_aware(at)
        require_text(referral_id, "referral id")
        reason = require_text(reason, "a reason for reopening")
        if self.status is not Status.CLOSED:
            raise InvalidTransition(f"case {self.case_id} is not closed; attach the referral instead")
        if self._has_outcome(ClosureReason.DUPLICATE):
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
        self.lead_officer_oversight = None
        self.missing_mondays_pending = False
        if referral_id not in self.referral_ids:
            self.referral_ids.append(referral_id)
        if priority is not None:
            self.priority = with_flag_floor(priority, self.flags)
        if due_date is not None:
            self.due_date = due_date
        where = "officer kept" if officer_kept else "returned to the allocation queue"
        summary = f"Case reopened (reopen {self.reopen_count}) from referral {referral_id}; {where}"
        self._record(
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
        require_aware(at)
        self._require_open("allocate it")
        officer_id = require_text(officer_id, "officer id")
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
        self._record(
            CaseAllocated(
                **self._header(at, by, summary),
                officer_id=officer_id,
                previous_officer_id=previous,
            )
        )

    # ------------------------------------------------------------------ notes

    def add_note(self, text: str, by: str, at: datetime) -> None:
        """Notes can be added to closed cases too: late information belongs on the record."""
        require_aware(at)
        text = require_text(text, "note text")
        limit_text(text)
        self._bump()
        self.notes.append(Note(text=text, by=by, at=at))
        self._record(NoteAdded(**self._header(at, by, "Note added"), text=text))
