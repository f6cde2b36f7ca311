"""In-memory stand-ins for notify's ports, for service-layer tests. They subclass the ports they stand in for."""

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from cme_runtime.db import Transaction
from services.notify.adapters.delivery_log import ClaimedMessage, DeliveryLog, DeliveryRecord, LoggedMessage
from services.notify.adapters.gov_notify import Accepted, DeliveryChannel, DeliveryError, Send
from services.notify.domain.delivery import Status


class FakeDeliveryLog(DeliveryLog):
    def __init__(self) -> None:
        self.entries: list[LoggedMessage] = []
        self.records: dict[UUID, DeliveryRecord] = {}
        self.leases: dict[UUID, datetime] = {}

    async def record(self, session: Transaction, entry: LoggedMessage) -> None:
        # message_id is the delivery log's primary key.
        if entry.message_id in self.records:
            raise ValueError(f"message {entry.message_id} is in the delivery log already")
        self.entries.append(entry)
        message = entry.message
        self.records[entry.message_id] = DeliveryRecord(
            message_id=entry.message_id,
            child_id=entry.child_id,
            case_id=entry.case_id,
            referral_id=entry.referral_id,
            purpose=message.purpose.value,
            channel=message.channel.value,
            recipient_role=message.recipient_role.value,
            status=Status.PENDING,
            attempts=0,
            notify_id=None,
        )

    async def claim_due(
        self, session: Transaction, now: datetime, lease_until: datetime, limit: int
    ) -> list[ClaimedMessage]:
        claimed = []
        for entry in self.entries:
            record = self.records[entry.message_id]
            lease = self.leases.get(entry.message_id)
            if record.status is not Status.PENDING or (lease is not None and lease > now) or len(claimed) >= limit:
                continue
            record = self.records[entry.message_id] = replace(record, attempts=record.attempts + 1)
            self.leases[entry.message_id] = lease_until
            claimed.append(
                ClaimedMessage(
                    record=record,
                    template_id=entry.template_id,
                    recipient_address=entry.message.recipient_address,
                    personalisation=entry.message.personalisation,
                )
            )
        return claimed

    async def get(self, session: Transaction, message_id: UUID) -> DeliveryRecord | None:
        return self.records.get(message_id)

    async def by_notify_id(self, session: Transaction, notify_id: str) -> DeliveryRecord | None:
        return next((each for each in self.records.values() if each.notify_id == notify_id), None)

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
        record = self.records[message_id]
        self.records[message_id] = replace(record, status=status, notify_id=notify_id or record.notify_id)
        self.leases.pop(message_id, None)


class ScriptedChannel(DeliveryChannel):
    """Answers each send with the next scripted error, then accepts; remembers what Notify would hold."""

    def __init__(self, *errors: DeliveryError) -> None:
        self.errors = list(errors)
        self.sends: list[Send] = []
        self.held: dict[str, Accepted] = {}
        self.lookups = 0

    async def send(self, message: Send) -> Accepted:
        self.sends.append(message)
        if self.errors:
            raise self.errors.pop(0)
        accepted = Accepted(notify_id=f"notify-{len(self.held) + 1}", status="created")
        self.held[message.reference] = accepted
        return accepted

    async def find_by_reference(self, reference: str) -> Accepted | None:
        self.lookups += 1
        return self.held.get(reference)
