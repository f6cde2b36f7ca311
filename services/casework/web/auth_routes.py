"""Signing in and out with a local account (development) — OpenID Connect is added alongside in production."""

import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.casework.adapters.accounts import Accounts
from services.casework.adapters.audit import AuditLog
from services.casework.web.security import PUBLIC, SIGNED_IN, GuardedRouter, Sessions
from services.casework.web.templating import render

SIGN_IN_CSRF_COOKIE = "cme-sign-in-csrf"
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


def safe_next(path: str | None) -> str:
    """Only same-site paths: never redirect a signed-in officer to another site."""
    if not path or not path.startswith("/") or path.startswith("//") or urlsplit(path).netloc:
        return "/"
    return path


def add_auth_routes(router: GuardedRouter, templates: Jinja2Templates, sessions: Sessions, accounts: Accounts,
                    audit: AuditLog, session_factory: async_sessionmaker[AsyncSession],
                    oidc_enabled: bool) -> None:
    def sign_in_page(request: Request, status_code: int = 200, **context: object) -> Response:
        csrf = secrets.token_urlsafe(32)
        response = render(templates, request, "sign_in.html", status_code=status_code, pre_session_csrf=csrf,
                          oidc_enabled=oidc_enabled, **{"email": "", "next_path": "/", "notice": None, **context})
        response.set_cookie(SIGN_IN_CSRF_COOKIE, csrf, httponly=True, secure=sessions.settings.cookie_secure,
                            samesite="strict", path="/sign-in", max_age=3600)
        return response

    @router.page("/sign-in", access=PUBLIC)
    async def show_sign_in(request: Request, next: str = "/") -> Response:  # noqa: A002 - the query parameter's name
        if await sessions.current(request) is not None:
            return RedirectResponse(safe_next(next), status_code=303)
        return sign_in_page(request, next_path=safe_next(next))

    @router.action("/sign-in", access=PUBLIC)
    async def sign_in(request: Request, email: str = Form(""), password: str = Form(""),
                      csrf_token: str = Form(""), next: str = Form("/")) -> Response:  # noqa: A002
        expected = request.cookies.get(SIGN_IN_CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(expected, csrf_token):
            return sign_in_page(request, status_code=400, next_path=safe_next(next),
                                notice="Your sign-in form expired. Try again.")
        errors = {}
        if not email.strip():
            errors["email"] = "Enter your email address"
        if not password:
            errors["password"] = "Enter your password"
        if errors:
            return sign_in_page(request, status_code=400, errors=errors, email=email, next_path=safe_next(next))
        client = request.client.host if request.client else "unknown"
        async with session_factory.begin() as session:
            if await accounts.recent_failures(session, email, client, FAILURE_WINDOW) >= MAX_FAILURES:
                return sign_in_page(request, status_code=429, email=email, next_path=safe_next(next), errors={
                    "email": "Too many failed attempts. Wait 15 minutes, then try again"})
            user = await accounts.authenticate(session, email, password)
            await accounts.record_attempt(session, email, client, succeeded=user is not None)
            if user is None:
                await audit.record(session, actor_id="anonymous", action="auth.sign_in_failed",
                                   record_type="account", record_id="unknown")
            else:
                token, _ = await accounts.start_session(session, user)
                await audit.record(session, actor_id=user.user_id, action="auth.signed_in", record_type="user",
                                   record_id=user.user_id)
        if user is None:
            return sign_in_page(request, status_code=400, email=email, next_path=safe_next(next), errors={
                "email": "Enter a correct email address and password"})
        response = RedirectResponse(safe_next(next), status_code=303)
        sessions.set_cookie(response, token)
        response.delete_cookie(SIGN_IN_CSRF_COOKIE, path="/sign-in")
        return response

    @router.action("/sign-out", access=SIGNED_IN)
    async def sign_out(request: Request) -> Response:
        token = request.cookies.get(sessions.settings.cookie_name, "")
        record = await sessions.current(request)
        async with session_factory.begin() as session:
            await accounts.end_session(session, token)
            if record is not None:
                await audit.record(session, actor_id=record.user.user_id, action="auth.signed_out",
                                   record_type="user", record_id=record.user.user_id)
        response = RedirectResponse("/sign-in", status_code=303)
        sessions.clear_cookie(response)
        return response
