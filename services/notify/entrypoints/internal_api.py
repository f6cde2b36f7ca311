"""Notify's internal API: the exchange's traffic, for the lead officer's pages in casework's UI.

Casework's UI checks the officer's permission, audits the view and calls this with the suite's service token
(CME_INTERNAL_API_TOKEN, compared in constant time). Without a token configured the API does not exist (404). JSON
only, and no personal data: ids, LA codes, kinds, statuses, the partner's reference and refusal reasons.
"""

import hmac
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notify.adapters.exchange_log import ExchangeRecord
from services.notify.domain.exchange import Direction, ExchangeStatus
from services.notify.service_layer.exchange import ExchangeService

PREFIX = "/internal/v1"


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant else None


def message_json(record: ExchangeRecord) -> dict[str, Any]:
    return {
        "message_id": str(record.claimed_message_id or record.message_id),
        "direction": record.direction.value,
        "counterpart_la": record.counterpart_la,
        "type": record.type,
        "status": record.status.value,
        "detail": record.detail,
        "refusal_reason": record.refusal_reason,
        "at": _iso(record.status_at),
        "case_id": str(record.case_id) if record.case_id else None,
        "transport": record.transport,
    }


def add_internal_api(
    app: FastAPI,
    session_factory: async_sessionmaker[AsyncSession],
    service: ExchangeService,
    token: SecretStr | None,
) -> None:
    def authenticate(request: Request) -> None:
        if token is None:
            raise HTTPException(status_code=404)
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.encode(), token.get_secret_value().encode()):
            raise HTTPException(status_code=401, detail="A valid service token is required")

    router = APIRouter(prefix=PREFIX, dependencies=[Depends(authenticate)], include_in_schema=False)

    @router.get("/exchange/traffic")
    async def traffic(
        direction: Literal["sent", "received"] | None = None,
        outcome: Annotated[str | None, Query(max_length=40)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        try:
            status = ExchangeStatus(outcome) if outcome else None
        except ValueError:
            raise HTTPException(status_code=422, detail="unknown outcome") from None
        async with session_factory() as session:
            records = await service.traffic(
                session, direction=Direction(direction) if direction else None, status=status, limit=limit
            )
        return {"messages": [message_json(each) for each in records]}

    @router.get("/exchange/cases/{case_id}")
    async def case_traffic(case_id: UUID, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        async with session_factory() as session:
            records = await service.traffic(session, case_id=case_id, limit=limit)
        return {"messages": [message_json(each) for each in records]}

    app.include_router(router)
