"""The exchange sender's order: one authority's messages go one at a time, in the order they were owed (a receipt
before the acknowledgement that followed it); different authorities are sent to at once."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import uuid4

from services.notify.adapters.exchange_log import ExchangeRecord
from services.notify.domain.exchange import Direction, ExchangeStatus
from services.notify.entrypoints.exchange_sender import ExchangeSender, queues_by_partner
from services.notify.service_layer.exchange import Delivered, ExchangeService

OWED = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def owed(to_la: str, seconds: int, kind: str) -> ExchangeRecord:
    return ExchangeRecord(
        message_id=uuid4(),
        direction=Direction.SENT,
        status=ExchangeStatus.PENDING,
        status_at=OWED,
        counterpart_la=to_la,
        type=kind,
        recorded_at=OWED + timedelta(seconds=seconds),
    )


class Sessions:
    """Stands in for the session factory: the fake service below never touches the session."""

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[None]:
        yield None


class SlowPartners:
    """The service's send step, where each delivery takes a moment and says when it started and finished."""

    def __init__(self, claimed: list[ExchangeRecord]) -> None:
        self.claimed = claimed
        self.happened: list[tuple[str, str]] = []

    async def claim_due(self, session: Any, limit: int) -> list[ExchangeRecord]:
        return self.claimed

    async def deliver(self, record: ExchangeRecord) -> Delivered:
        self.happened.append(("start", str(record.type)))
        await asyncio.sleep(0.01)
        self.happened.append(("end", str(record.type)))
        return Delivered(True, tries=1)

    async def record_outcome(self, session: Any, claimed: ExchangeRecord, outcome: Delivered) -> None:
        return None


def test_each_partners_messages_queue_in_the_order_they_were_owed() -> None:
    acknowledgement = owed("885", 2, "ack")
    receipt = owed("885", 1, "receipt")
    other = owed("884", 0, "referral")

    queues = queues_by_partner([acknowledgement, other, receipt])

    assert [[each.type for each in queue] for queue in queues] == [["referral"], ["receipt", "ack"]]


async def test_a_partner_gets_its_receipt_before_the_acknowledgement_owed_after_it() -> None:
    # Claimed in the database's order, which an UPDATE ... RETURNING does not promise: the acknowledgement first.
    service = SlowPartners([owed("885", 2, "ack"), owed("885", 1, "receipt")])
    sender = ExchangeSender(cast(Any, Sessions()), cast(ExchangeService, service))

    assert await sender.run_once() == 2

    assert service.happened == [("start", "receipt"), ("end", "receipt"), ("start", "ack"), ("end", "ack")]


async def test_different_partners_are_sent_to_at_once() -> None:
    service = SlowPartners([owed("885", 1, "receipt"), owed("884", 2, "referral")])
    sender = ExchangeSender(cast(Any, Sessions()), cast(ExchangeService, service))

    await sender.run_once()

    assert service.happened[:2] == [("start", "receipt"), ("start", "referral")]
