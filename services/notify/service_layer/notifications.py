"""Notify's service layer: record the messages other people are owed when cases change or triage refers a child.

A message is only recorded here, in the delivery log, in the same transaction as the inbox entry of the event that
made it owed; the sender (service_layer/delivery.py) delivers it later. So a crash never loses a message owed and
a redelivered event never owes it twice.
"""

from collections.abc import Mapping
from uuid import UUID, uuid4

from cme_runtime.clock import Clock, utc_now
from cme_runtime.db import Transaction
from cme_runtime.outbox import EventOutbox
from contracts.envelope import CloudEventAttributes
from contracts.events.case_v1 import CaseOpened, CaseUpdated
from contracts.events.common_v1 import Safeguarding
from contracts.events.notify_v1 import MessageRecorded, MessageStatusChanged
from contracts.events.triage_v1 import TriageDecided
from services.notify.adapters.delivery_log import DeliveryLog, LoggedMessage
from services.notify.domain.delivery import Status
from services.notify.domain.messages import (
    CaseOpenedFacts,
    CaseUpdatedFacts,
    FrontDoorFacts,
    OutgoingMessage,
    SocialCare,
    family_front_door_referral,
    social_worker_message,
    social_worker_update,
)


def case_reference(case_id: object) -> str:
    return f"CME-{str(case_id)[:8].upper()}"


def referral_reference(referral_id: object) -> str:
    return f"REF-{str(referral_id)[:8].upper()}"


def template_key(message: OutgoingMessage) -> str:
    return f"{message.purpose.value}:{message.channel.value}"


def social_care(safeguarding: Safeguarding) -> SocialCare:
    worker = safeguarding.social_worker
    return SocialCare(
        looked_after=safeguarding.looked_after,
        child_protection_plan=safeguarding.child_protection_plan,
        child_in_need=safeguarding.child_in_need,
        open_to_social_care=safeguarding.open_to_social_care,
        social_worker_name=worker.name if worker else None,
        social_worker_email=worker.email if worker else None,
    )


class MissingTemplate(LookupError):
    """No GOV.UK Notify template is configured for a kind of message: a deployment error, not a data error."""


class NotifyService:
    def __init__(
        self,
        outbox: EventOutbox,
        delivery_log: DeliveryLog,
        authority_name: str,
        clock: Clock = utc_now,
        *,
        templates: Mapping[str, str] | None = None,
        family_front_door_email: str | None = None,
    ) -> None:
        self.outbox = outbox
        self.delivery_log = delivery_log
        self.authority_name = authority_name
        self.clock = clock
        self.templates = dict(templates or {})
        self.family_front_door_email = family_front_door_email

    async def on_case_event(
        self, session: Transaction, attributes: CloudEventAttributes, event: CaseOpened | CaseUpdated
    ) -> None:
        """Case lifecycle events share one topic (and so one consumer)."""
        if isinstance(event, CaseOpened):
            await self.on_case_opened(session, attributes, event)
        else:
            await self.on_case_updated(session, attributes, event)

    async def on_case_opened(self, session: Transaction, attributes: CloudEventAttributes, event: CaseOpened) -> None:
        """Owes the named social worker a message when a case opens for a child open to social care (§11.2)."""
        message = social_worker_message(
            CaseOpenedFacts(
                social_care=social_care(event.safeguarding),
                case_reference=case_reference(event.case_id),
                authority_name=self.authority_name,
            )
        )
        if message is not None:
            await self._owe(session, attributes, message, child_id=event.child_id, case_id=event.case_id)

    async def on_case_updated(self, session: Transaction, attributes: CloudEventAttributes, event: CaseUpdated) -> None:
        """Owes the social worker an update when an open case gains a social-care flag or a case reopens."""
        if event.safeguarding is None:
            return
        message = social_worker_update(
            CaseUpdatedFacts(
                change=event.change,
                flags_raised=event.flags_raised,
                social_care=social_care(event.safeguarding),
                case_reference=case_reference(event.case_id),
                authority_name=self.authority_name,
            )
        )
        if message is not None:
            await self._owe(session, attributes, message, child_id=event.child_id, case_id=event.case_id)

    async def on_triage_decided(
        self, session: Transaction, attributes: CloudEventAttributes, decision: TriageDecided
    ) -> None:
        """Owes the Family Front Door a referral when triage found a safeguarding concern (§2.4, §11.1)."""
        child = decision.child
        message = family_front_door_referral(
            FrontDoorFacts(
                refer_to_family_front_door=decision.refer_to_family_front_door,
                family_front_door_email=self.family_front_door_email,
                referral_reference=referral_reference(decision.referral_id),
                child_name=f"{child.given_name} {child.family_name}",
                date_of_birth=child.date_of_birth,
                reasons=decision.reasons,
                authority_name=self.authority_name,
            )
        )
        if message is not None:
            await self._owe(session, attributes, message, child_id=decision.child_id, referral_id=decision.referral_id)

    async def _owe(
        self,
        session: Transaction,
        attributes: CloudEventAttributes,
        message: OutgoingMessage,
        *,
        child_id: UUID,
        case_id: UUID | None = None,
        referral_id: UUID | None = None,
    ) -> None:
        template_id = self.templates.get(template_key(message))
        if template_id is None:
            raise MissingTemplate(f"no GOV.UK Notify template configured for {template_key(message)}")
        message_id = uuid4()
        recorded_at = self.clock()
        await self.delivery_log.record(
            session,
            LoggedMessage(
                message_id=message_id,
                case_id=case_id,
                child_id=child_id,
                referral_id=referral_id,
                message=message,
                template_id=template_id,
                source_event_id=attributes.id,
                recorded_at=recorded_at,
            ),
        )
        subject = case_id if case_id is not None else referral_id
        if case_id is not None:
            # Kept for consumers of the first version of the delivery log's events.
            await self.outbox.add(
                session,
                MessageRecorded(
                    message_id=message_id,
                    case_id=case_id,
                    child_id=child_id,
                    recorded_at=recorded_at,
                    recipient_role=message.recipient_role.value,
                    channel=message.channel.value,
                    purpose=message.purpose.value,
                    status=Status.PENDING.value,
                ),
                key=child_id,
                subject=subject,
            )
        await self.outbox.add(
            session,
            MessageStatusChanged(
                message_id=message_id,
                child_id=child_id,
                case_id=case_id,
                referral_id=referral_id,
                changed_at=recorded_at,
                recipient_role=message.recipient_role.value,
                channel=message.channel.value,
                purpose=message.purpose.value,
                status=Status.PENDING.value,
            ),
            key=child_id,
            subject=subject,
        )
