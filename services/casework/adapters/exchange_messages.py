"""The messages notify sent or received about each child, kept from notify's status events for the case page (one
row per message, its newest status winning), and the requests officers sent before notify reported on them.

A port (abstract) and its SQL implementation side by side; the table sits on casework's MetaData. No personal data
is stored here: roles, purposes, LA codes, statuses, the other authority's reference or a coded reason.
"""

from abc import ABC, abstractmethod
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Table,
    Text,
    case,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.adapters.tables import metadata
from services.casework.domain.exchange_messages import (
    ENQUIRY_PURPOSE,
    REFERRAL_PURPOSE,
    SENT,
    CaseMessage,
    MessageUpdate,
    receipt_times,
)

CASEWORK: str = "casework"
NOTIFY: str = "notify"

case_messages = Table(
    "case_messages",
    metadata,
    Column("message_id", PgUUID(as_uuid=True), primary_key=True),
    Column("child_id", PgUUID(as_uuid=True), nullable=False),
    Column("case_id", PgUUID(as_uuid=True), ForeignKey("cases.case_id"),
           comment="The case it is about; null when the child had no case open here"),
    Column("direction", Text, nullable=False, comment="sent or received"),
    Column("recipient_role", Text, nullable=False),
    Column("counterpart_la", Text, comment="The other authority's DfE LA code (exchange messages)"),
    Column("channel", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("status", Text, nullable=False, comment="The newest status notify reported"),
    Column("failed", Boolean, nullable=False, server_default="false"),
    Column("reason", Text, comment="Coded; no personal data"),
    Column("detail", Text, comment="The other authority's reference or a refusal reason; no personal data"),
    Column("source", Text, nullable=False, comment="casework: the officer's request, not yet reported by notify"),
    Column("first_at", DateTime(timezone=True), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("receipted_at", DateTime(timezone=True)),
    Column("acknowledged_at", DateTime(timezone=True)),
    Index("ix_case_messages_case", "case_id", "first_at"),
)


def _message(row: Any) -> CaseMessage:
    return CaseMessage(
        message_id=str(row.message_id),
        child_id=str(row.child_id),
        case_id=str(row.case_id) if row.case_id is not None else None,
        direction=row.direction,
        recipient_role=row.recipient_role,
        counterpart_la=row.counterpart_la,
        channel=row.channel,
        purpose=row.purpose,
        status=row.status,
        failed=row.failed,
        detail=row.detail,
        first_at=row.first_at,
        changed_at=row.changed_at,
        receipted_at=row.receipted_at,
        acknowledged_at=row.acknowledged_at,
        requested_here=row.source == CASEWORK,
    )


class MessageLog(ABC):
    @abstractmethod
    async def record_request(self, session: AsyncSession, message: CaseMessage) -> None:
        """The officer's request, stored as pending until notify reports on it."""

    @abstractmethod
    async def record_update(self, session: AsyncSession, change: MessageUpdate) -> None:
        """A status notify reported: the newest status wins whatever order they arrive in; receipt and
        acknowledgement times are kept once seen."""

    @abstractmethod
    async def for_case(self, session: AsyncSession, case_id: str) -> list[CaseMessage]:
        """The case's messages, newest first."""


class SqlMessageLog(MessageLog):
    async def record_request(self, session: AsyncSession, message: CaseMessage) -> None:
        await session.execute(
            insert(case_messages)
            .values(
                message_id=UUID(message.message_id),
                child_id=UUID(message.child_id),
                case_id=UUID(message.case_id) if message.case_id else None,
                direction=message.direction,
                recipient_role=message.recipient_role,
                counterpart_la=message.counterpart_la,
                channel=message.channel,
                purpose=message.purpose,
                status=message.status,
                failed=message.failed,
                detail=message.detail,
                source=CASEWORK,
                first_at=message.first_at,
                changed_at=message.changed_at,
            )
            .on_conflict_do_nothing()
        )

    async def _adopt_request(self, session: AsyncSession, change: MessageUpdate) -> None:
        """Notify's first report on a referral or enquiry an officer sent takes over the request's row, when notify
        gave the message an id of its own (it may reuse the request's event id, and then nothing is adopted): the
        oldest request to the same authority for the same purpose on the case that notify has not reported on."""
        known = await session.execute(
            select(case_messages.c.message_id).where(case_messages.c.message_id == UUID(change.message_id))
        )
        if known.first() is not None:
            return
        requested = change.purpose in {REFERRAL_PURPOSE, ENQUIRY_PURPOSE} and change.direction == SENT
        if not (change.is_exchange and requested and change.case_id and change.counterpart_la):
            return
        oldest = (
            select(case_messages.c.message_id)
            .where(
                case_messages.c.source == CASEWORK,
                case_messages.c.case_id == UUID(change.case_id),
                case_messages.c.counterpart_la == change.counterpart_la,
                case_messages.c.purpose == change.purpose,
            )
            .order_by(case_messages.c.first_at, case_messages.c.message_id)
            .limit(1)
            .scalar_subquery()
        )
        await session.execute(
            update(case_messages)
            .where(case_messages.c.message_id == oldest)
            .values(message_id=UUID(change.message_id), source=NOTIFY)
        )

    async def record_update(self, session: AsyncSession, change: MessageUpdate) -> None:
        await self._adopt_request(session, change)
        receipted_at, acknowledged_at = receipt_times(change)
        table = case_messages
        statement = insert(table).values(
            message_id=UUID(change.message_id),
            child_id=UUID(change.child_id),
            case_id=UUID(change.case_id) if change.case_id else None,
            direction=change.direction,
            recipient_role=change.recipient_role,
            counterpart_la=change.counterpart_la,
            channel=change.channel,
            purpose=change.purpose,
            status=change.status,
            failed=change.failed,
            reason=change.reason,
            detail=change.detail,
            source=NOTIFY,
            first_at=change.changed_at,
            changed_at=change.changed_at,
            receipted_at=receipted_at,
            acknowledged_at=acknowledged_at,
        )
        new = statement.excluded
        # Redelivery and reordering across partitions are possible: an older status never replaces a newer one.
        newer = new.changed_at >= table.c.changed_at
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.message_id],
                set_={
                    "status": case((newer, new.status), else_=table.c.status),
                    "failed": case((newer, new.failed), else_=table.c.failed),
                    "reason": case((newer, new.reason), else_=table.c.reason),
                    "detail": case((newer, func.coalesce(new.detail, table.c.detail)),
                                   else_=func.coalesce(table.c.detail, new.detail)),
                    "case_id": func.coalesce(table.c.case_id, new.case_id),
                    "counterpart_la": func.coalesce(table.c.counterpart_la, new.counterpart_la),
                    "source": NOTIFY,
                    "first_at": func.least(table.c.first_at, new.first_at),
                    "changed_at": func.greatest(table.c.changed_at, new.changed_at),
                    # LEAST ignores NULLs in PostgreSQL: the earliest receipt (acknowledgement) seen is kept.
                    "receipted_at": func.least(table.c.receipted_at, new.receipted_at),
                    "acknowledged_at": func.least(table.c.acknowledged_at, new.acknowledged_at),
                },
            )
        )

    async def for_case(self, session: AsyncSession, case_id: str) -> list[CaseMessage]:
        rows = await session.execute(
            select(case_messages)
            .where(case_messages.c.case_id == UUID(case_id))
            .order_by(case_messages.c.first_at.desc(), case_messages.c.message_id)
        )
        return [_message(row) for row in rows]



async def messages_of_case(session: AsyncSession, case_id: str) -> list[CaseMessage]:
    """The case page's messages, newest first (the page has already read and audited the case)."""
    return await SqlMessageLog().for_case(session, case_id)
