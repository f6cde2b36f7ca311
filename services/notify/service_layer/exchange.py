"""The cross-LA exchange's use cases: owe, send, receive, refuse, receipt, acknowledge, chase.

Outbound: a message owed to another authority is signed once and recorded in the exchange log in the same
transaction as the inbox entry of the event that made it owed; the exchange sender delivers it later (claim in one
transaction, deliver with no transaction open, record the outcome in another), so a crash never loses a message
and a redelivered event never owes it twice. A resend is the same signed bytes.

Inbound: one use case, `receive`, for both transports. A message is opened against the trust registry; a refused
one is kept (its claims, never its content) with the reason and changes nothing else; a message id seen before is
a replay; an accepted one is recorded and acted on by type. Every status change of a message about one of our
children is published as MessageStatusChanged for the case timeline (failed=True puts a task in front of an
officer).
"""

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from cme_runtime.clock import Clock, utc_now
from cme_runtime.db import Transaction
from cme_runtime.exchange_signing import (
    ExchangeRefused,
    RefusalReason,
    SigningKey,
    TrustRegistry,
    open_envelope,
    seal,
)
from cme_runtime.logging import get_logger
from cme_runtime.outbox import EventOutbox
from contracts.envelope import CloudEventAttributes
from contracts.events.case_v1 import AuthorityContactKind, CaseOpened, CaseReferredToAuthority
from contracts.events.common_v1 import OrganisationType, Referrer
from contracts.events.intake_v1 import LaEnquirySubmitted
from contracts.events.notify_v1 import MessageStatusChanged
from contracts.events.triage_v1 import TriageDecided
from contracts.exchange.messages_v1 import (
    EnquiryAnswered,
    EnquiryOutcome,
    EnquirySentToAuthority,
    ExchangeMessage,
    MessageReceived,
    ReceiptOutcome,
    ReferralAcknowledged,
    ReferralSentToAuthority,
    TeamContact,
)
from contracts.reference.school_days import SchoolCalendar
from services.notify.adapters.exchange_log import Change, ExchangeLog, ExchangeRecord
from services.notify.adapters.exchange_transport import (
    ExchangeTransport,
    Outgoing,
    PermanentExchangeError,
    Route,
    TemporaryExchangeError,
)
from services.notify.adapters.intake_client import ChildLookup
from services.notify.domain.exchange import (
    CHANNEL,
    NEEDS_AN_OFFICER,
    PURPOSES,
    RECIPIENT_ROLE,
    REFERRAL,
    Direction,
    ExchangeStatus,
    FailureReason,
    acknowledgement_due_on,
    chase_due,
    digest,
    expects_acknowledgement,
    forward_enquiry,
    may_move,
    peek,
    receipt_owed,
    referral_owed_to,
    referral_reason,
    refusal_receipt_owed,
    unacknowledged_due,
)
from services.notify.service_layer.delivery import RetryPolicy
from services.notify.service_layer.notifications import case_reference, referral_reference

log = get_logger(__name__)

LONDON = ZoneInfo("Europe/London")
SUBMISSION_PREFIX = "exchange-"
_DETAIL_LENGTH = 200
DEFAULT_RETRY = RetryPolicy()


def local_day(instant: datetime) -> date:
    return instant.astimezone(LONDON).date()


@dataclass(frozen=True)
class ExchangeConfig:
    home_la: str
    signing_key: SigningKey | None  # None: the exchange is off (nothing sent; everything received is refused)
    registry: TrustRegistry
    routes: Mapping[str, Route]
    team: TeamContact
    ack_school_days: int = 5
    calendar: SchoolCalendar = field(default_factory=SchoolCalendar)

    def partner(self, la_code: str | None) -> bool:
        """A partner we can both verify and reach."""
        return la_code is not None and la_code in self.routes and self.registry.knows(la_code)


@dataclass(frozen=True)
class Received:
    """What `receive` made of the bytes: accepted, refused with a reason, or a redelivery of what we already took
    from this very place in the stream (nothing done)."""

    accepted: bool
    message_id: UUID | None = None
    message_type: str | None = None
    counterpart_la: str | None = None
    reason: RefusalReason | None = None
    duplicate: bool = False


@dataclass(frozen=True)
class Delivered:
    delivered: bool
    reason: FailureReason | None = None
    tries: int = 0


@dataclass(frozen=True)
class DueRun:
    chased: int = 0
    unacknowledged: int = 0


class ExchangeService:
    def __init__(
        self,
        outbox: EventOutbox,
        exchange_log: ExchangeLog,
        lookup: ChildLookup,
        transport: ExchangeTransport,
        config: ExchangeConfig,
        *,
        clock: Clock = utc_now,
        retry: RetryPolicy = DEFAULT_RETRY,
        lease: timedelta = timedelta(minutes=5),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.outbox = outbox
        self.log = exchange_log
        self.lookup = lookup
        self.transport = transport
        self.config = config
        self.clock = clock
        self.retry = retry
        self.lease = lease
        self.sleep = sleep

    # -- What makes a message owed ------------------------------------------------------------------------------

    async def on_triage_decided(
        self, session: Transaction, attributes: CloudEventAttributes, decision: TriageDecided
    ) -> None:
        """A child moved to another authority is owed a referral there; a decision on a referral another authority
        sent us lets us acknowledge it."""
        to_la = referral_owed_to(decision.refer_to_authority, self.config.home_la)
        if to_la is not None:
            destination = decision.destination
            ground = decision.leaving_ground.code if decision.leaving_ground else None
            referral = ReferralSentToAuthority(
                message_id=uuid4(),
                from_la=self.config.home_la,
                to_la=to_la,
                sent_at=self.clock(),
                sender_case_reference=referral_reference(decision.referral_id),
                child=decision.child,
                last_known_address=decision.child.address,
                believed_address=destination.address if destination else None,
                previous_school=decision.school,
                left_school_on=decision.referral_date,
                reason=referral_reason(
                    decision.kind.value, ground, destination.local_authority if destination else None
                ),
                contact=self.config.team,
            )
            await self._owe(
                session, referral, child_id=decision.child_id, referral_id=decision.referral_id, source=attributes.id
            )
        if decision.submission_id and decision.submission_id.startswith(SUBMISSION_PREFIX):
            inbound = await self.log.by_submission_id(session, decision.submission_id)
            if inbound is None or inbound.type != REFERRAL or inbound.status != ExchangeStatus.ACCEPTED:
                return
            if not decision.is_cme:
                # Not missing education here (on a roll, say): the referral is dealt with; no case will open.
                await self._acknowledge(
                    session,
                    inbound,
                    referral_reference(decision.referral_id),
                    decision.child_id,
                    attributes.id,
                    referral_id=decision.referral_id,
                )
            else:
                await self.log.change(session, inbound.message_id, Change(referral_id=decision.referral_id))

    async def on_case_opened(self, session: Transaction, attributes: CloudEventAttributes, event: CaseOpened) -> None:
        """Our case for a child another authority referred: acknowledge with its reference."""
        inbound = await self.log.by_referral_id(session, event.referral_id)
        if inbound is None or inbound.type != REFERRAL or inbound.status != ExchangeStatus.ACCEPTED:
            return
        await self._acknowledge(
            session,
            inbound,
            case_reference(event.case_id),
            event.child_id,
            attributes.id,
            case_id=event.case_id,
            referral_id=event.referral_id,
        )

    async def on_case_referred(
        self, session: Transaction, attributes: CloudEventAttributes, event: CaseReferredToAuthority
    ) -> None:
        """An officer referred the case to, or asked, another authority."""
        message: ExchangeMessage
        common: dict[str, Any] = {
            "message_id": uuid4(),
            "from_la": self.config.home_la,
            "to_la": event.to_la,
            "sent_at": self.clock(),
            "sender_case_reference": case_reference(event.case_id),
            "child": event.child,
            "contact": self.config.team,
        }
        if event.kind is AuthorityContactKind.REFERRAL:
            message = ReferralSentToAuthority(
                **common,
                last_known_address=event.last_known_address,
                believed_address=event.believed_address,
                previous_school=event.previous_school,
                left_school_on=event.left_school_on,
                reason=event.reason,
            )
        else:
            message = EnquirySentToAuthority(
                **common, possible_address=event.believed_address or event.last_known_address
            )
        await self._owe(session, message, child_id=event.child_id, case_id=event.case_id, source=attributes.id)

    async def _acknowledge(
        self,
        session: Transaction,
        inbound: ExchangeRecord,
        reference: str,
        child_id: UUID,
        source: str,
        *,
        case_id: UUID | None = None,
        referral_id: UUID | None = None,
    ) -> None:
        assert inbound.counterpart_la is not None  # an accepted message always names its sender
        now = self.clock()
        await self.log.change(
            session,
            inbound.message_id,
            Change(status=ExchangeStatus.ACKNOWLEDGED, at=now, detail=reference, referral_id=referral_id),
        )
        acknowledgement = ReferralAcknowledged(
            message_id=uuid4(),
            from_la=self.config.home_la,
            to_la=inbound.counterpart_la,
            sent_at=now,
            acknowledges=inbound.message_id,
            receiver_case_reference=reference,
            contact=self.config.team,
        )
        await self._owe(
            session,
            acknowledgement,
            child_id=child_id,
            case_id=case_id,
            referral_id=referral_id,
            source=source,
            in_reply_to=inbound.message_id,
        )

    async def _owe(
        self,
        session: Transaction,
        message: ExchangeMessage,
        *,
        source: str | None,
        child_id: UUID | None = None,
        case_id: UUID | None = None,
        referral_id: UUID | None = None,
        in_reply_to: UUID | None = None,
        correlates_to: UUID | None = None,
    ) -> ExchangeRecord:
        """Sign and record a message owed to another authority; or record it failed when it cannot be sent."""
        now = self.clock()
        route = self.config.routes.get(message.to_la)
        envelope: dict[str, Any] | None = None
        failure: FailureReason | None = None
        if self.config.signing_key is None:
            failure = FailureReason.NOT_CONFIGURED
        elif route is None:
            failure = FailureReason.NO_ROUTE
        else:
            envelope = seal(message, self.config.signing_key)
        record = ExchangeRecord(
            message_id=message.message_id,
            direction=Direction.SENT,
            status=ExchangeStatus.FAILED if failure else ExchangeStatus.PENDING,
            status_at=now,
            counterpart_la=message.to_la,
            type=message.event_type,
            case_id=case_id,
            child_id=child_id,
            referral_id=referral_id,
            detail=failure.value if failure else None,
            failure_reason=failure.value if failure else None,
            next_attempt_at=now if failure is None else None,
            envelope=envelope,
            in_reply_to=in_reply_to,
            correlates_to=correlates_to,
            transport=route.transport if route else None,
            source_event_id=source,
        )
        await self.log.record(session, record)
        log.info(
            "exchange message owed",
            message_id=str(message.message_id),
            type=message.event_type,
            to_la=message.to_la,
            status=record.status.value,
            reason=failure.value if failure else None,
        )
        await self._publish(session, record, reason=failure.value if failure else None)
        return record

    async def _publish(self, session: Transaction, record: ExchangeRecord, *, reason: str | None = None) -> None:
        """Put the message's status on the case timeline: only messages about one of our children have one."""
        if record.child_id is None:
            return
        await self.outbox.add(
            session,
            MessageStatusChanged(
                message_id=record.message_id,
                child_id=record.child_id,
                case_id=record.case_id,
                referral_id=record.referral_id,
                changed_at=record.status_at,
                recipient_role=RECIPIENT_ROLE,
                channel=CHANNEL,
                purpose=PURPOSES.get(record.type or "", "exchange"),
                status=record.status.value,
                failed=record.status in NEEDS_AN_OFFICER,
                reason=reason,
                attempts=record.attempts,
                counterpart_la=record.counterpart_la,
                direction=record.direction.value,
                detail=record.detail[:_DETAIL_LENGTH] if record.detail else None,
            ),
            key=record.child_id,
            subject=record.case_id or record.referral_id,
        )

    async def _move(
        self,
        session: Transaction,
        record: ExchangeRecord,
        status: ExchangeStatus,
        change: Change,
        *,
        reason: str | None = None,
        publish: bool = True,
    ) -> ExchangeRecord:
        """Move a sent message's status on, when the rules allow, and publish it."""
        if not may_move(record.status, status):
            return record
        now = self.clock()
        await self.log.change(session, record.message_id, replace(change, status=status, at=now))
        moved = replace(record, status=status, status_at=now, detail=change.detail or record.detail)
        if publish:
            await self._publish(session, moved, reason=reason)
        return moved

    # -- Sending ------------------------------------------------------------------------------------------------

    async def claim_due(self, session: Transaction, limit: int = 10) -> list[ExchangeRecord]:
        now = self.clock()
        return await self.log.claim_due(session, now, now + self.lease, limit)

    async def deliver(self, record: ExchangeRecord) -> Delivered:
        """Hand one claimed message to its partner's transport; never raises for the partner's answers."""
        route = self.config.routes.get(record.counterpart_la or "")
        if route is None or record.envelope is None or record.counterpart_la is None:
            return Delivered(False, FailureReason.NO_ROUTE)
        outgoing = Outgoing(
            message_id=str(record.message_id),
            message_type=record.type or "",
            from_la=self.config.home_la,
            to_la=record.counterpart_la,
            route=route,
            # The signature covers the payload inside the envelope, so the envelope's own JSON may be re-serialised.
            body=json.dumps(record.envelope).encode(),
        )
        tries = 0
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.max_attempts),
            wait=wait_exponential_jitter(
                initial=self.retry.initial_wait_seconds,
                max=self.retry.max_wait_seconds,
                jitter=self.retry.jitter_seconds,
            ),
            retry=retry_if_exception_type(TemporaryExchangeError),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    tries += 1
                    await self.transport.deliver(outgoing)
                    return Delivered(True, tries=tries)
        except PermanentExchangeError:
            return Delivered(False, FailureReason.REJECTED, tries)
        except TemporaryExchangeError:
            return Delivered(False, FailureReason.RETRIES_EXHAUSTED, tries)
        raise AssertionError("unreachable: tenacity either returns an attempt's result or re-raises")

    async def record_outcome(self, session: Transaction, claimed: ExchangeRecord, outcome: Delivered) -> None:
        record = await self.log.get(session, claimed.message_id)
        if record is None:
            return
        if not outcome.delivered:
            reason = (outcome.reason or FailureReason.RETRIES_EXHAUSTED).value
            await self._move(
                session,
                record,
                ExchangeStatus.FAILED,
                Change(failure_reason=reason, detail=reason, release_lease=True),
                reason=reason,
            )
            return
        now = self.clock()
        due = (
            acknowledgement_due_on(self.config.calendar, local_day(now), self.config.ack_school_days)
            if record.type is not None and expects_acknowledgement(record.type)
            else None
        )
        # A receipt may have overtaken the sender's own record; the deadline is set either way.
        await self.log.change(session, record.message_id, Change(ack_due_on=due, release_lease=True))
        await self._move(session, replace(record, ack_due_on=due), ExchangeStatus.SENT, Change(ack_due_on=due))

    # -- The acknowledgement deadline ----------------------------------------------------------------------------

    async def run_due(self, session: Transaction, as_of: datetime) -> DueRun:
        """Chase each referral whose acknowledgement is overdue, once; give up on one whose chase is overdue too."""
        today = local_day(as_of)
        chased = unacknowledged = 0
        for row in await self.log.awaiting_acknowledgement(session, today):
            if row.correlates_to is None:
                if chase_due(
                    status=row.status,
                    ack_due_on=row.ack_due_on,
                    today=today,
                    is_chase=False,
                    chased=row.chased_message_id is not None,
                ):
                    await self._chase(session, row, as_of)
                    chased += 1
                continue
            original = await self.log.get(session, row.correlates_to)
            if original is not None and unacknowledged_due(
                original_status=original.status,
                chase_status=row.status,
                chase_ack_due_on=row.ack_due_on,
                today=today,
            ):
                await self._move(
                    session,
                    original,
                    ExchangeStatus.UNACKNOWLEDGED,
                    Change(detail="no acknowledgement after a chase"),
                    reason="unacknowledged",
                )
                unacknowledged += 1
        return DueRun(chased, unacknowledged)

    async def _chase(self, session: Transaction, row: ExchangeRecord, as_of: datetime) -> None:
        original = await self.log.get(session, row.message_id)
        if original is None or original.envelope is None:
            return
        cloud_event = json.loads(base64.b64decode(original.envelope["payload"]))
        again = ReferralSentToAuthority.model_validate(cloud_event["data"]).model_copy(
            update={"message_id": uuid4(), "sent_at": as_of}
        )
        chase = await self._owe(
            session,
            again,
            source=None,
            child_id=original.child_id,
            case_id=original.case_id,
            referral_id=original.referral_id,
            correlates_to=original.message_id,
        )
        await self._move(
            session,
            original,
            ExchangeStatus.CHASED,
            Change(chased_message_id=chase.message_id, detail="chased: no acknowledgement by the deadline"),
        )

    # -- Receiving ----------------------------------------------------------------------------------------------

    async def receive(
        self, session: Transaction, raw: bytes, transport: str, *, position: str | None = None
    ) -> Received:
        """Open, check and act on one message another authority sent us, whichever way it came."""
        now = self.clock()
        try:
            opened = open_envelope(raw, self.config.registry, receiver_la=self.config.home_la, now=now)
        except ExchangeRefused as refused:
            return await self._refuse(session, raw, transport, refused.reason, position)
        message = opened.message
        seen = await self.log.get(session, message.message_id)
        if seen is not None:
            if position is not None and seen.position == position and seen.digest == digest(raw):
                # Kafka delivered again what we took from this very offset (our commit raced a crash): not a replay.
                return Received(True, message.message_id, message.event_type, opened.from_la, duplicate=True)
            return await self._refuse(session, raw, transport, RefusalReason.REPLAYED, position)
        submission_id = (
            SUBMISSION_PREFIX + str(message.message_id)
            if isinstance(message, ReferralSentToAuthority | EnquirySentToAuthority)
            else None
        )
        record = ExchangeRecord(
            message_id=message.message_id,
            direction=Direction.RECEIVED,
            status=ExchangeStatus.ACCEPTED,
            status_at=now,
            counterpart_la=opened.from_la,
            type=message.event_type,
            in_reply_to=_replies_to(message),
            transport=transport,
            position=position,
            digest=digest(raw),
            submission_id=submission_id,
            source_event_id=opened.attributes.id,
        )
        if not await self.log.record(session, record):
            return await self._refuse(session, raw, transport, RefusalReason.REPLAYED, position)
        log.info(
            "exchange message accepted",
            message_id=str(message.message_id),
            type=message.event_type,
            from_la=opened.from_la,
            transport=transport,
        )
        if isinstance(message, ReferralSentToAuthority):
            await self._forward(
                session,
                message,
                submission_id or "",
                possible_address=message.believed_address,
                last_known_school=message.previous_school,
                enquiry=message.reason,
            )
        elif isinstance(message, EnquirySentToAuthority):
            await self._answer(session, message, submission_id or "")
        elif isinstance(message, MessageReceived):
            await self._on_receipt(session, message)
        elif isinstance(message, ReferralAcknowledged):
            await self._on_acknowledgement(session, message)
        elif isinstance(message, EnquiryAnswered):
            await self._on_answer(session, message)
        if receipt_owed(message.event_type):
            await self._owe_receipt(session, message.message_id, message.from_la, now, refusal=None)
        return Received(True, message.message_id, message.event_type, opened.from_la)

    async def _refuse(
        self, session: Transaction, raw: bytes, transport: str, reason: RefusalReason, position: str | None
    ) -> Received:
        now = self.clock()
        claims = peek(raw)
        known_type = claims.message_type if claims.message_type in PURPOSES else None
        await self.log.record(
            session,
            ExchangeRecord(
                message_id=uuid4(),  # never the claimed id: a forgery must not take a genuine message's id
                claimed_message_id=claims.message_id,
                direction=Direction.RECEIVED,
                status=ExchangeStatus.REFUSED,
                status_at=now,
                counterpart_la=claims.claimed_la,
                type=known_type,
                detail=reason.value,
                refusal_reason=reason.value,
                transport=transport,
                position=position,
                digest=digest(raw),
            ),
        )
        # The audit line: ids, claimed authority and reason only, never the content.
        log.warning(
            "exchange message refused",
            claimed_message_id=str(claims.message_id) if claims.message_id else None,
            claimed_la=claims.claimed_la,
            type=known_type,
            transport=transport,
            reason=reason.value,
            digest=digest(raw),
        )
        if (
            claims.message_id is not None
            and claims.claimed_la is not None
            and refusal_receipt_owed(
                message_type=claims.message_type,
                message_id=claims.message_id,
                claimed_la=claims.claimed_la,
                partner_known=self.config.partner(claims.claimed_la),
                replayed=reason is RefusalReason.REPLAYED,
            )
        ):
            await self._owe_receipt(session, claims.message_id, claims.claimed_la, now, refusal=reason)
        return Received(False, claims.message_id, known_type, claims.claimed_la, reason=reason)

    async def refuse_unread(self, session: Transaction, reason: str, transport: str) -> None:
        """A request refused before its bytes were read (too large, not an envelope's content type): kept for the
        lead officer's view with its reason, and nothing else."""
        await self.log.record(
            session,
            ExchangeRecord(
                message_id=uuid4(),
                direction=Direction.RECEIVED,
                status=ExchangeStatus.REFUSED,
                status_at=self.clock(),
                detail=reason,
                refusal_reason=reason,
                transport=transport,
            ),
        )
        log.warning("exchange message refused", transport=transport, reason=reason)

    async def _owe_receipt(
        self,
        session: Transaction,
        receipt_for: UUID,
        to_la: str,
        received_at: datetime,
        *,
        refusal: RefusalReason | None,
    ) -> None:
        receipt = MessageReceived(
            message_id=uuid4(),
            from_la=self.config.home_la,
            to_la=to_la,
            sent_at=self.clock(),
            receipt_for=receipt_for,
            received_at=received_at,
            outcome=ReceiptOutcome.REFUSED if refusal else ReceiptOutcome.ACCEPTED,
            refusal_reason=refusal.value if refusal else None,
        )
        await self._owe(session, receipt, source=None, in_reply_to=receipt_for)

    async def _forward(
        self,
        session: Transaction,
        message: ReferralSentToAuthority | EnquirySentToAuthority,
        submission_id: str,
        *,
        possible_address: Any,
        last_known_school: Any,
        enquiry: str,
    ) -> None:
        """Hand the child to our own intake, as another authority's enquiry: our team then looks for the child."""
        contact = message.contact
        await self.outbox.add(
            session,
            LaEnquirySubmitted(
                submission_id=submission_id,
                submitted_at=self.clock(),
                enquiring_authority=Referrer(
                    organisation_type=OrganisationType.OTHER_LOCAL_AUTHORITY,
                    organisation=contact.team,
                    email=contact.email,
                    phone=contact.phone[:30] if contact.phone else None,
                    local_authority_code=message.from_la,
                ),
                child=message.child,
                possible_address_here=possible_address,
                last_known_school=last_known_school,
                enquiry=enquiry,
            ),
            key=submission_id,
            subject=submission_id,
        )

    async def _answer(self, session: Transaction, message: EnquirySentToAuthority, submission_id: str) -> None:
        found = await self.lookup.lookup(message.child, message.from_la)
        on_roll = found.outcome is EnquiryOutcome.KNOWN_ON_ROLL
        answer = EnquiryAnswered(
            message_id=uuid4(),
            from_la=self.config.home_la,
            to_la=message.from_la,
            sent_at=self.clock(),
            in_reply_to=message.message_id,
            outcome=found.outcome,
            school=found.school if on_roll else None,
            contact=self.config.team,
        )
        await self._owe(session, answer, source=None, in_reply_to=message.message_id)
        if forward_enquiry(on_roll):
            await self._forward(
                session,
                message,
                submission_id,
                possible_address=message.possible_address,
                last_known_school=None,
                enquiry=f"Authority {message.from_la} asks whether this child is known here "
                f"(their reference {message.sender_case_reference}).",
            )

    async def _ours(self, session: Transaction, message_id: UUID, partner: str) -> ExchangeRecord | None:
        """Our sent message that a partner's reply names; a reply from anyone but its recipient is ignored."""
        record = await self.log.get(session, message_id)
        if record is None or record.direction is not Direction.SENT or record.counterpart_la != partner:
            log.info("exchange reply names no message we sent them", message_id=str(message_id), from_la=partner)
            return None
        return record

    async def _on_receipt(self, session: Transaction, receipt: MessageReceived) -> None:
        record = await self._ours(session, receipt.receipt_for, receipt.from_la)
        if record is None:
            return
        if receipt.outcome is ReceiptOutcome.ACCEPTED:
            await self._move(session, record, ExchangeStatus.RECEIPTED, Change())
        else:
            reason = (receipt.refusal_reason or "refused")[:_DETAIL_LENGTH]
            await self._move(
                session,
                record,
                ExchangeStatus.REFUSED,
                Change(refusal_reason=reason, detail=reason),
                reason="refused",
            )

    async def _on_acknowledgement(self, session: Transaction, ack: ReferralAcknowledged) -> None:
        record = await self._ours(session, ack.acknowledges, ack.from_la)
        if record is None or record.type != REFERRAL:
            return
        reference = ack.receiver_case_reference
        change = Change(receiver_reference=reference, detail=reference)
        if record.correlates_to is not None:  # the chase was acknowledged: so is the referral it chased
            await self._move(session, record, ExchangeStatus.ACKNOWLEDGED, change, publish=False)
            original = await self.log.get(session, record.correlates_to)
            if original is None:
                return
            record = original
        await self._move(session, record, ExchangeStatus.ACKNOWLEDGED, change)
        if record.chased_message_id is not None:
            chase = await self.log.get(session, record.chased_message_id)
            if chase is not None:
                await self._move(session, chase, ExchangeStatus.ACKNOWLEDGED, change, publish=False)

    async def _on_answer(self, session: Transaction, answer: EnquiryAnswered) -> None:
        record = await self._ours(session, answer.in_reply_to, answer.from_la)
        if record is None:
            return
        detail = answer.outcome.value
        if answer.school is not None:
            detail += f" at {answer.school.establishment_id}"
        await self._move(session, record, ExchangeStatus.ANSWERED, Change(detail=detail))

    # -- The lead officer's view ----------------------------------------------------------------------------------

    async def traffic(
        self,
        session: Transaction,
        *,
        direction: Direction | None = None,
        status: ExchangeStatus | None = None,
        case_id: UUID | None = None,
        limit: int = 100,
    ) -> list[ExchangeRecord]:
        return await self.log.traffic(session, direction=direction, status=status, case_id=case_id, limit=limit)


def _replies_to(message: ExchangeMessage) -> UUID | None:
    if isinstance(message, MessageReceived):
        return message.receipt_for
    if isinstance(message, ReferralAcknowledged):
        return message.acknowledges
    if isinstance(message, EnquiryAnswered):
        return message.in_reply_to
    return None
