"""The delivery log: every message the suite owes someone, kept when it is owed, and what became of it.

It doubles as the sender's outbox: pending rows are claimed with FOR UPDATE SKIP LOCKED and a lease, so several
notify processes share the work and a process killed mid-send leaves its rows to be claimed again once the lease
runs out (the sender then asks Notify by reference before sending again).
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update

from cme_runtime.db import Transaction
from services.notify.adapters.tables import delivery_log
from services.notify.domain.delivery import Status
from services.notify.domain.messages import OutgoingMessage


@dataclass(frozen=True)
class LoggedMessage:
    """A message owed, the case (if any) and child it is about, and the event that made it owed."""

    message_id: UUID
    child_id: UUID
    message: OutgoingMessage
    template_id: str
    source_event_id: str
    recorded_at: datetime
    case_id: UUID | None = None
    referral_id: UUID | None = None


@dataclass(frozen=True)
class DeliveryRecord:
    """A delivery log row without its recipient or content: what status events and the timeline need."""

    message_id: UUID
    child_id: UUID
    case_id: UUID | None
    referral_id: UUID | None
    purpose: str
    channel: str
    recipient_role: str
    status: Status
    attempts: int
    notify_id: str | None


@dataclass(frozen=True)
class ClaimedMessage:
    """A pending message this sender holds the lease on, with what it takes to send it."""

    record: DeliveryRecord
    template_id: str
    recipient_address: str = field(repr=False)
    personalisation: Mapping[str, str] = field(repr=False)


class DeliveryLog(ABC):
    """The port notify's service layer records owed messages, and their delivery, through."""

    @abstractmethod
    async def record(self, session: Transaction, entry: LoggedMessage) -> None:
        """Keep `entry`, pending delivery, in the caller's transaction."""

    @abstractmethod
    async def claim_due(
        self, session: Transaction, now: datetime, lease_until: datetime, limit: int
    ) -> list[ClaimedMessage]:
        """Lease up to `limit` pending messages due by `now` whose lease (if any) has run out; count the attempt."""

    @abstractmethod
    async def get(self, session: Transaction, message_id: UUID) -> DeliveryRecord | None:
        """The message, locked for update by the caller's transaction."""

    @abstractmethod
    async def by_notify_id(self, session: Transaction, notify_id: str) -> DeliveryRecord | None:
        """The message Notify knows by `notify_id`, locked for update."""

    @abstractmethod
    async def set_status(
        self,
        session: Transaction,
        message_id: UUID,
        status: Status,
        at: datetime,
        *,
        notify_id: str | None = None,
        failure_reason: str | None = None,
    ) -> None:
        """Record a new status (and Notify's id, once known); the lease is released."""


_RECORD_COLUMNS = (
    delivery_log.c.message_id,
    delivery_log.c.child_id,
    delivery_log.c.case_id,
    delivery_log.c.referral_id,
    delivery_log.c.purpose,
    delivery_log.c.channel,
    delivery_log.c.recipient_role,
    delivery_log.c.status,
    delivery_log.c.attempts,
    delivery_log.c.notify_id,
)


def _record(row: Any) -> DeliveryRecord:
    return DeliveryRecord(
        message_id=row.message_id,
        child_id=row.child_id,
        case_id=row.case_id,
        referral_id=row.referral_id,
        purpose=row.purpose,
        channel=row.channel,
        recipient_role=row.recipient_role,
        status=Status(row.status),
        attempts=row.attempts,
        notify_id=row.notify_id,
    )


class SqlDeliveryLog(DeliveryLog):
    async def record(self, session: Transaction, entry: LoggedMessage) -> None:
        message = entry.message
        await session.execute(
            delivery_log.insert().values(
                message_id=entry.message_id,
                case_id=entry.case_id,
                child_id=entry.child_id,
                referral_id=entry.referral_id,
                purpose=message.purpose.value,
                channel=message.channel.value,
                recipient_role=message.recipient_role.value,
                recipient_name=message.recipient_name,
                recipient_address=message.recipient_address,
                subject=message.subject,
                template_id=entry.template_id,
                personalisation=dict(message.personalisation),
                status=Status.PENDING.value,
                source_event_id=entry.source_event_id,
                recorded_at=entry.recorded_at,
                next_attempt_at=entry.recorded_at,
            )
        )

    async def claim_due(
        self, session: Transaction, now: datetime, lease_until: datetime, limit: int
    ) -> list[ClaimedMessage]:
        due = (
            select(delivery_log.c.message_id)
            .where(
                delivery_log.c.status == Status.PENDING.value,
                delivery_log.c.next_attempt_at <= now,
                (delivery_log.c.lease_until.is_(None)) | (delivery_log.c.lease_until <= now),
            )
            .order_by(delivery_log.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        rows = await session.execute(
            update(delivery_log)
            .where(delivery_log.c.message_id.in_(due))
            .values(lease_until=lease_until, attempts=delivery_log.c.attempts + 1)
            .returning(
                *_RECORD_COLUMNS,
                delivery_log.c.template_id,
                delivery_log.c.recipient_address,
                delivery_log.c.personalisation,
            )
        )
        return [
            ClaimedMessage(
                record=_record(row),
                template_id=row.template_id,
                recipient_address=row.recipient_address,
                personalisation=row.personalisation,
            )
            for row in rows
        ]

    async def get(self, session: Transaction, message_id: UUID) -> DeliveryRecord | None:
        row = (
            await session.execute(
                select(*_RECORD_COLUMNS).where(delivery_log.c.message_id == message_id).with_for_update()
            )
        ).first()
        return _record(row) if row else None

    async def by_notify_id(self, session: Transaction, notify_id: str) -> DeliveryRecord | None:
        row = (
            await session.execute(
                select(*_RECORD_COLUMNS).where(delivery_log.c.notify_id == notify_id).with_for_update()
            )
        ).first()
        return _record(row) if row else None

    async def set_status(
        self,
        session: Transaction,
        message_id: UUID,
        status: Status,
        at: datetime,
        *,
        notify_id: str | None = None,
        failure_reason: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status.value, "status_changed_at": at, "lease_until": None}
        if notify_id is not None:
            values["notify_id"] = notify_id
        if failure_reason is not None:
            values["failure_reason"] = failure_reason
        await session.execute(update(delivery_log).where(delivery_log.c.message_id == message_id).values(**values))
