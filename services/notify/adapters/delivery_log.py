"""The delivery log: every message the suite owes someone, kept when it is owed. Delivery is a later capability."""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from cme_runtime.db import Transaction
from services.notify.adapters.tables import delivery_log
from services.notify.domain.messages import OutgoingMessage


@dataclass(frozen=True)
class LoggedMessage:
    """A message owed, the case and child it is about, and the event that made it owed."""

    message_id: UUID
    case_id: UUID
    child_id: UUID
    message: OutgoingMessage
    source_event_id: str
    recorded_at: datetime


class DeliveryLog(ABC):
    """The port notify's service layer records owed messages through."""

    @abstractmethod
    async def record(self, session: Transaction, entry: LoggedMessage) -> None:
        """Keep `entry`, pending delivery, in the caller's transaction."""


class SqlDeliveryLog(DeliveryLog):
    async def record(self, session: Transaction, entry: LoggedMessage) -> None:
        message = entry.message
        await session.execute(
            delivery_log.insert().values(
                message_id=entry.message_id,
                case_id=entry.case_id,
                child_id=entry.child_id,
                purpose=message.purpose.value,
                channel=message.channel.value,
                recipient_role=message.recipient_role,
                recipient_name=message.recipient_name,
                recipient_address=message.recipient_address,
                subject=message.subject,
                body=message.body,
                source_event_id=entry.source_event_id,
                recorded_at=entry.recorded_at,
            )
        )
