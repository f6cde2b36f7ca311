"""HTTP errors without personal data: an unexpected exception is logged by kind with an id, never by message."""

from uuid import uuid4

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cme_runtime.logging import get_logger

log = get_logger(__name__)


class HideUnexpectedErrors:
    """Pure ASGI middleware: turns an unhandled exception into a plain 500, logged by type and an error id.

    Exception messages from the database quote the rows involved, so tracebacks never reach the logs here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            error_id = uuid4().hex[:12]
            log.error("unexpected error", error=type(error).__name__, error_id=error_id, path=scope.get("path"))
            if started:
                return
            response = JSONResponse(
                {"detail": "Sorry, there is a problem with the service. Try again later.", "error_id": error_id},
                status_code=500,
            )
            await response(scope, receive, send)
