"""In-memory stand-ins for the runtime's ports, for fast service-layer tests (never for integration tests)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from cme_runtime.db import Transaction
from cme_runtime.outbox import EventOutbox
from contracts.base import Event

# Use cases only hand their transaction on to their ports, and in-memory ports keep none: any object will do.
TRANSACTION = cast(Transaction, object())


class FixedClock:
    """A clock that reads `now` until a test moves it on."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class PublishedEvent:
    event: Event
    key: str
    subject: str | None
    event_id: UUID


@dataclass
class RecordingOutbox(EventOutbox):
    """Keeps what a use case published, in order, and refuses undeclared event types as the real outbox does."""

    declared: frozenset[str] = frozenset()
    published: list[PublishedEvent] = field(default_factory=list)

    async def add(
        self,
        session: Any,
        event: Event,
        *,
        key: str | UUID,
        subject: str | UUID | None = None,
        event_id: UUID | None = None,
    ) -> UUID:
        event_id = self._accepted_id(event, event_id)
        self.published.append(PublishedEvent(event, str(key), str(subject) if subject is not None else None, event_id))
        return event_id

    def of_type(self, event_type: type[Event]) -> list[Event]:
        return [each.event for each in self.published if isinstance(each.event, event_type)]
