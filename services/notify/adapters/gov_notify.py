"""Sending through GOV.UK Notify with its official client (notifications-python-client).

The client is synchronous (requests) and not thread-safe, so each call makes its own client and runs in a worker
thread. Its errors are sorted into the two kinds the sender acts on: temporary (5xx, 429, timeouts and refused
connections, which the client reports as 503) and permanent (any other 4xx: the same request can never succeed).
"""

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient


class DeliveryError(Exception):
    """Carries Notify's status code and error class only: its messages can quote what was sent."""

    def __init__(self, status_code: int, error: str) -> None:
        super().__init__(f"GOV.UK Notify answered {status_code} {error}")
        self.status_code = status_code
        self.error = error


class TemporaryDeliveryError(DeliveryError):
    """Try again later: Notify or the network failed, or we are over the rate limit."""


class PermanentDeliveryError(DeliveryError):
    """Notify refused the request (bad template, personalisation or address; bad key): do not retry."""


@dataclass(frozen=True)
class Send:
    channel: str
    template_id: str
    reference: str
    recipient_address: str = field(repr=False)
    personalisation: Mapping[str, str] = field(repr=False)


@dataclass(frozen=True)
class Accepted:
    notify_id: str
    status: str


class DeliveryChannel(ABC):
    """The port the sender delivers messages through."""

    @abstractmethod
    async def send(self, message: Send) -> Accepted:
        """Hand the message to Notify; raises TemporaryDeliveryError or PermanentDeliveryError."""

    @abstractmethod
    async def find_by_reference(self, reference: str) -> Accepted | None:
        """The notification an earlier attempt created with this reference, if Notify has one."""


def classify(error: APIError) -> DeliveryError:
    status = error.status_code
    kind = _error_class(error)
    if status == 429 or status >= 500:
        return TemporaryDeliveryError(status, kind)
    return PermanentDeliveryError(status, kind)


def _error_class(error: APIError) -> str:
    try:
        body: Any = error.response.json() if error.response is not None else None
        return str(body["errors"][0]["error"])
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return "RequestError"


class GovNotifyChannel(DeliveryChannel):
    def __init__(self, api_key: str, base_url: str, timeout_seconds: float = 10.0) -> None:
        self._api_key = api_key
        self._base_url = base_url
        self._timeout = timeout_seconds

    def _client(self) -> NotificationsAPIClient:
        # The official client has no type annotations (py.typed, but untyped functions); its answers are JSON.
        return NotificationsAPIClient(  # type: ignore[no-untyped-call]
            self._api_key, base_url=self._base_url, timeout=self._timeout
        )

    async def send(self, message: Send) -> Accepted:
        return await asyncio.to_thread(self._send, message)

    def _send(self, message: Send) -> Accepted:
        client = self._client()
        personalisation = dict(message.personalisation)
        try:
            if message.channel == "letter":
                response = client.send_letter_notification(  # type: ignore[no-untyped-call]
                    template_id=message.template_id, personalisation=personalisation, reference=message.reference
                )
            else:
                response = client.send_email_notification(  # type: ignore[no-untyped-call]
                    email_address=message.recipient_address,
                    template_id=message.template_id,
                    personalisation=personalisation,
                    reference=message.reference,
                )
        except APIError as error:
            raise classify(error) from None
        # A new notification starts as "created" in Notify; the 201 body does not say so.
        return Accepted(notify_id=str(response["id"]), status="created")

    async def find_by_reference(self, reference: str) -> Accepted | None:
        return await asyncio.to_thread(self._find_by_reference, reference)

    def _find_by_reference(self, reference: str) -> Accepted | None:
        try:
            found = self._client().get_all_notifications(reference=reference)  # type: ignore[no-untyped-call]
        except APIError as error:
            raise classify(error) from None
        notifications = found.get("notifications", [])
        if not notifications:
            return None
        return Accepted(notify_id=str(notifications[0]["id"]), status=str(notifications[0]["status"]))
