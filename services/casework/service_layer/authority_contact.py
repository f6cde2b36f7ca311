"""Tell or ask another local authority about a child (issue 9, the officer's side of the cross-LA exchange).

Inside the caller's transaction: takes the child's lock and reads the case; checks the user may see the case and may
speak for it to another authority (domain/authority_contact.py), audited when refused; checks the case is open and
the answers are valid; publishes `CaseReferredToAuthority` through the outbox (keyed by the child, so it follows the
case's other events), which notify signs and sends; keeps the request on the case's messages as pending until
notify reports on it; puts "CME referral sent to LA 886 (pending)" on the timeline (the LA code, never the child);
and audits the change.

The event carries the child's details from the case (names, date of birth, UPN), the last known address from the
address history, the school and the last day there from the case's leaver return: the receiving team needs them
to find the child. They never reach a log line.
"""

from datetime import date
from uuid import UUID, uuid4

from cme_runtime.clock import Clock, utc_now
from cme_runtime.db import Transaction
from contracts.events.case_v1 import AuthorityContactKind, CaseReferredToAuthority
from contracts.events.common_v1 import Address, Child, School
from services.casework.adapters.accounts import User
from services.casework.adapters.case_records import CaseRecords
from services.casework.adapters.exchange_messages import MessageLog
from services.casework.adapters.returns import CaseReturns
from services.casework.domain.authority_contact import (
    AuthorityContact,
    BelievedAddress,
    ContactKind,
    checked_contact,
    contact_summary,
    may_contact_other_authority,
)
from services.casework.domain.case import Case
from services.casework.domain.case_records import current_contact
from services.casework.domain.exchange_messages import (
    ENQUIRY_PURPOSE,
    EXCHANGE_CHANNEL,
    OTHER_AUTHORITY,
    PENDING,
    REFERRAL_PURPOSE,
    SENT,
    CaseMessage,
)
from services.casework.service_layer.officer_actions import CaseNotFound, NotPermitted, OfficerActions

PURPOSES = {ContactKind.REFERRAL: REFERRAL_PURPOSE, ContactKind.ENQUIRY: ENQUIRY_PURPOSE}
_ESTABLISHMENT_NUMBER_LENGTH = 7


def _address(address: BelievedAddress) -> Address | None:
    if not address.given:
        return None
    return Address(line1=address.line1, line2=address.line2 or None, town=address.town or None,
                   postcode=address.postcode or None)


class AuthorityContacts:
    def __init__(
        self, actions: OfficerActions, messages: MessageLog, *, home_la_code: str,
        records: CaseRecords | None = None, returns: CaseReturns | None = None, clock: Clock = utc_now,
    ) -> None:
        self.actions = actions
        self.repository = actions.repository
        self.outbox = actions.service.outbox
        self.messages = messages
        self.home_la_code = home_la_code
        self.records = records
        self.returns = returns
        self.clock = clock

    async def contact(
        self, session: Transaction, user: User, case_id: str, _: int | None, contact: AuthorityContact
    ) -> Case:
        """Send the referral or enquiry; returns the case (unchanged: the request is on its messages and timeline).
        The case version the form was shown with is not checked: nothing on the case itself changes."""
        child_id = await self.repository.child_of(session, case_id)
        if child_id is None:
            raise CaseNotFound(case_id)
        await self.repository.lock_child(session, child_id)
        case = await self.repository.get(session, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        if not (await self.actions.may_view(session, user, case)
                and may_contact_other_authority(user.actor, case.officer_id)):
            await self._audit(session, user, "case.change_refused", case_id,
                              {"permission": "contact_other_authority"})
            raise NotPermitted("Only the case's officer, the team lead and the lead officer can contact another "
                               "authority about this case")
        contact = checked_contact(case, contact, self.home_la_code)
        at = self.clock()
        event_id = uuid4()
        event = CaseReferredToAuthority(
            case_id=UUID(case.case_id),
            child_id=UUID(case.child_id),
            referred_at=at,
            officer_id=user.user_id,
            to_la=contact.to_la,
            kind=AuthorityContactKind(contact.kind.value),
            child=Child(given_name=case.child.given_name, family_name=case.child.family_name,
                        date_of_birth=case.child.date_of_birth, upn=case.child.upn),
            last_known_address=await self._last_known_address(session, case),
            believed_address=_address(contact.believed_address),
            previous_school=_school(case),
            left_school_on=await self._left_school_on(session, case),
            reason=contact.reason,
        )
        await self.outbox.add(session, event, key=case.child_id, subject=case.case_id, event_id=event_id)
        # Notify's status reports on this message take this row over (its id, or the oldest such request).
        await self.messages.record_request(session, CaseMessage(
            message_id=str(event_id), child_id=case.child_id, case_id=case.case_id, direction=SENT,
            recipient_role=OTHER_AUTHORITY, counterpart_la=contact.to_la, channel=EXCHANGE_CHANNEL,
            purpose=PURPOSES[contact.kind], status=PENDING, failed=False, detail=None, first_at=at, changed_at=at,
        ))
        await self.repository.add_timeline(session, [{
            "case_id": UUID(case.case_id), "at": at, "kind": f"exchange.{contact.kind.value}_sent",
            "actor": user.user_id, "summary": contact_summary(contact.kind, contact.to_la), "source": "casework",
            "event_id": str(event_id),
        }])
        await self._audit(session, user, "case.authority_contacted", case_id,
                          {"kind": contact.kind.value, "to_la": contact.to_la, "event_id": str(event_id)})
        return case

    async def messages_for(self, session: Transaction, case: Case) -> list[CaseMessage]:
        """The case's messages for its page (the caller has already read and audited the case)."""
        return await self.messages.for_case(session, case.case_id)

    async def _last_known_address(self, session: Transaction, case: Case) -> Address | None:
        if self.records is None:
            return None
        current = current_contact(await self.records.addresses(session, case.case_id))
        if current is None or not current.entry.address_line_1:
            return None
        entry = current.entry
        return Address(line1=entry.address_line_1, line2=entry.address_line_2 or None, town=entry.town or None,
                       postcode=entry.postcode or None)

    async def _left_school_on(self, session: Transaction, case: Case) -> date | None:
        if self.returns is None:
            return None
        days = [each.leaving_date for each in await self.returns.for_case(session, case.case_id)
                if each.kind == "leaver" and each.leaving_date is not None]
        return max(days, default=None)

    async def _audit(self, session: Transaction, user: User, action: str, case_id: str,
                     details: dict[str, str | int]) -> None:
        await self.actions.audit.record(session, actor_id=user.user_id, action=action, record_type="case",
                                        record_id=case_id, details=details)


def _school(case: Case) -> School | None:
    school_id = case.child.school_id
    if not (school_id and school_id.isdigit() and len(school_id) == _ESTABLISHMENT_NUMBER_LENGTH):
        return None
    return School(establishment_id=school_id, name=case.child.school_name)
