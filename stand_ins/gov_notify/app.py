"""A GOV.UK Notify-compatible HTTP server for development, demos and tests.

It checks what the real service checks for the calls the suite makes: the API key's JWT (HS256, `iss` = service
id, `iat` within 30 seconds, signed with the key's secret), the request schema, that the template exists and is of
the right type, and that every placeholder has personalisation; it answers in Notify's shapes (201 bodies, errors
as `{"status_code": ..., "errors": [{"error": ..., "message": ...}]}`) and posts delivery receipts to a callback
URL with a bearer token. Notify's simulated addresses work as there: temp-fail@simulator.notify and
perm-fail@simulator.notify fail delivery.

Tests script it through `/_stand_in/...`: the next requests fail with 500, 429, 400 or 403; "lost" records the
notification and then answers 500 (the answer lost on the way back); "hang" records it and answers (and starts
its receipts) only after a long pause (a sender killed mid-send). Everything is kept in memory. It logs no
addresses or personalisation.
"""

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

import httpx
from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from pydantic import BaseModel, ConfigDict, Field

from stand_ins.gov_notify.templates import TEMPLATES, Template

log = logging.getLogger("stand_ins.gov_notify")

TOKEN_BOUND_SECONDS = 30
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SIMULATED_FAILURES = {
    "temp-fail@simulator.notify": "temporary-failure",
    "perm-fail@simulator.notify": "permanent-failure",
}
HANG_SECONDS = 60.0
# Development only: a key of Notify's shape ({key_name}-{service_id}-{secret}) that the stand-in accepts.
DEVELOPMENT_API_KEY = "cme_development-5d1f7a3c-2b4e-4f6a-8c9d-0e1f2a3b4c5d-9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


@dataclass(frozen=True)
class StandInSettings:
    api_key: str
    callback_url: str | None = None
    callback_token: str | None = None
    callback_delay_seconds: float = 0.2
    hang_seconds: float = HANG_SECONDS

    @property
    def service_id(self) -> str:
        return self.api_key[-73:-37]

    @property
    def secret(self) -> str:
        return self.api_key[-36:]


@dataclass
class Notification:
    id: str
    type: str
    template: Template
    reference: str | None
    personalisation: dict[str, str]
    email_address: str | None
    subject: str
    body: str
    status: str = "created"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    sent_at: datetime | None = None
    completed_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "reference": self.reference,
            "email_address": self.email_address,
            "phone_number": None,
            "type": self.type,
            "status": self.status,
            "template": {"id": self.template.id, "version": 1, "uri": f"/v2/template/{self.template.id}"},
            "body": self.body,
            "subject": self.subject,
            "created_at": _iso(self.created_at),
            "sent_at": _iso(self.sent_at),
            "completed_at": _iso(self.completed_at),
            "personalisation": self.personalisation,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


class NotifyError(Exception):
    def __init__(self, status_code: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error = error
        self.message = message


def _error(status_code: int, error: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"status_code": status_code, "errors": [{"error": error, "message": message}]}, status_code=status_code
    )


SCRIPTED = {
    "500": (500, "Exception", "Internal server error"),
    "lost": (500, "Exception", "Internal server error"),
    "429": (429, "RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"),
    "400": (400, "BadRequestError", "Can't send to this recipient using a team-only API key"),
    "403": (403, "AuthError", "Invalid token: API key not found"),
}


class EmailRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email_address: str = Field(max_length=320)
    template_id: str
    personalisation: dict[str, Any] | None = None
    reference: str | None = Field(default=None, max_length=1000)
    email_reply_to_id: str | None = None
    one_click_unsubscribe_url: str | None = None


class LetterRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template_id: str
    personalisation: dict[str, Any]
    reference: str | None = Field(default=None, max_length=1000)


class Script(BaseModel):
    next: list[str] = Field(
        description='Answers for the next sends, in order: "500", "429", "400", "403", "lost", "hang"'
    )
    to: str | None = Field(
        default=None,
        max_length=320,
        description="Only for sends to this email address (other sends pass untouched); default: any send",
    )


@dataclass
class State:
    notifications: dict[str, Notification] = field(default_factory=dict)
    # (answer, the address it is for, or None for any send), in order
    script: list[tuple[str, str | None]] = field(default_factory=list)
    requests: int = 0
    callbacks_sent: list[dict[str, Any]] = field(default_factory=list)


def create_app(settings: StandInSettings) -> FastAPI:  # noqa: PLR0915 (one closure per Notify endpoint)
    state = State()
    background: set[asyncio.Task[None]] = set()
    key = OctKey.import_key(settings.secret)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        for task in background:
            task.cancel()

    app = FastAPI(title="GOV.UK Notify stand-in", lifespan=lifespan)

    @app.exception_handler(NotifyError)
    async def notify_error(_: Request, error: NotifyError) -> JSONResponse:
        return _error(error.status_code, error.error, error.message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        # Notify names the field and the problem, never the value.
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"][1:]) or "body"
        return _error(400, "ValidationError", f"{where} {first['msg']}")

    def authenticate(authorization: str | None) -> None:
        if not authorization or not authorization.startswith("Bearer "):
            raise NotifyError(401, "AuthError", "Unauthorized: authentication token must be provided")
        try:
            token = jwt.decode(authorization.removeprefix("Bearer "), key, algorithms=["HS256"])
        except JoseError:
            raise NotifyError(403, "AuthError", "Invalid token: signature, api token not found") from None
        if token.header.get("alg") != "HS256":
            raise NotifyError(403, "AuthError", "Invalid token: algorithm used is not HS256")
        if token.claims.get("iss") != settings.service_id:
            raise NotifyError(403, "AuthError", "Invalid token: service not found")
        issued_at = token.claims.get("iat")
        if not isinstance(issued_at, int):
            raise NotifyError(403, "AuthError", "Invalid token: iat field not provided")
        if abs(time.time() - issued_at) > TOKEN_BOUND_SECONDS:
            raise NotifyError(403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds")

    def template_for(template_id: str, kind: str, personalisation: dict[str, Any]) -> Template:
        try:
            UUID(template_id)
        except ValueError:
            raise NotifyError(400, "ValidationError", "template_id is not a valid UUID") from None
        template = TEMPLATES.get(template_id)
        if template is None:
            raise NotifyError(400, "BadRequestError", "Template not found")
        if template.type != kind:
            raise NotifyError(
                400, "BadRequestError", f"{kind} template is not suitable for {template.type} notification"
            )
        missing = sorted(template.placeholders - set(personalisation))
        if missing:
            raise NotifyError(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
        return template

    async def accept(kind: str, template: Template, request: EmailRequest | LetterRequest) -> dict[str, Any]:
        state.requests += 1
        address = request.email_address if isinstance(request, EmailRequest) else None
        scripted = None
        for index, (answer, to) in enumerate(state.script):
            if to is None or to == address:
                scripted = answer
                del state.script[index]
                break
        if scripted in SCRIPTED and scripted != "lost":
            raise NotifyError(*SCRIPTED[scripted])
        personalisation = {name: str(value) for name, value in (request.personalisation or {}).items()}
        subject, body = template.render(personalisation)
        notification = Notification(
            id=str(uuid4()),
            type=kind,
            template=template,
            reference=request.reference,
            personalisation=personalisation,
            email_address=request.email_address if isinstance(request, EmailRequest) else None,
            subject=subject,
            body=body,
        )
        state.notifications[notification.id] = notification
        log.info("notification accepted: id=%s type=%s template=%s", notification.id, kind, template.id)
        if scripted == "hang":
            # Slow all through, as when Notify's providers are backed up: no receipt comes before the answer, so
            # a test sees the sender holding its claim on a send Notify has recorded.
            await asyncio.sleep(settings.hang_seconds)
        task = asyncio.create_task(deliver(notification))
        background.add(task)
        task.add_done_callback(background.discard)
        if scripted == "lost":
            raise NotifyError(*SCRIPTED["lost"])
        content: dict[str, Any] = {"subject": subject, "body": body}
        if kind == "email":
            content |= {"from_email": "cme.team@notifications.service.gov.uk", "one_click_unsubscribe_url": None}
        return {
            "id": notification.id,
            "reference": notification.reference,
            "content": content,
            "uri": f"/v2/notifications/{notification.id}",
            "template": {"id": template.id, "version": 1, "uri": f"/v2/template/{template.id}"},
            "scheduled_for": None,
        }

    async def deliver(notification: Notification) -> None:
        """What Notify's providers do: sending, then delivered or a failure; each change is a delivery receipt."""
        await asyncio.sleep(settings.callback_delay_seconds)
        notification.status = "sending"
        notification.sent_at = datetime.now(UTC)
        await callback(notification)
        await asyncio.sleep(settings.callback_delay_seconds)
        notification.status = SIMULATED_FAILURES.get(notification.email_address or "", "delivered")
        notification.completed_at = datetime.now(UTC)
        await callback(notification)

    async def callback(notification: Notification) -> None:
        if not settings.callback_url:
            return
        receipt = {
            "id": notification.id,
            "reference": notification.reference,
            "to": notification.email_address or "",
            "status": notification.status,
            "created_at": _iso(notification.created_at),
            "completed_at": _iso(notification.completed_at),
            "sent_at": _iso(notification.sent_at),
            "notification_type": notification.type,
            "template_id": notification.template.id,
            "template_version": 1,
        }
        headers = {"Authorization": f"Bearer {settings.callback_token or ''}"}
        async with httpx.AsyncClient(timeout=5) as client:
            for attempt in range(5):  # Notify retries failed callbacks too
                try:
                    response = await client.post(settings.callback_url, json=receipt, headers=headers)
                    if response.status_code < 500:
                        state.callbacks_sent.append(
                            {"id": notification.id, "status": notification.status, "answer": response.status_code}
                        )
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5 * (attempt + 1))

    @app.post("/v2/notifications/email", status_code=201)
    async def send_email(
        request: EmailRequest, authorization: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        authenticate(authorization)
        if not EMAIL.match(request.email_address):
            raise NotifyError(400, "ValidationError", "email_address Not a valid email address")
        return await accept("email", template_for(request.template_id, "email", request.personalisation or {}), request)

    @app.post("/v2/notifications/letter", status_code=201)
    async def send_letter(
        request: LetterRequest, authorization: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        authenticate(authorization)
        lines = [name for name in request.personalisation if name.startswith("address_line_")]
        if len(lines) < 3:
            raise NotifyError(400, "ValidationError", "personalisation address must be at least 3 lines")
        return await accept("letter", template_for(request.template_id, "letter", request.personalisation), request)

    @app.get("/v2/notifications")
    async def list_notifications(
        authorization: Annotated[str | None, Header()] = None,
        reference: Annotated[str | None, Query()] = None,
        status: Annotated[str | None, Query()] = None,
        template_type: Annotated[str | None, Query()] = None,
    ) -> dict[str, Any]:
        authenticate(authorization)
        found = [
            each.as_json()
            for each in sorted(state.notifications.values(), key=lambda each: each.created_at, reverse=True)
            if (reference is None or each.reference == reference)
            and (status is None or each.status == status)
            and (template_type is None or each.type == template_type)
        ]
        return {"notifications": found, "links": {"current": "/v2/notifications", "next": None}}

    @app.get("/v2/notifications/{notification_id}")
    async def get_notification(
        notification_id: str, authorization: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        authenticate(authorization)
        notification = state.notifications.get(notification_id)
        if notification is None:
            raise NotifyError(404, "NoResultFound", "No result found")
        return notification.as_json()

    @app.post("/_stand_in/script", status_code=204)
    async def script(body: Script) -> None:
        state.script.extend((answer, body.to) for answer in body.next)

    @app.get("/_stand_in/sent")
    async def sent() -> dict[str, Any]:
        return {
            "notifications": [each.as_json() for each in state.notifications.values()],
            "requests": state.requests,
            "callbacks": state.callbacks_sent,
        }

    @app.post("/_stand_in/reset", status_code=204)
    async def reset() -> None:
        state.notifications.clear()
        state.script.clear()
        state.callbacks_sent.clear()
        state.requests = 0

    @app.get("/health/live")
    @app.get("/health/ready")
    async def health() -> dict[str, object]:
        # The same shape as the suite's own processes answer, so `cme status` and the tests read it alike; the
        # stand-in depends on nothing, so its only check is that it answers.
        return {"status": "ready", "service": "gov_notify stand-in", "checks": {"serving": True}}

    return app
