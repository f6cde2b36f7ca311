"""The exchange's HTTPS door: `POST /exchange/v1/messages`, the CloudEvents HTTP binding with a DSSE envelope as the
body. Partners without a shared Kafka send here; the same `receive` use case as the Kafka subscriber decides.

Answers: 202 accepted; 409 a replay; 400 not an envelope; 403 an authority, key or signature we do not trust; 421
not for us; 422 unreadable; 413 a body over the limit (checked while reading, so a large body is never held);
415 another content type. The body of a refusal names the reason only. No input gives a 5xx: only an outage (the
database, intake's lookup) gives 503 with Retry-After, and the partner's sender retries.
"""

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cme_runtime.exchange_signing import ENVELOPE_CONTENT_TYPE, RefusalReason
from cme_runtime.failures import FailureKind, classify
from cme_runtime.logging import get_logger
from services.notify.entrypoints.exchange_metrics import EXCHANGE_RECEIVED, EXCHANGE_REFUSED, kind
from services.notify.service_layer.exchange import ExchangeService, Received

log = get_logger(__name__)

PATH = "/exchange/v1/messages"
MAX_BODY_BYTES = 256 * 1024
ACCEPTED_CONTENT_TYPES = frozenset({ENVELOPE_CONTENT_TYPE, "application/json"})
TRANSPORT = "https"
RETRY_AFTER_SECONDS = "30"

STATUS = {
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
TOO_LARGE = f"the body is larger than {MAX_BODY_BYTES} bytes"
WRONG_TYPE = f"the content type must be {ENVELOPE_CONTENT_TYPE} or application/json"


class TooLarge(Exception):
    pass


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes `limit`: a declared length is not trusted, the bytes are counted."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def refused(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"outcome": "refused", "reason": reason}, status_code=status)


def unavailable() -> JSONResponse:
    return JSONResponse(
        {"outcome": "unavailable", "reason": "try again later"},
        status_code=503,
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


def add_exchange_routes(
    app: FastAPI, session_factory: async_sessionmaker[AsyncSession], service: ExchangeService
) -> None:
    router = APIRouter(tags=["cross-LA exchange"])

    async def refuse_unread(reason: str, label: str, status: int) -> JSONResponse:
        try:
            async with session_factory.begin() as session:
                await service.refuse_unread(session, reason, TRANSPORT)
        except Exception as error:  # the refusal stands whether or not it could be kept
            log.warning("exchange refusal not recorded", error=type(error).__name__)
        EXCHANGE_RECEIVED.labels(type="unknown", transport=TRANSPORT, outcome="refused").inc()
        EXCHANGE_REFUSED.labels(transport=TRANSPORT, reason=label).inc()
        return refused(status, reason)

    @router.post(PATH, status_code=202, response_model=None)
    async def receive_message(request: Request) -> Any:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ACCEPTED_CONTENT_TYPES:
            return await refuse_unread(WRONG_TYPE, "unsupported_media_type", 415)
        try:
            raw = await read_limited(request, MAX_BODY_BYTES)
        except TooLarge:
            return await refuse_unread(TOO_LARGE, "too_large", 413)
        try:
            async with session_factory.begin() as session:
                received: Received = await service.receive(session, raw, TRANSPORT)
        except Exception as error:
            failure = classify(error)
            # Never the error's text: it may quote the message.
            log.warning(
                "exchange message not processed",
                error=failure.error_type,
                transient=failure.kind is FailureKind.TRANSIENT,
            )
            return unavailable()
        if received.accepted:
            EXCHANGE_RECEIVED.labels(
                type=kind(received.message_type),
                transport=TRANSPORT,
                outcome="duplicate" if received.duplicate else "accepted",
            ).inc()
            return JSONResponse({"message_id": str(received.message_id), "outcome": "accepted"}, status_code=202)
        reason = received.reason or RefusalReason.UNREADABLE
        EXCHANGE_RECEIVED.labels(type=kind(received.message_type), transport=TRANSPORT, outcome="refused").inc()
        EXCHANGE_REFUSED.labels(transport=TRANSPORT, reason=reason.name.lower()).inc()
        return refused(STATUS[reason], reason.value)

    app.include_router(router)
