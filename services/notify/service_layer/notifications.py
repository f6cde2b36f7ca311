"""Notify's service layer: record the messages other people are owed when cases change."""

from uuid import uuid4

from cme_runtime.clock import Clock, utc_now
from cme_runtime.db import Transaction
from cme_runtime.outbox import EventOutbox
from contracts.envelope import CloudEventAttributes
from contracts.events.case_v1 import CaseOpened
from contracts.events.notify_v1 import MessageRecorded
from services.notify.adapters.delivery_log import DeliveryLog, LoggedMessage
from services.notify.domain.messages import CaseOpenedFacts, social_worker_message


def case_reference(case_id: object) -> str:
    return f"CME-{str(case_id)[:8].upper()}"


class NotifyService:
    def __init__(
        self, outbox: EventOutbox, delivery_log: DeliveryLog, authority_name: str, clock: Clock = utc_now
    ) -> None:
        self.outbox = outbox
        self.delivery_log = delivery_log
        self.authority_name = authority_name
        self.clock = clock

    async def on_case_opened(self, session: Transaction, attributes: CloudEventAttributes, event: CaseOpened) -> None:
        """Records a message to the named social worker when a case opens for a child open to social care."""
        social_worker = event.safeguarding.social_worker
        message = social_worker_message(
            CaseOpenedFacts(
                open_to_social_care=event.safeguarding.open_to_social_care,
                social_worker_name=social_worker.name if social_worker else None,
                social_worker_email=social_worker.email if social_worker else None,
                case_reference=case_reference(event.case_id),
                authority_name=self.authority_name,
            )
        )
        if message is None:
            return
        message_id = uuid4()
        recorded_at = self.clock()
        await self.delivery_log.record(
            session,
            LoggedMessage(
                message_id=message_id,
                case_id=event.case_id,
                child_id=event.child_id,
                message=message,
                source_event_id=attributes.id,
                recorded_at=recorded_at,
            ),
        )
        await self.outbox.add(
            session,
            MessageRecorded(
                message_id=message_id,
                case_id=event.case_id,
                child_id=event.child_id,
                recorded_at=recorded_at,
                recipient_role=message.recipient_role,
                channel=message.channel.value,
                purpose=message.purpose.value,
                status="pending",
            ),
            key=event.child_id,
            subject=event.case_id,
        )
