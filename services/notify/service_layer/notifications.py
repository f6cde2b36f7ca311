"""Notify's service layer: record the messages other people are owed when cases change."""

from datetime import UTC, datetime
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from cme_runtime.outbox import Outbox
from contracts.envelope import CloudEventAttributes
from contracts.events.case_v1 import CaseOpened
from contracts.events.notify_v1 import MessageRecorded
from services.notify.adapters.tables import delivery_log
from services.notify.domain.messages import CaseOpenedFacts, social_worker_message


def case_reference(case_id: object) -> str:
    return f"CME-{str(case_id)[:8].upper()}"


class NotifyService:
    def __init__(self, outbox: Outbox, authority_name: str) -> None:
        self.outbox = outbox
        self.authority_name = authority_name

    async def on_case_opened(self, session: AsyncSession, attributes: CloudEventAttributes, event: CaseOpened) -> None:
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
        recorded_at = datetime.now(UTC)
        await session.execute(
            delivery_log.insert().values(
                message_id=message_id,
                case_id=event.case_id,
                child_id=event.child_id,
                purpose=message.purpose.value,
                channel=message.channel.value,
                recipient_role=message.recipient_role,
                recipient_name=message.recipient_name,
                recipient_address=message.recipient_address,
                subject=message.subject,
                body=message.body,
                source_event_id=attributes.id,
                recorded_at=recorded_at,
            )
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
