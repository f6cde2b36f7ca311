"""Transactional outbox: events are written in the transaction that changes state, then relayed to Kafka."""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from opentelemetry import propagate
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.base import Event

NOTIFY_CHANNEL = "cme_outbox"
# session.info key: the transaction that has already sent the relay its NOTIFY.
_NOTIFIED_IN = "cme_outbox_notified_in"


class UndeclaredEvent(RuntimeError):
    pass


class EventOutbox(ABC):
    """The port a service layer publishes through: an event added here leaves only if the transaction commits."""

    # The event types the service says it publishes (its AsyncAPI document); empty accepts any.
    declared: frozenset[str]

    def _accepted_id(self, event: Event, event_id: UUID | None) -> UUID:
        """The id the event will carry; an event type the service does not declare is a programming error."""
        if self.declared and event.event_type not in self.declared:
            raise UndeclaredEvent(f"{event.event_type} is not among the events this service declares it publishes")
        return event_id or uuid4()

    @abstractmethod
    async def add(
        self,
        session: AsyncSession,
        event: Event,
        *,
        key: str | UUID,
        subject: str | UUID | None = None,
        event_id: UUID | None = None,
    ) -> UUID:
        """Add `event`, keyed (and so ordered) by `key`; returns its CloudEvents id."""


class Outbox(EventOutbox):
    """Adds events to a service's outbox table inside the caller's transaction."""

    def __init__(
        self, table: Table, source: str, schema: str, declared: Sequence[type[Event]] = (), topic_prefix: str = ""
    ) -> None:
        self.table = table
        self.topic_prefix = topic_prefix
        self.source = source
        self.schema = schema
        self.declared = frozenset(event.event_type for event in declared)

    async def add(
        self,
        session: AsyncSession,
        event: Event,
        *,
        key: str | UUID,
        subject: str | UUID | None = None,
        event_id: UUID | None = None,
    ) -> UUID:
        event_id = self._accepted_id(event, event_id)
        trace_headers: dict[str, Any] = {}
        propagate.inject(trace_headers)
        await session.execute(
            self.table.insert().values(
                id=event_id,
                aggregatetype=self.topic_prefix + event.topic,
                aggregateid=str(key),
                type=event.event_type,
                source=self.source,
                subject=str(subject) if subject is not None else None,
                dataschema=event.dataschema(),
                payload=event.model_dump(mode="json"),
                trace_headers=trace_headers,
            )
        )
        # NOTIFY is delivered only when the transaction commits, so the relay never wakes for an uncommitted row.
        # Once per transaction is enough to wake it (a batch of messages adds many events in one transaction);
        # should the notifying savepoint roll back, the relay's idle poll still finds later rows.
        transaction = session.get_transaction()
        if session.info.get(_NOTIFIED_IN) is not transaction:
            await session.execute(
                text("SELECT pg_notify(:channel, :schema)"), {"channel": NOTIFY_CHANNEL, "schema": self.schema}
            )
            session.info[_NOTIFIED_IN] = transaction
        return event_id
