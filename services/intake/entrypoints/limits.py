"""What is refused before a JSON submission's body is read: a media type other than JSON (415), and a body over
the size limit (413), by its declared length or, when it streams without one, as soon as it passes the limit.

A pure ASGI middleware, so the check happens before FastAPI reads the whole body into memory to parse it.
The CTF route enforces its own, larger limit while it streams the file (see `http.read_limited`).
"""

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.events.intake_v1 import Problem

JSON_MEDIA_TYPE = "application/json"


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a streamed body passes the limit. An HTTPException, so FastAPI's body parsing
    passes it on instead of turning it into a 400; the app's handler and this middleware both answer 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=too_large_message(limit))
        self.limit = limit


def size_in_words(limit: int) -> str:
    mebibyte, kibibyte = 1024 * 1024, 1024
    if limit % mebibyte == 0:
        return f"{limit // mebibyte} MB"
    if limit % kibibyte == 0:
        return f"{limit // kibibyte} KB"
    return f"{limit} bytes"


def too_large_message(limit: int) -> str:
    return f"The submission is larger than the limit of {size_in_words(limit)}. Send a smaller submission"


def is_json(content_type: str) -> bool:
    media_type = content_type.split(";", maxsplit=1)[0].strip().lower()
    return media_type == JSON_MEDIA_TYPE or (media_type.startswith("application/") and media_type.endswith("+json"))


def rejection(status_code: int, message: str) -> JSONResponse:
    problem = Problem(field="submission", message=message)
    return JSONResponse(
        {"status": "rejected", "submission_id": None, "problems": [problem.model_dump()]}, status_code=status_code
    )


class SubmissionBodyGuard:
    """Refuses bodies over `limit_for(path)` bytes (None: that route enforces its own limit), and non-JSON bodies
    on the routes `json_only(path)` says yes to, before the route reads them."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit_for: Callable[[str], int | None],
        json_only: Callable[[str], bool],
    ) -> None:
        self.app = app
        self.limit_for = limit_for
        self.json_only = json_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        limit = self.limit_for(path)
        if scope["type"] != "http" or scope.get("method") not in {"POST", "PUT", "PATCH"} or limit is None:
            await self.app(scope, receive, send)
            return
        max_bytes = limit
        headers = {name.lower(): value for name, value in scope.get("headers", [])}
        if self.json_only(path) and not is_json(headers.get(b"content-type", b"").decode("latin-1")):
            message = "Send the submission as JSON, with the header Content-Type: application/json"
            await rejection(415, message)(scope, receive, send)
            return
        declared = headers.get(b"content-length", b"").decode("latin-1")
        if declared.isdigit() and int(declared) > max_bytes:
            await rejection(413, too_large_message(max_bytes))(scope, receive, send)
            return

        received = 0
        started = False

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge(max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, capped_receive, tracking_send)
        except BodyTooLarge as error:
            if not started:
                await rejection(413, too_large_message(error.limit))(scope, receive, send)
