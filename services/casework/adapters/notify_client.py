"""Casework's outbound client for notify's internal API: the cross-LA exchange's traffic and refusals, which the
lead officer watches on the Exchange page (`GET /internal/v1/exchange/traffic`, bearer service token).

Notify not answering, or answering anything unexpected, is `ExchangeUnavailable`: the page says so and the rest of
the UI keeps working.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

import httpx

Direction = Literal["sent", "received"]
TRAFFIC_LIMIT: Final = 100


class ExchangeUnavailable(RuntimeError):
    """Notify's internal API did not answer (or answered unexpectedly). The message names no child."""


@dataclass(frozen=True)
class ExchangeMessage:
    """One message of the exchange as notify lists it: ids, codes and statuses, no personal data."""

    message_id: str
    direction: str
    counterpart_la: str
    type: str
    status: str
    detail: str | None
    refusal_reason: str | None
    at: datetime | None
    case_id: str | None
    transport: str | None


def _message(data: dict[str, Any]) -> ExchangeMessage:
    return ExchangeMessage(
        message_id=str(data["message_id"]),
        direction=str(data["direction"]),
        counterpart_la=str(data.get("counterpart_la") or ""),
        type=str(data.get("type") or ""),
        status=str(data.get("status") or ""),
        detail=data.get("detail"),
        refusal_reason=data.get("refusal_reason"),
        at=datetime.fromisoformat(str(data["at"])) if data.get("at") else None,
        case_id=str(data["case_id"]) if data.get("case_id") else None,
        transport=data.get("transport"),
    )


class ExchangeTraffic(ABC):
    """The port the Exchange page uses to reach notify."""

    @abstractmethod
    async def traffic(self, *, direction: Direction | None, refused_only: bool) -> list[ExchangeMessage]:
        """The newest messages first, at most `TRAFFIC_LIMIT`."""


class HttpExchangeTraffic(ExchangeTraffic):
    def __init__(self, base_url: str, token: str | None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/") + "/internal/v1"
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        # A slow notify must not hold an officer's page: connect quickly, read within the timeout.
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 3.0))

    async def traffic(self, *, direction: Direction | None, refused_only: bool) -> list[ExchangeMessage]:
        params: dict[str, str] = {"limit": str(TRAFFIC_LIMIT)}
        if direction is not None:
            params["direction"] = direction
        if refused_only:
            params["outcome"] = "refused"
        try:
            async with httpx.AsyncClient(timeout=self.timeout, headers=self.headers) as client:
                response = await client.get(self.base_url + "/exchange/traffic", params=params)
        except httpx.HTTPError as error:
            raise ExchangeUnavailable("notify's internal API did not answer") from error
        if response.status_code != 200:
            raise ExchangeUnavailable(f"notify's internal API answered {response.status_code}")
        try:
            return [_message(each) for each in response.json()["messages"]]
        except (ValueError, KeyError, TypeError) as error:
            raise ExchangeUnavailable("notify's internal API answered with an unreadable list") from error
