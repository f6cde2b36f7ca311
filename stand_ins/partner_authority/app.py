"""A partner authority for development and demos: the other end of the signed cross-LA exchange.

No real authority is reachable from here, so `cme up` runs this stand-in as LA 886 behind the CloudEvents HTTP
binding. It checks what a real partner running the suite checks, with the same code (cme_runtime.exchange_signing):
the DSSE envelope, a key in its trust registry valid now, the signature, that the key belongs to the authority in
the CloudEvent's source, that the message is a known exchange contract addressed to it, and that its id was not
seen before. It answers as notify's webhook does (202, 400, 403, 409, 421, 422 with the reason) and, like a real
partner, sends back a signed receipt for every message it accepts, an acknowledgement with a case reference of its
own for a referral, and "not known" for an enquiry, to the home authority's webhook. It keeps everything in memory
and logs ids, types and reasons only, never a child's details.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from cme_runtime.exchange_signing import (
    ENVELOPE_CONTENT_TYPE,
    ExchangeRefused,
    RefusalReason,
    SigningKey,
    TrustRegistry,
    open_envelope,
    seal,
)
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

log = logging.getLogger("stand_ins.partner_authority")

MAX_BODY_BYTES = 256 * 1024
STATUS_FOR = {
    RefusalReason.NOT_AN_ENVELOPE: 400,
    RefusalReason.UNKNOWN_AUTHORITY: 403,
    RefusalReason.UNKNOWN_KEY: 403,
    RefusalReason.RETIRED_KEY: 403,
    RefusalReason.BAD_SIGNATURE: 403,
    RefusalReason.SOURCE_MISMATCH: 403,
    RefusalReason.NOT_FOR_US: 421,
    RefusalReason.UNREADABLE: 422,
    RefusalReason.REPLAYED: 409,
}


@dataclass
class PartnerSettings:
    key: SigningKey
    registry: TrustRegistry
    # Where each authority it answers takes exchange messages (the home authority's notify webhook).
    reply_urls: dict[str, str]
    reply_delay_seconds: float = 1.0
    contact: TeamContact = field(
        default_factory=lambda: TeamContact(team="Partner CME team (stand-in)", email="cme@partner.example.invalid")
    )


@dataclass
class PartnerState:
    seen: set[str] = field(default_factory=set)
    received: list[dict[str, str]] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)


def create_app(settings: PartnerSettings) -> FastAPI:
    state = PartnerState()
    replies: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        for task in replies:
            task.cancel()

    app = FastAPI(title="Partner authority (stand-in)", lifespan=lifespan)
    app.state.partner = state

    @app.post("/exchange/v1/messages")
    async def receive(request: Request) -> JSONResponse:
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type not in (ENVELOPE_CONTENT_TYPE, "application/json"):
            return JSONResponse({"outcome": "refused", "reason": "send a DSSE envelope as JSON"}, status_code=415)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return JSONResponse({"outcome": "refused", "reason": "too large"}, status_code=413)
        try:
            opened = open_envelope(
                bytes(body), settings.registry, receiver_la=settings.key.la_code, now=datetime.now(UTC)
            )
            if opened.attributes.id in state.seen:
                raise ExchangeRefused(RefusalReason.REPLAYED)
        except ExchangeRefused as refused:
            state.refused.append({"reason": refused.reason.value})
            log.warning("exchange message refused: %s", refused.reason.value)
            return JSONResponse(
                {"outcome": "refused", "reason": refused.reason.value}, status_code=STATUS_FOR[refused.reason]
            )
        state.seen.add(opened.attributes.id)
        message = opened.message
        state.received.append(
            {"message_id": str(message.message_id), "type": message.event_type, "from_la": message.from_la}
        )
        log.info("exchange message accepted: %s %s from %s", message.message_id, message.event_type, message.from_la)
        if not isinstance(message, MessageReceived):  # a receipt is never receipted: no loops
            task = asyncio.create_task(_reply(settings, state, message))
            replies.add(task)
            task.add_done_callback(replies.discard)
        return JSONResponse({"message_id": str(message.message_id), "outcome": "accepted"}, status_code=202)

    @app.get("/health/live")
    @app.get("/health/ready")
    async def health() -> dict[str, object]:
        return {"status": "ready", "service": "partner authority stand-in", "checks": {"serving": True}}

    @app.get("/_stand_in/exchange")
    async def traffic() -> dict[str, Any]:
        """What the stand-in received, refused and sent back (ids, types and reasons only), for tests and demos."""
        return {
            "received": state.received,
            "refused": state.refused,
            "sent": [{"message_id": each["message_id"], "type": each["type"]} for each in state.sent],
        }

    return app


def answers_to(message: ExchangeMessage, settings: PartnerSettings, now: datetime) -> list[ExchangeMessage]:
    """What a partner owes for `message`: a receipt, then an acknowledgement or an answer."""
    common = {"from_la": settings.key.la_code, "to_la": message.from_la, "sent_at": now}
    owed: list[ExchangeMessage] = [
        MessageReceived(
            message_id=uuid4(),
            receipt_for=message.message_id,
            received_at=now,
            outcome=ReceiptOutcome.ACCEPTED,
            **common,
        )
    ]
    if isinstance(message, ReferralSentToAuthority):
        reference = f"P{settings.key.la_code}-{str(message.message_id)[:8].upper()}"
        owed.append(
            ReferralAcknowledged(
                message_id=uuid4(),
                acknowledges=message.message_id,
                receiver_case_reference=reference,
                contact=settings.contact,
                **common,
            )
        )
    elif isinstance(message, EnquirySentToAuthority):
        owed.append(
            EnquiryAnswered(
                message_id=uuid4(),
                in_reply_to=message.message_id,
                outcome=EnquiryOutcome.NOT_KNOWN,
                contact=settings.contact,
                **common,
            )
        )
    return owed


async def _reply(settings: PartnerSettings, state: PartnerState, message: ExchangeMessage) -> None:
    url = settings.reply_urls.get(message.from_la)
    if url is None:
        log.warning("no reply address for authority %s", message.from_la)
        return
    await asyncio.sleep(settings.reply_delay_seconds)
    async with httpx.AsyncClient(timeout=10.0) as client:
        for answer in answers_to(message, settings, datetime.now(UTC)):
            envelope = seal(answer, settings.key)
            state.sent.append({"message_id": str(answer.message_id), "type": answer.event_type, "envelope": envelope})
            for attempt in range(5):
                try:
                    response = await client.post(url, json=envelope, headers={"Content-Type": ENVELOPE_CONTENT_TYPE})
                except httpx.HTTPError as error:
                    log.warning("reply to %s failed (%s); retrying", message.from_la, type(error).__name__)
                else:
                    # 409: an earlier attempt landed. Other 4xx: the home authority refuses it; retrying won't help.
                    if response.status_code < 500:
                        log.info("reply %s to %s: %s", answer.event_type, message.from_la, response.status_code)
                        break
                await asyncio.sleep(2**attempt)
