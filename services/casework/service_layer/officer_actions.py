"""Officers' changes to a case, from the officers' UI.

Each command, inside the caller's transaction: takes the child's lock and reads the case; checks the user may
make the change (App. E permissions, and officers only on their own and their team's cases); refuses if the
case changed since the officer read it; applies the domain command; saves the case with its timeline entries
and outbox events (`CaseworkService.commit_changes`); and appends an audit entry. A `DomainError` or
`ConcurrentChange` leaves nothing changed once the caller rolls back. Reading a case for a page (`view`) is
audited as well, and so is a refused view or change.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from cme_runtime.clock import Clock, utc_now
from cme_runtime.db import Transaction
from services.casework.adapters.accounts import Accounts, User
from services.casework.adapters.audit import AuditLog
from services.casework.adapters.queries import team_of
from services.casework.adapters.repository import ConcurrentChange
from services.casework.domain.access import Permission, Role, can_change_priority, can_view_case
from services.casework.domain.audit import JsonScalar
from services.casework.domain.case import Case
from services.casework.domain.checklist import CheckType
from services.casework.domain.errors import InvalidRecord
from services.casework.domain.records import ClosureDetails
from services.casework.domain.tasks import TaskKind
from services.casework.domain.vocabulary import (
    LABELS,
    CheckStatus,
    ClosureReason,
    ContactMethod,
    ContactResult,
    EscalationKind,
    JointEnquiryParty,
    Priority,
    Status,
)
from services.casework.service_layer.cases import CaseworkService
from services.casework.service_layer.tasks import TaskService


class CaseNotFound(LookupError):
    """No case has that id."""


class NotPermitted(PermissionError):
    """The user may not see or change this case. The message is safe to show: it names no child."""


@dataclass(frozen=True)
class CheckEntry:
    check: CheckType
    status: CheckStatus
    on: date
    outcome: str
    note: str
    school_safeguarding_concern: bool | None = None
    follow_up_on: date | None = None


@dataclass(frozen=True)
class ContactEntry:
    method: ContactMethod
    result: ContactResult
    at: datetime
    note: str
    follow_up_on: date | None = None


@dataclass(frozen=True)
class EscalationEntry:
    kind: EscalationKind
    note: str
    cme_score: int | None = None
    safeguarding_score: int | None = None


@dataclass(frozen=True)
class JointEnquiryEntry:
    party: JointEnquiryParty
    who: str
    action: str
    on: date
    outcome: str


@dataclass(frozen=True)
class LocatedEntry:
    note: str
    officer_id: str | None = None


@dataclass(frozen=True)
class PriorityEntry:
    priority: Priority
    reason: str


@dataclass(frozen=True)
class ClosureEntry:
    reason: ClosureReason
    details: ClosureDetails


class OfficerActions:
    def __init__(
        self,
        service: CaseworkService,
        accounts: Accounts,
        audit: AuditLog,
        clock: Clock = utc_now,
        tasks: TaskService | None = None,
    ) -> None:
        self.tasks = tasks
        self.service = service
        self.repository = service.repository
        self.accounts = accounts
        self.audit = audit
        self.clock = clock

    # ------------------------------------------------------------------ reading

    async def view(self, session: Transaction, user: User, case_id: str, page: str) -> Case:
        """Read a case for a page that shows it, and audit the view (refused views are audited too)."""
        case = await self.repository.get(session, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        if not await self.may_view(session, user, case):
            await self._audit(session, user, "case.view_refused", case_id, {"page": page})
            raise NotPermitted("You can only see cases allocated to you or to your team")
        await self._audit(session, user, "case.viewed", case_id, {"page": page})
        return case

    async def may_view(self, session: Transaction, user: User, case: Case) -> bool:
        return can_view_case(user.actor, case.officer_id, await team_of(session, case.officer_id))

    # ------------------------------------------------------------------ changes

    async def allocate(
        self, session: Transaction, user: User, case_id: str, expected_version: int | None, officer_id: str
    ) -> Case:
        officer = await self.accounts.get(session, officer_id)
        if officer is None or Role.CME_OFFICER not in officer.roles:
            raise InvalidRecord("the case can only be allocated to an active CME officer")
        return await self._change(
            session, user, case_id, expected_version,
            permission=Permission.ALLOCATE,
            action="case.allocated",
            apply=lambda case, at: case.allocate(officer_id, user.user_id, at),
            details={"officer_id": officer_id},
        )

    async def record_check(
        self, session: Transaction, user: User, case_id: str, expected_version: int | None, entry: CheckEntry
    ) -> Case:
        def apply(case: Case, at: datetime) -> None:
            case.record_check(
                entry.check,
                entry.status,
                on=entry.on,
                officer_id=user.user_id,
                officer_initials=user.initials,
                outcome=entry.outcome,
                note=entry.note,
                at=at,
                school_safeguarding_concern=entry.school_safeguarding_concern,
            )

        case = await self._change(
            session, user, case_id, expected_version,
            permission=Permission.RECORD_CHECK,
            action="case.check_recorded",
            apply=apply,
            details={"check": entry.check.value, "status": entry.status.value},
        )
        if entry.follow_up_on is not None and self.tasks is not None:
            await self.tasks.follow_up(session, case, kind=TaskKind.FOLLOW_UP_CHECK, due_on=entry.follow_up_on,
                                       officer_id=user.user_id, what=entry.check.label)
        return case

    async def record_contact(
        self, session: Transaction, user: User, case_id: str, expected_version: int | None, entry: ContactEntry
    ) -> Case:
        case = await self._change(
            session, user, case_id, expected_version,
            permission=Permission.RECORD_CONTACT,
            action="case.contact_recorded",
            apply=lambda case, _: case.record_contact(entry.method, entry.at, user.user_id, entry.result, entry.note),
            details={"method": entry.method.value, "result": entry.result.value},
        )
        if entry.follow_up_on is not None and self.tasks is not None:
            what = f"{LABELS[entry.method]} contact ({LABELS[entry.result]})"
            await self.tasks.follow_up(session, case, kind=TaskKind.FOLLOW_UP_CONTACT, due_on=entry.follow_up_on,
                                       officer_id=user.user_id, what=what)
        return case

    async def add_note(
        self, session: Transaction, user: User, case_id: str, expected_version: int | None, text: str
    ) -> Case:
        return await self._change(
            session, user, case_id, expected_version,
            permission=Permission.ADD_NOTE,
            action="case.note_added",
            apply=lambda case, at: case.add_note(text, user.user_id, at),
            details=None,
        )

    async def add_to_missing_mondays_agenda(
        self, session: Transaction, user: User, case_id: str, expected_version: int | None, reason: str
    ) -> Case:
        return await self._change(
            session, user, case_id, expected_version,
            permission=Permission.CHAIR_MISSING_MONDAYS,
            action="case.added_to_missing_mondays_agenda",
            apply=lambda case, at: case.add_to_missing_mondays_agenda(user.user_id, at, reason),
            details=None,
        )

    async def escalate(
        self, session: Transaction, user: User, case_id: str, expected_version: int | None, entry: EscalationEntry
    ) -> Case:
        def apply(case: Case, at: datetime) -> None:
            case.escalate(
                entry.kind,
                user.user_id,
                at,
                cme_score=entry.cme_score,
                safeguarding_score=entry.safeguarding_score,
                note=entry.note,
            )

        return await self._change(
            session, user, case_id, expected_version,
            permission=Permission.ESCALATE,
            action="case.escalated",
            apply=apply,
            details={"kind": entry.kind.value},
        )

    async def liaise_with_social_worker(
        self, session: Transaction, user: User, case_id: str, expected_version: int | None, note: str
    ) -> Case:
        return await self._change(
            session, user, case_id, expected_version,
            permission=Permission.RECORD_CONTACT,
            action="case.social_worker_liaised",
            apply=lambda case, at: case.liaise_with_social_worker(at, user.user_id, note),
            details=None,
        )

    async def record_joint_enquiry(
        self, session: Transaction, user: User, case_id: str, expected_version: int | None, entry: JointEnquiryEntry
    ) -> Case:
        """Evidence of the school's or the LA's reasonable enquiries (reg 9(1)(h), (i)), dated and attributed."""

        def apply(case: Case, at: datetime) -> None:
            case.record_joint_enquiry(
                entry.party, who=entry.who, action=entry.action, on=entry.on, outcome=entry.outcome,
                by=user.user_id, at=at,
            )

        return await self._change(
            session, user, case_id, expected_version,
            permission=Permission.RECORD_CHECK,
            action="case.joint_enquiry_recorded",
            apply=apply,
            details={"party": entry.party.value},
        )

    async def record_child_located(
        self, session: Transaction, user: User, case_id: str, expected_version: int | None, entry: LocatedEntry
    ) -> Case:
        """The child's whereabouts are known again; a case under the lead officer's oversight goes back to the
        CME officer named (policy §10.5)."""
        if entry.officer_id is not None:
            officer = await self.accounts.get(session, entry.officer_id)
            if officer is None or Role.CME_OFFICER not in officer.roles:
                raise InvalidRecord("the case can only go back to an active CME officer")
        return await self._change(
            session, user, case_id, expected_version,
            permission=Permission.RECORD_CHECK,
            action="case.child_located",
            apply=lambda case, at: case.record_child_located(user.user_id, at, entry.note, officer_id=entry.officer_id),
            details={"officer_id": entry.officer_id},
        )

    async def close(
        self, session: Transaction, user: User, case_id: str, expected_version: int | None, entry: ClosureEntry
    ) -> Case:
        """Close the case, or record the outcome and wait when another authority has still to acknowledge."""
        return await self._change(
            session, user, case_id, expected_version,
            permission=Permission.CLOSE_CASE,
            action=lambda case: "case.closed" if case.status is Status.CLOSED else "case.outcome_recorded",
            apply=lambda case, at: case.close(entry.reason, user.user_id, at, entry.details),
            details={"reason": entry.reason.value},
        )

    async def reopen(
        self, session: Transaction, user: User, case_id: str, expected_version: int | None, reason: str
    ) -> Case:
        """An officer reopens a closed case on new information; its officer stays on it (the domain refuses an
        open case and a duplicate). The episode is the case's latest referral: no new one arrived."""
        return await self._change(
            session, user, case_id, expected_version,
            permission=Permission.CLOSE_CASE,
            action="case.reopened",
            apply=lambda case, at: case.reopen(case.referral_ids[-1], at, reason, by=user.user_id, keep_officer=True),
            details=None,
        )

    async def change_priority(
        self, session: Transaction, user: User, case_id: str, expected_version: int | None, entry: PriorityEntry
    ) -> Case:
        """The team lead changes any case's priority, an officer their own case's (access.can_change_priority)."""
        case = await self.repository.get(session, case_id)
        if case is not None and not can_change_priority(user.actor, case.officer_id):
            await self._audit(session, user, "case.change_refused", case_id,
                              {"permission": Permission.CHANGE_PRIORITY.value})
            raise NotPermitted("Only the team lead, or the officer the case is allocated to, can change its priority")
        return await self._change(
            session, user, case_id, expected_version,
            permission=Permission.CHANGE_PRIORITY,
            action="case.priority_changed",
            apply=lambda case, at: case.change_priority(entry.priority, user.user_id, at, entry.reason),
            details={"priority": entry.priority.value},
        )

    async def acknowledge_transfer(
        self, session: Transaction, user: User, case_id: str, expected_version: int | None, _: None = None
    ) -> Case:
        return await self._change(
            session, user, case_id, expected_version,
            permission=Permission.CLOSE_CASE,
            action="case.transfer_acknowledged",
            apply=lambda case, at: case.acknowledge_transfer(user.user_id, at),
            details=None,
        )

    async def withdraw_outcome(
        self, session: Transaction, user: User, case_id: str, expected_version: int | None, explanation: str
    ) -> Case:
        return await self._change(
            session, user, case_id, expected_version,
            permission=Permission.CLOSE_CASE,
            action="case.outcome_withdrawn",
            apply=lambda case, at: case.withdraw_outcome(user.user_id, at, explanation),
            details=None,
        )

    async def _change(
        self,
        session: Transaction,
        user: User,
        case_id: str,
        expected_version: int | None,
        *,
        permission: Permission,
        action: str | Callable[[Case], str],
        apply: Callable[[Case, datetime], object],
        details: Mapping[str, JsonScalar] | None,
    ) -> Case:
        if not user.actor.may(permission):
            raise NotPermitted("You do not have permission to do this")
        child_id = await self.repository.child_of(session, case_id)
        if child_id is None:
            raise CaseNotFound(case_id)
        await self.repository.lock_child(session, child_id)
        case = await self.repository.get(session, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        if not await self.may_view(session, user, case):
            # Refusals are audited too; the caller commits them (web.pages_common.case_transaction).
            await self._audit(session, user, "case.change_refused", case_id, {"permission": permission.value})
            raise NotPermitted("You can only change cases allocated to you or to your team")
        if expected_version is not None and case.version != expected_version:
            raise ConcurrentChange(case_id)
        version = case.version
        apply(case, self.clock())
        await self.service.commit_changes(session, case, version)
        await self._audit(session, user, action if isinstance(action, str) else action(case), case_id, details)
        return case

    async def _audit(
        self, session: Transaction, user: User, action: str, case_id: str, details: Mapping[str, JsonScalar] | None
    ) -> None:
        await self.audit.record(
            session, actor_id=user.user_id, action=action, record_type="case", record_id=case_id, details=details
        )
