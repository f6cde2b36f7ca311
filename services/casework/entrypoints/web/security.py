"""Who may reach which route, sessions, CSRF and security headers for the officers' UI.

Every route is added through a `GuardedRouter` with an explicit `AccessRule`; a route without one cannot be
registered, and the route access test reads each route's rule to check every role against it.
"""

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from cme_runtime.logging import get_logger
from services.casework.adapters.accounts import Accounts, SessionRecord, User
from services.casework.domain.access import Permission

log = get_logger(__name__)


class Audience(StrEnum):
    PUBLIC = "public"
    SIGNED_IN = "signed_in"
    PERMISSION = "permission"


@dataclass(frozen=True)
class AccessRule:
    audience: Audience
    permissions: frozenset[Permission] = frozenset()

    def allows(self, user: User | None) -> bool:
        if self.audience is Audience.PUBLIC:
            return True
        if user is None:
            return False
        if self.audience is Audience.SIGNED_IN:
            return True
        return any(user.actor.may(permission) for permission in self.permissions)


PUBLIC = AccessRule(Audience.PUBLIC)
SIGNED_IN = AccessRule(Audience.SIGNED_IN)


def requires(*permissions: Permission) -> AccessRule:
    """Allowed to users holding any one of `permissions`."""
    return AccessRule(Audience.PERMISSION, frozenset(permissions))


class NotSignedIn(Exception):
    """Raised by the access check; the app turns it into a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class CsrfRejected(HTTPException):
    """A form came without the anti-forgery token of the session (or, before sign-in, of the browser)."""

    def __init__(self) -> None:
        super().__init__(status_code=403, detail="The form has expired. Go back, reload the page and try again")


@dataclass(frozen=True)
class SessionSettings:
    cookie_secure: bool = True
    idle_timeout: timedelta = timedelta(minutes=30)
    absolute_timeout: timedelta = timedelta(hours=8)

    @property
    def cookie_name(self) -> str:
        # __Host- cookies must be Secure, host-only and path=/ (ASVS 3.3.3).
        return "__Host-cme-session" if self.cookie_secure else "cme-session"

    @property
    def pre_session_cookie_name(self) -> str:
        """The double-submit anti-forgery cookie for forms posted before sign-in. __Host- stops a sibling
        subdomain planting one (which would defeat the double submit)."""
        return "__Host-cme-csrf" if self.cookie_secure else "cme-csrf"


class Sessions:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], accounts: Accounts,
                 settings: SessionSettings) -> None:
        self.session_factory = session_factory
        self.accounts = accounts
        self.settings = settings

    async def current(self, request: Request) -> SessionRecord | None:
        if "cme_session" in request.scope:
            return request.scope["cme_session"]  # type: ignore[no-any-return]
        token = request.cookies.get(self.settings.cookie_name)
        record = None
        if token:
            async with self.session_factory.begin() as session:
                record = await self.accounts.load_session(
                    session, token, self.settings.idle_timeout, self.settings.absolute_timeout
                )
        request.scope["cme_session"] = record
        return record

    def set_cookie(self, response: Response, token: str) -> None:
        response.set_cookie(
            self.settings.cookie_name,
            token,
            httponly=True,
            secure=self.settings.cookie_secure,
            samesite="lax",
            path="/",
            max_age=int(self.settings.absolute_timeout.total_seconds()),
        )

    def clear_cookie(self, response: Response) -> None:
        response.delete_cookie(self.settings.cookie_name, path="/", secure=self.settings.cookie_secure,
                               httponly=True, samesite="lax")

    def pre_session_token(self, request: Request) -> str:
        """The anti-forgery token for a form shown before sign-in; the browser's own if it has one, so two tabs of
        the sign-in page both work. Send it back with `set_pre_session_cookie`."""
        return request.cookies.get(self.settings.pre_session_cookie_name) or secrets.token_urlsafe(32)

    def set_pre_session_cookie(self, response: Response, token: str) -> None:
        response.set_cookie(self.settings.pre_session_cookie_name, token, httponly=True,
                            secure=self.settings.cookie_secure, samesite="strict", path="/", max_age=3600)

    def clear_pre_session_token(self, response: Response) -> None:
        response.delete_cookie(self.settings.pre_session_cookie_name, path="/", secure=self.settings.cookie_secure,
                               httponly=True, samesite="strict")


async def check_csrf(request: Request, record: SessionRecord | None, settings: SessionSettings) -> None:
    """Every POST carries the session's token; before sign-in, the token of the pre-session cookie."""
    form = await request.form()
    submitted = str(form.get("csrf_token", ""))
    expected = record.csrf_token if record is not None else request.cookies.get(settings.pre_session_cookie_name, "")
    cross_site = request.headers.get("sec-fetch-site") == "cross-site"
    if cross_site or not submitted or not expected or not hmac.compare_digest(submitted.encode(), expected.encode()):
        # ASVS 16.3.2: refused requests are logged, by ids and paths only (query strings may hold search terms).
        log.warning("form refused: anti-forgery token", path=request.url.path,
                    user_id=record.user.user_id if record else None, cross_site=cross_site)
        raise CsrfRejected


def enforce(rule: AccessRule, sessions: Sessions) -> Callable[[Request], Awaitable[SessionRecord | None]]:
    async def check(request: Request) -> SessionRecord | None:
        record = await sessions.current(request)
        user = record.user if record else None
        if rule.audience is not Audience.PUBLIC and user is None:
            # After signing in the officer comes back with a GET, so a form's address is no place to return to.
            is_page = request.method == "GET"
            raise NotSignedIn(request.url.path + (f"?{request.url.query}" if request.url.query else "")
                              if is_page else "/")
        if not rule.allows(user):
            log.warning("access refused", path=request.url.path, method=request.method,
                        user_id=user.user_id if user else None)
            raise HTTPException(status_code=403, detail="You do not have permission to do this")
        if request.method == "POST":
            await check_csrf(request, record, sessions.settings)
        return record

    return check


class GuardedRouter(APIRouter):
    """An APIRouter whose every route states who may use it."""

    def __init__(self, sessions: Sessions, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sessions = sessions

    def route_for(self, method: str, path: str, *, access: AccessRule, **kwargs: Any) -> Callable[[Any], Any]:
        def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
            endpoint.__access__ = access  # type: ignore[attr-defined]
            dependencies = [Depends(enforce(access, self.sessions)), *kwargs.pop("dependencies", [])]
            self.add_api_route(path, endpoint, methods=[method], dependencies=dependencies,
                               include_in_schema=False, **kwargs)
            return endpoint

        return register

    def page(self, path: str, *, access: AccessRule, **kwargs: Any) -> Callable[[Any], Any]:
        return self.route_for("GET", path, access=access, **kwargs)

    def action(self, path: str, *, access: AccessRule, **kwargs: Any) -> Callable[[Any], Any]:
        return self.route_for("POST", path, access=access, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("use GuardedRouter.page(path, access=...) so the route states who may use it")

    def post(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("use GuardedRouter.action(path, access=...) so the route states who may use it")


def sign_in_redirect(error: NotSignedIn) -> RedirectResponse:
    return RedirectResponse(f"/sign-in?next={quote(error.next_path, safe='/')}", status_code=303)


def redact_query_from_span(request: Request) -> None:
    """Query strings hold search terms (names, dates of birth) and sign-in codes: the server span keeps the path
    only. The instrumentation sets these attributes before the app runs, so they are overwritten here."""
    span = trace.get_current_span()
    recorded = getattr(span, "attributes", None) or {}
    without_query = {
        "http.url": str(request.url.replace(query="")),
        "url.full": str(request.url.replace(query="")),
        "http.target": request.url.path,
        "url.query": "redacted",
    }
    for name, value in without_query.items():
        if name in recorded:
            span.set_attribute(name, value)


class SecurityHeaders(BaseHTTPMiddleware):
    """Headers every response carries (ASVS 3.4): a nonce-based CSP, no framing, no sniffing, no caching of
    pages that hold children's data."""

    def __init__(self, app: Any, hsts: bool) -> None:
        super().__init__(app)
        self.hsts = hsts

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.url.query:
            redact_query_from_span(request)
        nonce = secrets.token_urlsafe(16)
        request.state.csp_nonce = nonce
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        if self.hsts:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response
