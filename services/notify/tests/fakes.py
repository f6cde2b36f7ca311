"""In-memory stand-ins for notify's ports, for service-layer tests. They subclass the ports they stand in for."""

from dataclasses import replace
from datetime import date, datetime
from uuid import UUID

from cme_runtime.db import Transaction
from contracts.events.common_v1 import Child
from services.notify.adapters.delivery_log import ClaimedMessage, DeliveryLog, DeliveryRecord, LoggedMessage
from services.notify.adapters.exchange_log import Change, ExchangeLog, ExchangeRecord
from services.notify.adapters.exchange_transport import ExchangeDeliveryError, ExchangeTransport, Outgoing
from services.notify.adapters.gov_notify import Accepted, DeliveryChannel, DeliveryError, Send
from services.notify.adapters.intake_client import ChildLookup, LookupResult
from services.notify.domain.delivery import Status
from services.notify.domain.exchange import REFERRAL, Direction, ExchangeStatus


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


class FakeExchangeLog(ExchangeLog):
    """The exchange log in memory: rows by message id, in the order recorded."""

    def __init__(self) -> None:
        self.rows: dict[UUID, ExchangeRecord] = {}
        self.leases: dict[UUID, datetime] = {}

    async def record(self, session: Transaction, entry: ExchangeRecord) -> bool:
        if entry.message_id in self.rows:
            return False
        if entry.submission_id and any(row.submission_id == entry.submission_id for row in self.rows.values()):
            raise ValueError("submission_id is unique")
        self.rows[entry.message_id] = entry
        return True

    async def get(self, session: Transaction, message_id: UUID) -> ExchangeRecord | None:
        return self.rows.get(message_id)

    async def by_submission_id(self, session: Transaction, submission_id: str) -> ExchangeRecord | None:
        return next((row for row in self.rows.values() if row.submission_id == submission_id), None)

    async def by_referral_id(self, session: Transaction, referral_id: UUID) -> ExchangeRecord | None:
        return next(
            (
                row
                for row in self.rows.values()
                if row.referral_id == referral_id and row.direction is Direction.RECEIVED
            ),
            None,
        )

    async def change(self, session: Transaction, message_id: UUID, change: Change) -> None:
        row = self.rows[message_id]
        updates = {
            name: getattr(change, name)
            for name in (
                "detail",
                "failure_reason",
                "refusal_reason",
                "receiver_reference",
                "ack_due_on",
                "chased_message_id",
                "referral_id",
                "next_attempt_at",
                "status",
            )
            if getattr(change, name) is not None
        }
        if change.at is not None:
            updates["status_at"] = change.at
        self.rows[message_id] = replace(row, **updates)
        if change.release_lease:
            self.leases.pop(message_id, None)

    async def claim_due(
        self, session: Transaction, now: datetime, lease_until: datetime, limit: int
    ) -> list[ExchangeRecord]:
        claimed = []
        for message_id, row in list(self.rows.items()):
            lease = self.leases.get(message_id)
            if row.status is not ExchangeStatus.PENDING or row.direction is not Direction.SENT:
                continue
            if (lease is not None and lease > now) or len(claimed) >= limit:
                continue
            taken = self.rows[message_id] = replace(row, attempts=row.attempts + 1)
            self.leases[message_id] = lease_until
            claimed.append(taken)
        return claimed

    async def awaiting_acknowledgement(self, session: Transaction, before: date) -> list[ExchangeRecord]:
        waiting = {ExchangeStatus.SENT, ExchangeStatus.RECEIPTED, ExchangeStatus.CHASED}
        return [
            row
            for row in self.rows.values()
            if row.direction is Direction.SENT
            and row.type == REFERRAL
            and row.ack_due_on is not None
            and row.ack_due_on < before
            and row.status in waiting
        ]

    async def traffic(
        self,
        session: Transaction,
        *,
        direction: Direction | None = None,
        status: ExchangeStatus | None = None,
        case_id: UUID | None = None,
        limit: int = 100,
    ) -> list[ExchangeRecord]:
        rows = [
            row
            for row in reversed(list(self.rows.values()))
            if (direction is None or row.direction is direction)
            and (status is None or row.status is status)
            and (case_id is None or row.case_id == case_id)
        ]
        return [replace(row, envelope=None) for row in rows[:limit]]

    def sent(self, message_type: str | None = None) -> list[ExchangeRecord]:
        return [
            row
            for row in self.rows.values()
            if row.direction is Direction.SENT and (message_type is None or row.type == message_type)
        ]


class ScriptedTransport(ExchangeTransport):
    """Answers each delivery with the next scripted error, then takes it; keeps what it took."""

    def __init__(self, *errors: ExchangeDeliveryError) -> None:
        self.errors = list(errors)
        self.delivered: list[Outgoing] = []
        self.tries = 0

    async def deliver(self, outgoing: Outgoing) -> None:
        self.tries += 1
        if self.errors:
            raise self.errors.pop(0)
        self.delivered.append(outgoing)

    async def close(self) -> None:
        return None


class FixedLookup(ChildLookup):
    def __init__(self, result: LookupResult) -> None:
        self.result = result
        self.asked: list[tuple[Child, str]] = []

    async def lookup(self, child: Child, asking_la: str) -> LookupResult:
        self.asked.append((child, asking_la))
        return self.result
