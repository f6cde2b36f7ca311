"""Delivering owed messages through GOV.UK Notify, safely, and keeping their status.

The sender works in three steps so that no transaction is held open while Notify is called:

1. `claim_due` (a transaction): lease pending messages and count the attempt, committed before anything is sent.
2. `deliver` (no transaction): send, retrying temporary failures (5xx, 429, timeouts) with exponential backoff and
   jitter up to a maximum number of tries; a permanent failure (400, 403) stops at once. Every send carries the
   message id as Notify's `reference`; before any retry, and before the first try of a message an earlier process
   had claimed, the sender asks Notify for a notification with that reference, so a request whose answer was lost
   (a timeout, a process killed mid-send) is adopted rather than sent twice.
3. `record_outcome` (a transaction): keep Notify's id and status, and publish the change; a final failure is
   published with `failed=True`, for casework to put in front of the case's officer.

Delivery receipts (Notify's callbacks) move the status on through `on_delivery_receipt`.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from cme_runtime.clock import Clock, utc_now
from cme_runtime.db import Transaction
from cme_runtime.outbox import EventOutbox
from contracts.events.notify_v1 import MessageStatusChanged
from services.notify.adapters.delivery_log import ClaimedMessage, DeliveryLog, DeliveryRecord
from services.notify.adapters.gov_notify import (
    Accepted,
    DeliveryChannel,
    PermanentDeliveryError,
    Send,
    TemporaryDeliveryError,
)
from services.notify.domain.delivery import FAILED, FailureReason, Status, may_move, parse_status


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    initial_wait_seconds: float = 1.0
    max_wait_seconds: float = 30.0
    jitter_seconds: float = 1.0


@dataclass(frozen=True)
class Outcome:
    status: Status
    notify_id: str | None = None
    reason: FailureReason | None = None
    tries: int = 0
    adopted: bool = False  # found by reference: an earlier attempt had reached Notify


class DeliveryService:
    def __init__(
        self,
        outbox: EventOutbox,
        delivery_log: DeliveryLog,
        channel: DeliveryChannel,
        clock: Clock = utc_now,
        *,
        retry: RetryPolicy = RetryPolicy(),
        lease: timedelta = timedelta(minutes=5),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.outbox = outbox
        self.delivery_log = delivery_log
        self.channel = channel
        self.clock = clock
        self.retry = retry
        # Longer than one message's tries and waits can take, so a live sender never loses its lease.
        self.lease = lease
        self.sleep = sleep

    async def claim_due(self, session: Transaction, limit: int = 10) -> list[ClaimedMessage]:
        now = self.clock()
        return await self.delivery_log.claim_due(session, now, now + self.lease, limit)

    async def deliver(self, claimed: ClaimedMessage) -> Outcome:
        """Send one claimed message through Notify; never raises for Notify's answers."""
        reference = str(claimed.record.message_id)
        send = Send(
            channel=claimed.record.channel,
            template_id=claimed.template_id,
            reference=reference,
            recipient_address=claimed.recipient_address,
            personalisation=claimed.personalisation,
        )
        tries = 0
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.max_attempts),
            wait=wait_exponential_jitter(
                initial=self.retry.initial_wait_seconds,
                max=self.retry.max_wait_seconds,
                jitter=self.retry.jitter_seconds,
            ),
            retry=retry_if_exception_type(TemporaryDeliveryError),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    tries += 1
                    # An earlier try may have reached Notify even though its answer did not reach us.
                    if tries > 1 or claimed.record.attempts > 1:
                        found = await self.channel.find_by_reference(reference)
                        if found is not None:
                            return self._accepted(found, tries, adopted=True)
                    return self._accepted(await self.channel.send(send), tries)
        except PermanentDeliveryError:
            return Outcome(Status.PERMANENT_FAILURE, reason=FailureReason.REJECTED, tries=tries)
        except TemporaryDeliveryError:
            return Outcome(Status.TECHNICAL_FAILURE, reason=FailureReason.RETRIES_EXHAUSTED, tries=tries)
        raise AssertionError("unreachable: tenacity either returns an attempt's result or re-raises")

    @staticmethod
    def _accepted(accepted: Accepted, tries: int, *, adopted: bool = False) -> Outcome:
        return Outcome(
            parse_status(accepted.status) or Status.CREATED, accepted.notify_id, tries=tries, adopted=adopted
        )

    async def record_outcome(self, session: Transaction, claimed: ClaimedMessage, outcome: Outcome) -> None:
        record = await self.delivery_log.get(session, claimed.record.message_id)
        if record is None:
            return
        if not may_move(record.status, outcome.status):
            # A delivery receipt got here first; keep its status, but remember Notify's id.
            if outcome.notify_id and record.notify_id is None:
                await self.delivery_log.set_status(
                    session, record.message_id, record.status, self.clock(), notify_id=outcome.notify_id
                )
            return
        await self._change(session, record, outcome.status, notify_id=outcome.notify_id, reason=outcome.reason)

    async def on_delivery_receipt(
        self, session: Transaction, notify_id: str, reference: str | None, status: str
    ) -> bool:
        """Notify's callback for one notification; False when it names no message of ours or an unknown status."""
        new = parse_status(status)
        record = await self._find(session, notify_id, reference)
        if record is None or new is None:
            return False
        if may_move(record.status, new):
            reason = FailureReason.PROVIDER if new in FAILED else None
            await self._change(session, record, new, notify_id=notify_id, reason=reason)
        return True

    async def _find(self, session: Transaction, notify_id: str, reference: str | None) -> DeliveryRecord | None:
        record = await self.delivery_log.by_notify_id(session, notify_id)
        if record is None and reference:
            try:
                message_id = UUID(reference)
            except ValueError:
                return None
            record = await self.delivery_log.get(session, message_id)
            if record is not None and record.notify_id not in (None, notify_id):
                return None
        return record

    async def _change(
        self,
        session: Transaction,
        record: DeliveryRecord,
        status: Status,
        *,
        notify_id: str | None,
        reason: FailureReason | None,
    ) -> None:
        at = self.clock()
        await self.delivery_log.set_status(
            session,
            record.message_id,
            status,
            at,
            notify_id=notify_id,
            failure_reason=reason.value if reason else None,
        )
        await self.outbox.add(
            session,
            MessageStatusChanged(
                message_id=record.message_id,
                child_id=record.child_id,
                case_id=record.case_id,
                referral_id=record.referral_id,
                changed_at=at,
                recipient_role=record.recipient_role,
                channel=record.channel,
                purpose=record.purpose,
                status=status.value,
                failed=status in FAILED,
                reason=reason.value if reason else None,
                attempts=record.attempts,
            ),
            key=record.child_id,
            subject=record.case_id or record.referral_id,
        )
