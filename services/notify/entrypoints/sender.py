"""The sender loop: claims owed messages from the delivery log and delivers them through GOV.UK Notify.

It runs inside each notify process beside the Kafka consumers. Several processes may run it at once: claims skip
rows another sender holds, and leases let a surviving process take over the rows of one that died mid-send.
"""

import asyncio
import contextlib

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cme_runtime.logging import get_logger
from services.notify.adapters.delivery_log import ClaimedMessage
from services.notify.service_layer.delivery import DeliveryService

log = get_logger(__name__)


class Sender:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        delivery: DeliveryService,
        poll_seconds: float = 1.0,
        batch_size: int = 10,
    ) -> None:
        self.session_factory = session_factory
        self.delivery = delivery
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """Claim and deliver one batch; returns how many messages it claimed."""
        async with self.session_factory.begin() as session:
            claimed = await self.delivery.claim_due(session, self.batch_size)
        await asyncio.gather(*(self._deliver(each) for each in claimed))
        return len(claimed)

    async def _deliver(self, claimed: ClaimedMessage) -> None:
        outcome = await self.delivery.deliver(claimed)
        async with self.session_factory.begin() as session:
            await self.delivery.record_outcome(session, claimed, outcome)
        # Ids, coded purpose and status only: the recipient and the content stay in the delivery log.
        log.info(
            "message delivery attempted",
            message_id=str(claimed.record.message_id),
            purpose=claimed.record.purpose,
            status=outcome.status.value,
            reason=outcome.reason.value if outcome.reason else None,
            tries=outcome.tries,
            adopted=outcome.adopted,
        )

    async def run(self) -> None:
        while True:
            try:
                claimed = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database may be away; the leases keep every message safe meanwhile
                log.warning("sender pass failed", error=type(error).__name__)
                claimed = 0
            if claimed == 0:
                await asyncio.sleep(self.poll_seconds)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="notify-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
