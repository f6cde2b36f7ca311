"""Idempotent consumers: an event changes state at most once per consumer."""

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession


class Inbox:
    def __init__(self, table: Table, consumer: str) -> None:
        self.table = table
        self.consumer = consumer

    async def first_delivery(self, session: AsyncSession, event_id: str, event_type: str) -> bool:
        """Record the event in the caller's transaction; False if this consumer has already applied it."""
        result = await session.execute(
            insert(self.table)
            .values(consumer=self.consumer, event_id=event_id, event_type=event_type)
            .on_conflict_do_nothing()
            .returning(self.table.c.event_id)
        )
        return result.first() is not None
