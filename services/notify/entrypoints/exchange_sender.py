"""The exchange sender loop: claims owed exchange messages and delivers them by each partner's transport; about once
a minute it also runs the acknowledgement deadline (chase once, then give up for an officer to phone).

Like the GOV.UK Notify sender it runs in every notify process: claims skip rows another sender holds, and leases
let a surviving process take over the rows of one that died mid-send (a resend is the same signed bytes, and a
receiver that already holds the id answers 409, which counts as delivered).

Messages to one authority go one at a time, in the order they were owed: a receipt owed before an acknowledgement
reaches the partner first, so its case shows both (a partner keeps an acknowledgement over a later receipt). Different
authorities are sent to at once.
"""

import asyncio
import contextlib
import time
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cme_runtime.clock import Clock, utc_now
from cme_runtime.logging import get_logger
from services.notify.adapters.exchange_log import ExchangeRecord
from services.notify.entrypoints.exchange_metrics import EXCHANGE_SENT, kind
from services.notify.service_layer.exchange import DueRun, ExchangeService

log = get_logger(__name__)


def queues_by_partner(claimed: Sequence[ExchangeRecord]) -> list[list[ExchangeRecord]]:
    """The claimed messages, one queue per receiving authority, each in the order its messages were owed."""
    queues: dict[str | None, list[ExchangeRecord]] = {}
    for record in sorted(claimed, key=_owed_order):
        queues.setdefault(record.counterpart_la, []).append(record)
    return list(queues.values())


def _owed_order(record: ExchangeRecord) -> tuple[datetime, str]:
    return record.recorded_at or record.status_at, str(record.message_id)


class ExchangeSender:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        service: ExchangeService,
        *,
        poll_seconds: float = 1.0,
        due_every_seconds: float = 60.0,
        batch_size: int = 10,
        clock: Clock = utc_now,
    ) -> None:
        self.session_factory = session_factory
        self.service = service
        self.poll_seconds = poll_seconds
        self.due_every_seconds = due_every_seconds
        self.batch_size = batch_size
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        self._last_due: float | None = None

    async def run_once(self) -> int:
        """Claim and deliver one batch; returns how many messages it claimed."""
        async with self.session_factory.begin() as session:
            claimed = await self.service.claim_due(session, self.batch_size)
        await asyncio.gather(*(self._deliver_in_turn(queue) for queue in queues_by_partner(claimed)))
        return len(claimed)

    async def _deliver_in_turn(self, queue: list[ExchangeRecord]) -> None:
        for claimed in queue:
            await self._deliver(claimed)

    async def run_due(self) -> DueRun:
        async with self.session_factory.begin() as session:
            run = await self.service.run_due(session, self.clock())
        if run.chased or run.unacknowledged:
            log.info("exchange deadlines run", chased=run.chased, unacknowledged=run.unacknowledged)
        return run

    async def _deliver(self, claimed: ExchangeRecord) -> None:
        outcome = await self.service.deliver(claimed)
        async with self.session_factory.begin() as session:
            await self.service.record_outcome(session, claimed, outcome)
        EXCHANGE_SENT.labels(
            type=kind(claimed.type),
            transport=claimed.transport or "none",
            counterpart_la=claimed.counterpart_la or "",
            outcome="sent" if outcome.delivered else "failed",
        ).inc()
        # Ids, type, LA codes and coded reasons only: the envelope holds the child's details.
        log.info(
            "exchange delivery attempted",
            message_id=str(claimed.message_id),
            type=claimed.type,
            to_la=claimed.counterpart_la,
            transport=claimed.transport,
            delivered=outcome.delivered,
            reason=outcome.reason.value if outcome.reason else None,
            tries=outcome.tries,
        )

    async def run(self) -> None:
        while True:
            try:
                if self._last_due is None or time.monotonic() - self._last_due >= self.due_every_seconds:
                    self._last_due = time.monotonic()
                    await self.run_due()
                claimed = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database may be away; the leases keep every message safe meanwhile
                log.warning("exchange sender pass failed", error=type(error).__name__)
                claimed = 0
            if claimed == 0:
                await asyncio.sleep(self.poll_seconds)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="notify-exchange-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.service.transport.close()
