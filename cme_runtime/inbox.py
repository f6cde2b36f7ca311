"""Idempotent consumers: an event changes state at most once per consumer.

A redelivery is a true duplicate only if it carries the same content as the first delivery: the inbox keeps a
digest of what it received under each id, and the same id with a different digest is a conflict (a sender
reusing an id), which the consumer dead-letters instead of silently dropping.
"""

import hashlib
from enum import Enum

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession


class Delivery(Enum):
    FIRST = "first"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


def content_digest(event_type: str, source: str, data: bytes) -> str:
    """What identifies a delivery's content: its type, source and exact data bytes."""
    digest = hashlib.sha256()
    for part in (event_type.encode(), source.encode(), data):
        # Length-prefixed, so moving bytes between parts changes the digest.
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class Inbox:
    def __init__(self, table: Table, consumer: str) -> None:
        self.table = table
        self.consumer = consumer

    async def first_delivery(self, session: AsyncSession, event_id: str, event_type: str) -> bool:
        """Record the event in the caller's transaction; False if this consumer has already applied it."""
        return await self.record(session, event_id, event_type, None) is Delivery.FIRST

    async def record(self, session: AsyncSession, event_id: str, event_type: str, digest: str | None) -> Delivery:
        """Record the event in the caller's transaction, and say whether it is new, a duplicate or a conflict."""
        values: dict[str, str | None] = {"consumer": self.consumer, "event_id": event_id, "event_type": event_type}
        if digest is not None and "content_digest" in self.table.c:
            values["content_digest"] = digest
        result = await session.execute(
            insert(self.table).values(**values).on_conflict_do_nothing().returning(self.table.c.event_id)
        )
        if result.first() is not None:
            return Delivery.FIRST
        if digest is None or "content_digest" not in self.table.c:
            return Delivery.DUPLICATE
        stored = (
            await session.execute(
                select(self.table.c.content_digest).where(
                    self.table.c.consumer == self.consumer, self.table.c.event_id == event_id
                )
            )
        ).scalar_one_or_none()
        # Rows recorded before the digest existed have none: those can only be taken on trust as duplicates.
        return Delivery.DUPLICATE if stored is None or stored == digest else Delivery.CONFLICT
