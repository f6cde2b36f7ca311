"""Use cases for the records kept beside a case: the family (sibling links and intake's suggestions), the
address and contact history, and the Family Front Door prompt (issue 8).

Each change, inside the caller's transaction: checks the permission (App. E) and that the user may see the case
(and, for a sibling link, the other case too); takes the child's lock; applies the domain rule; stores the record;
puts a line on the case's timeline (ids and references only, never personal data); and audits the change.
Refusals are audited as well. Reading them is part of the case page's audited view; the sibling cases the family
section names are audited as list views, as a case list's rows are.
"""

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid4

from cme_runtime.clock import Clock, utc_now
from cme_runtime.db import Transaction
from contracts.envelope import CloudEventAttributes
from contracts.events.triage_v1 import TriageDecided
from services.casework.adapters.accounts import User
from services.casework.adapters.audit import AuditedAction
from services.casework.adapters.case_records import CaseRecords, CaseSummary, SuggestedSibling
from services.casework.adapters.repository import reference_for
from services.casework.domain.access import Permission
from services.casework.domain.case import Case
from services.casework.domain.case_records import (
    AddressEntry,
    AddressRecord,
    FfdDecision,
    FfdPrompt,
    acknowledge_ffd,
    checked_address,
    sibling_link,
)
from services.casework.domain.errors import InvalidRecord
from services.casework.service_layer.officer_actions import CaseNotFound, NotPermitted, OfficerActions


@dataclass(frozen=True)
class FfdEntry:
    referral_id: str
    decision: FfdDecision
    referred_on: date | None = None
    reference: str | None = None
    why: str | None = None


@dataclass(frozen=True)
class SiblingOnCase:
    """A linked sibling's case as this case's page shows it: named only to a user who may see that case."""

    summary: CaseSummary
    visible: bool


@dataclass(frozen=True)
class CaseRecordsView:
    siblings: list[SiblingOnCase]
    suggested: list[SuggestedSibling]
    addresses: list[AddressRecord]
    ffd_prompts: list[FfdPrompt]

    @property
    def outstanding_ffd(self) -> list[FfdPrompt]:
        return [prompt for prompt in self.ffd_prompts if prompt.outstanding]


class CaseRecordsService:
    def __init__(self, actions: OfficerActions, records: CaseRecords, clock: Clock = utc_now) -> None:
        self.actions = actions
        self.repository = actions.repository
        self.records = records
        self.clock = clock

    # ------------------------------------------------------------------ reading

    async def for_case(self, session: Transaction, user: User, case: Case) -> CaseRecordsView:
        """What the case page shows beside the case (the caller has already read and audited the case)."""
        links = await self.records.sibling_links(session, case.case_id)
        summaries = await self.records.case_summaries(session, [link.other(case.case_id) for link in links])
        siblings = []
        for summary in summaries:
            other = await self.repository.get(session, summary.case_id)
            siblings.append(SiblingOnCase(summary, other is not None and await self.actions.may_view(session, user,
                                                                                                      other)))
        suggested = await self.records.suggested_siblings(session, case.case_id)
        # A linked sibling is named only to a user who may see their case; intake's suggestions show references only.
        named = [sibling.summary.case_id for sibling in siblings if sibling.visible]
        await self.actions.audit.record_many(session, [
            AuditedAction(user.user_id, "case.list_viewed", "case", case_id, {"view": "family_of_" + case.case_id})
            for case_id in dict.fromkeys(named)
        ])
        return CaseRecordsView(
            siblings=siblings,
            suggested=suggested,
            addresses=await self.records.addresses(session, case.case_id),
            ffd_prompts=await self.records.ffd_prompts(session, case.case_id),
        )

    # ------------------------------------------------------------------ changes

    async def link_sibling(self, session: Transaction, user: User, case_id: str, other_case_id: str) -> str:
        """Link this case to another child's case in the family; returns the other case's reference."""
        case = await self._case_for_change(session, user, case_id, Permission.RECORD_CHECK)
        other = await self.repository.get(session, other_case_id)
        if other is None:
            raise InvalidRecord("there is no case with that reference")
        if not await self.actions.may_view(session, user, other):
            await self._audit(session, user, "case.change_refused", other_case_id, {"permission": "link_sibling"})
            raise NotPermitted("You can only link cases you can see")
        await self.repository.lock_child(session, other.child_id)
        existing = [link.other(case_id) for link in await self.records.sibling_links(session, case_id)]
        at = self.clock()
        link = sibling_link(case_id=case.case_id, child_id=case.child_id, other_case_id=other.case_id,
                            other_child_id=other.child_id, linked_case_ids=existing, by=user.user_id, at=at)
        await self.records.add_sibling_link(session, link)
        for this, that in ((case, other), (other, case)):
            await self._timeline(session, this.case_id, at, user, kind="records.sibling_linked",
                                 summary=f"Linked as a sibling of case {reference_for(that.case_id)}")
            await self._audit(session, user, "case.sibling_linked", this.case_id, {"sibling_case_id": that.case_id})
        return reference_for(other.case_id)

    async def record_address(self, session: Transaction, user: User, case_id: str, entry: AddressEntry) -> None:
        """A new entry in the address and contact history; earlier entries are kept as they were."""
        await self._case_for_change(session, user, case_id, Permission.RECORD_CONTACT)
        at = self.clock()
        stored = await self.records.add_address(session, case_id, checked_address(entry, at.date()), user.user_id, at)
        what = "Address" if entry.has_address else "Contact details"
        await self._timeline(session, case_id, at, user, kind="records.address_recorded",
                             summary=f"{what} recorded (history)")
        await self._audit(session, user, "case.address_recorded", case_id, {"record_id": stored.record_id})

    async def acknowledge_ffd(self, session: Transaction, user: User, case_id: str, entry: FfdEntry) -> None:
        await self._case_for_change(session, user, case_id, Permission.RECORD_CONTACT)
        prompt = next(
            (p for p in await self.records.ffd_prompts(session, case_id) if p.referral_id == entry.referral_id), None
        )
        if prompt is None:
            raise InvalidRecord("there is no Family Front Door prompt for that referral on this case")
        at = self.clock()
        acknowledgement = acknowledge_ffd(prompt, entry.decision, by=user.user_id, at=at,
                                          referred_on=entry.referred_on, reference=entry.reference, why=entry.why)
        await self.records.acknowledge_ffd(session, case_id, entry.referral_id, acknowledgement)
        summary = (
            f"Family Front Door: referred on {entry.referred_on.isoformat()}, reference {acknowledgement.reference}"
            if entry.decision is FfdDecision.REFERRED and entry.referred_on is not None
            else "Family Front Door: referral not needed"
        )
        await self._timeline(session, case_id, at, user, kind="records.ffd_acknowledged", summary=summary)
        await self._audit(session, user, "case.ffd_acknowledged", case_id, {"decision": entry.decision.value})

    # ------------------------------------------------------------------ from triage

    async def on_triage_decided(
        self, session: Transaction, attributes: CloudEventAttributes, decision: TriageDecided
    ) -> None:
        """Casework's handling of a triage decision (CaseworkService.on_triage_decided: open, attach, reopen,
        close), then what triage passed on for the child's open case: intake's suggested siblings and the Family
        Front Door prompt. Safe to repeat: a redelivered decision adds nothing."""
        await self.actions.service.on_triage_decided(session, attributes, decision)
        if not decision.is_cme:
            return
        open_case = next(
            (case for case in await self.repository.for_child(session, str(decision.child_id)) if case.is_open), None
        )
        if open_case is not None:
            await self.keep_triage_follow_ups(session, open_case.case_id, decision)

    async def keep_triage_follow_ups(self, session: Transaction, case_id: str, decision: TriageDecided) -> None:
        at = self.clock()
        await self.records.add_suggested_siblings(
            session, case_id, str(decision.referral_id), [str(child) for child in decision.sibling_child_ids], at
        )
        if decision.refer_to_family_front_door:
            await self.records.add_ffd_prompt(
                session, FfdPrompt(case_id, str(decision.referral_id), tuple(decision.reasons), at)
            )

    # ------------------------------------------------------------------ helpers

    async def _case_for_change(self, session: Transaction, user: User, case_id: str, permission: Permission) -> Case:
        if not user.actor.may(permission):
            raise NotPermitted("You do not have permission to do this")
        child_id = await self.repository.child_of(session, case_id)
        if child_id is None:
            raise CaseNotFound(case_id)
        await self.repository.lock_child(session, child_id)
        case = await self.repository.get(session, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        if not await self.actions.may_view(session, user, case):
            await self._audit(session, user, "case.change_refused", case_id, {"permission": permission.value})
            raise NotPermitted("You can only change cases allocated to you or to your team")
        return case

    async def _timeline(self, session: Transaction, case_id: str, at: datetime, user: User, *, kind: str,
                        summary: str) -> None:
        await self.repository.add_timeline(session, [{
            "case_id": UUID(case_id), "at": at, "kind": kind, "actor": user.user_id, "summary": summary,
            "source": "casework", "event_id": str(uuid4()),
        }])

    async def _audit(self, session: Transaction, user: User, action: str, case_id: str,
                     details: dict[str, str | int] | None) -> None:
        await self.actions.audit.record(session, actor_id=user.user_id, action=action, record_type="case",
                                        record_id=case_id, details=details)
