"""GOV.UK Notify's delivery receipts (callbacks): each moves one message's status on.

Notify posts one JSON body per notification with the bearer token set on the service's callback; see
https://docs.notifications.service.gov.uk/rest-api.html#delivery-receipts. The body names the recipient (`to`):
it is read, never logged.
"""

import hmac
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, FastAPI, Header, HTTPException, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notify.service_layer.delivery import DeliveryService

CALLBACK_PATH = "/notify/v1/delivery-receipts"


class DeliveryReceipt(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(max_length=100, description="Notify's notification id")
    reference: str | None = Field(default=None, max_length=1000, description="Ours: the delivery log's message id")
    to: str = Field(max_length=320, repr=False)
    status: str = Field(max_length=50)
    created_at: datetime | None = None
    completed_at: datetime | None = None
    sent_at: datetime | None = None
    notification_type: str = Field(max_length=20)


def add_routes(
    app: FastAPI,
    session_factory: async_sessionmaker[AsyncSession],
    delivery: DeliveryService,
    callback_token: str | None,
) -> None:
    router = APIRouter()

    @router.post(CALLBACK_PATH, status_code=204, tags=["GOV.UK Notify"])
    async def delivery_receipt(
        receipt: DeliveryReceipt, authorization: Annotated[str | None, Header()] = None
    ) -> Response:
        expected = f"Bearer {callback_token}" if callback_token else None
        if expected is None or not hmac.compare_digest((authorization or "").encode(), expected.encode()):
            raise HTTPException(status_code=401, detail="a valid bearer token is required")
        async with session_factory.begin() as session:
            await delivery.on_delivery_receipt(session, receipt.id, receipt.reference, receipt.status)
        # 204 for a receipt about no message of ours too: Notify would otherwise retry it for hours.
        return Response(status_code=204)

    app.include_router(router)
