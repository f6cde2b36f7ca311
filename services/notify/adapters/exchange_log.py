"""The exchange log: every message sent to or received from another authority, and what became of it.

For sent messages it is the exchange sender's outbox, claimed with FOR UPDATE SKIP LOCKED and a lease as the
delivery log is. The signed envelope is kept with the row; it holds the child's details, so it is read only by the
sender and by the chase (which sends the same content again), never by the traffic views.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from cme_runtime.db import Transaction
from services.notify.adapters.tables import exchange_messages
from services.notify.domain.exchange import Direction, ExchangeStatus


@dataclass(frozen=True)
class ExchangeRecord:
    message_id: UUID
    direction: Direction
    status: ExchangeStatus
    status_at: datetime
    counterpart_la: str | None = None
    type: str | None = None
    case_id: UUID | None = None
    child_id: UUID | None = None
    referral_id: UUID | None = None
    claimed_message_id: UUID | None = None
    detail: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    envelope: dict[str, Any] | None = field(default=None, repr=False)
    in_reply_to: UUID | None = None
    correlates_to: UUID | None = None
    ack_due_on: date | None = None
    chased_message_id: UUID | None = None
    receiver_reference: str | None = None
    refusal_reason: str | None = None
    failure_reason: str | None = None
    transport: str | None = None
    position: str | None = None
    digest: str | None = None
    submission_id: str | None = None
    source_event_id: str | None = None
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class Change:
    """What changes on a row; None leaves a column as it is."""

    status: ExchangeStatus | None = None
    at: datetime | None = None
    detail: str | None = None
    failure_reason: str | None = None
    refusal_reason: str | None = None
    receiver_reference: str | None = None
    ack_due_on: date | None = None
    chased_message_id: UUID | None = None
    referral_id: UUID | None = None
    next_attempt_at: datetime | None = None
    release_lease: bool = False


class ExchangeLog(ABC):
    """The port notify's exchange use cases keep the exchange's messages through."""

    @abstractmethod
    async def record(self, session: Transaction, entry: ExchangeRecord) -> bool:
        """Keep `entry`; False (and nothing kept) when a row with its message id exists: a replay."""

    @abstractmethod
    async def get(self, session: Transaction, message_id: UUID) -> ExchangeRecord | None:
        """The row, locked for update by the caller's transaction."""

    @abstractmethod
    async def by_submission_id(self, session: Transaction, submission_id: str) -> ExchangeRecord | None:
        """The received referral forwarded to intake under `submission_id`, locked for update."""

    @abstractmethod
    async def by_referral_id(self, session: Transaction, referral_id: UUID) -> ExchangeRecord | None:
        """The received referral whose intake referral is `referral_id`, locked for update."""

    @abstractmethod
    async def change(self, session: Transaction, message_id: UUID, change: Change) -> None:
        """Apply `change` to the row."""

    @abstractmethod
    async def claim_due(
        self, session: Transaction, now: datetime, lease_until: datetime, limit: int
    ) -> list[ExchangeRecord]:
        """Lease up to `limit` pending sent messages due by `now` whose lease has run out; count the attempt."""

    @abstractmethod
    async def awaiting_acknowledgement(self, session: Transaction, before: date) -> list[ExchangeRecord]:
        """Sent referrals (originals and chases) whose acknowledgement was due before `before` and has not come."""

    @abstractmethod
    async def traffic(
        self,
        session: Transaction,
        *,
        direction: Direction | None = None,
        status: ExchangeStatus | None = None,
        case_id: UUID | None = None,
        limit: int = 100,
    ) -> list[ExchangeRecord]:
        """Rows newest first, without their envelopes."""


_COLUMNS = tuple(getattr(exchange_messages.c, each.name) for each in fields(ExchangeRecord))
_LIGHT = tuple(column for column in _COLUMNS if column.name != "envelope")


def _record(row: Any) -> ExchangeRecord:
    values = dict(row._mapping)
    values["direction"] = Direction(values["direction"])
    values["status"] = ExchangeStatus(values["status"])
    return ExchangeRecord(**values)


def _values(entry: ExchangeRecord) -> dict[str, Any]:
    values = {each.name: getattr(entry, each.name) for each in fields(ExchangeRecord)}
    values["direction"] = entry.direction.value
    values["status"] = entry.status.value
    if values["recorded_at"] is None:
        values.pop("recorded_at")
    return values


class SqlExchangeLog(ExchangeLog):
    async def record(self, session: Transaction, entry: ExchangeRecord) -> bool:
        inserted = await session.execute(
            insert(exchange_messages)
            .values(**_values(entry))
            .on_conflict_do_nothing(index_elements=[exchange_messages.c.message_id])
            .returning(exchange_messages.c.message_id)
        )
        return inserted.first() is not None

    async def _one(self, session: Transaction, condition: Any) -> ExchangeRecord | None:
        row = (await session.execute(select(*_COLUMNS).where(condition).with_for_update())).first()
        return _record(row) if row else None

    async def get(self, session: Transaction, message_id: UUID) -> ExchangeRecord | None:
        return await self._one(session, exchange_messages.c.message_id == message_id)

    async def by_submission_id(self, session: Transaction, submission_id: str) -> ExchangeRecord | None:
        return await self._one(session, exchange_messages.c.submission_id == submission_id)

    async def by_referral_id(self, session: Transaction, referral_id: UUID) -> ExchangeRecord | None:
        return await self._one(
            session,
            (exchange_messages.c.referral_id == referral_id)
            & (exchange_messages.c.direction == Direction.RECEIVED.value),
        )

    async def change(self, session: Transaction, message_id: UUID, change: Change) -> None:
        values: dict[str, Any] = {
            name: value
            for name, value in (
                ("status", change.status.value if change.status else None),
                ("status_at", change.at),
                ("detail", change.detail),
                ("failure_reason", change.failure_reason),
                ("refusal_reason", change.refusal_reason),
                ("receiver_reference", change.receiver_reference),
                ("ack_due_on", change.ack_due_on),
                ("chased_message_id", change.chased_message_id),
                ("referral_id", change.referral_id),
                ("next_attempt_at", change.next_attempt_at),
            )
            if value is not None
        }
        if change.release_lease:
            values["lease_until"] = None
        if values:
            await session.execute(
                update(exchange_messages).where(exchange_messages.c.message_id == message_id).values(**values)
            )

    async def claim_due(
        self, session: Transaction, now: datetime, lease_until: datetime, limit: int
    ) -> list[ExchangeRecord]:
        table = exchange_messages
        due = (
            select(table.c.message_id)
            .where(
                table.c.status == ExchangeStatus.PENDING.value,
                table.c.direction == Direction.SENT.value,
                table.c.next_attempt_at <= now,
                table.c.lease_until.is_(None) | (table.c.lease_until <= now),
            )
            .order_by(table.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        rows = await session.execute(
            update(table)
            .where(table.c.message_id.in_(due))
            .values(lease_until=lease_until, attempts=table.c.attempts + 1)
            .returning(*_COLUMNS)
        )
        return [_record(row) for row in rows]

    async def awaiting_acknowledgement(self, session: Transaction, before: date) -> list[ExchangeRecord]:
        table = exchange_messages
        rows = await session.execute(
            select(*_LIGHT)
            .where(
                table.c.direction == Direction.SENT.value,
                table.c.type == "cme.exchange.referral.v1",
                table.c.ack_due_on < before,
                table.c.status.in_(
                    [ExchangeStatus.SENT.value, ExchangeStatus.RECEIPTED.value, ExchangeStatus.CHASED.value]
                ),
            )
            .order_by(table.c.recorded_at)
            .with_for_update(skip_locked=True)
        )
        return [_record(row) for row in rows]

    async def traffic(
        self,
        session: Transaction,
        *,
        direction: Direction | None = None,
        status: ExchangeStatus | None = None,
        case_id: UUID | None = None,
        limit: int = 100,
    ) -> list[ExchangeRecord]:
        table = exchange_messages
        query = select(*_LIGHT).order_by(table.c.recorded_at.desc(), table.c.message_id).limit(limit)
        if direction is not None:
            query = query.where(table.c.direction == direction.value)
        if status is not None:
            query = query.where(table.c.status == status.value)
        if case_id is not None:
            query = query.where(table.c.case_id == case_id)
        return [_record(row) for row in await session.execute(query)]
