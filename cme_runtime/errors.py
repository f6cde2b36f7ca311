"""HTTP errors without personal data: an unexpected exception is logged by kind with an id, never by message."""

from collections.abc import Iterator
from uuid import uuid4

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cme_runtime.failures import FailureKind, classify
from cme_runtime.logging import get_logger

log = get_logger(__name__)

# PostgreSQL's "data exception" class (SQLSTATE 22...): a value it cannot store or compute with, such as a NUL
# character, a number or date out of range. Such a value came with the request, so it is the client's to fix; the
# transaction it was in has rolled back. Each service should refuse such values first, naming the field.
_DATA_EXCEPTION_CLASS = "22"
# How long a client should wait before sending again after a 503: PostgreSQL restarting, a pool exhausted by a
# burst, a deadlock lost three times. The request changed nothing (its transaction rolled back).
RETRY_AFTER_SECONDS = 5
_CANNOT_STORE = (
    "Some of what was sent cannot be stored: remove any control characters, and check that dates and numbers "
    "are real ones"
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__


def is_client_data_error(error: BaseException) -> bool:
    """Whether an exception is the database (or the calendar) refusing a value that came with the request."""
    for link in _chain(error):
        if isinstance(link, OverflowError):
            return True
        sqlstate = getattr(link, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_DATA_EXCEPTION_CLASS):
            return True
    return False


class HideUnexpectedErrors:
    """Pure ASGI middleware: turns an unhandled exception into a plain 500, logged by type and an error id; an
    outage (a transient failure: the database unreachable, a pool timeout) into a 503 with Retry-After; a value
    the database cannot store into a 422.

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
            if is_client_data_error(error):
                log.warning("value refused", error=type(error).__name__, error_id=error_id, path=scope.get("path"))
                if not started:
                    body = {
                        "detail": _CANNOT_STORE,
                        "problems": [{"field": "request", "message": _CANNOT_STORE}],
                        "error_id": error_id,
                    }
                    await JSONResponse(body, status_code=422)(scope, receive, send)
                return
            failure = classify(error)
            if failure.kind is FailureKind.TRANSIENT:
                log.warning(
                    "service briefly unavailable", reason=failure.reason, error_id=error_id, path=scope.get("path")
                )
                if not started:
                    unavailable = JSONResponse(
                        {
                            "detail": "The service is busy or briefly unavailable. Nothing was changed: send it again.",
                            "error_id": error_id,
                        },
                        status_code=503,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                    )
                    await unavailable(scope, receive, send)
                return
            log.error("unexpected error", error=type(error).__name__, error_id=error_id, path=scope.get("path"))
            if started:
                return
            response = JSONResponse(
                {"detail": "Sorry, there is a problem with the service. Try again later.", "error_id": error_id},
                status_code=500,
            )
            await response(scope, receive, send)
