"""Signing in and out with a local account (development); OpenID Connect sign-in (web/oidc.py) shares the end."""

from urllib.parse import urlsplit

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.casework.adapters.accounts import Accounts, ThrottlePolicy, User
from services.casework.adapters.audit import AuditLog
from services.casework.domain.access import Permission
from services.casework.entrypoints.web.security import PUBLIC, SIGNED_IN, GuardedRouter, Sessions
from services.casework.entrypoints.web.templating import render

THROTTLE = ThrottlePolicy()


def safe_next(path: str | None) -> str:
    """Only same-site paths: never redirect a signed-in officer to another site."""
    if not path or not path.startswith("/") or path.startswith(("//", "/\\")) or "\\" in path:
        return "/"
    if urlsplit(path).netloc or any(ord(character) < 32 for character in path):
        return "/"
    return path


def landing_path(user: User, next_path: str) -> str:
    """Where to go after signing in: the page asked for, or the first page the user's roles may see."""
    if next_path != "/":
        return next_path
    actor = user.actor
    if not (actor.may(Permission.VIEW_ALL_CASES) or actor.may(Permission.VIEW_OWN_AND_TEAM_CASES)) and actor.may(
        Permission.MANAGE_USERS
    ):
        return "/users"
    return "/"


async def begin_session(request: Request, session: AsyncSession, *, sessions: Sessions, audit: AuditLog,
                        user: User, method: str) -> str:
    """A fresh session for a user who just proved who they are; any session the browser held ends (ASVS 7.2.4)."""
    previous = request.cookies.get(sessions.settings.cookie_name)
    if previous:
        await sessions.accounts.end_session(session, previous)
    await sessions.accounts.end_expired_sessions(session, sessions.settings.absolute_timeout)
    token, _ = await sessions.accounts.start_session(session, user)
    await audit.record(session, actor_id=user.user_id, action="auth.signed_in", record_type="user",
                       record_id=user.user_id, details={"method": method})
    return token


def signed_in_redirect(sessions: Sessions, token: str, user: User, next_path: str) -> Response:
    response = RedirectResponse(landing_path(user, safe_next(next_path)), status_code=303)
    sessions.set_cookie(response, token)
    sessions.clear_pre_session_token(response)
    return response


def add_auth_routes(router: GuardedRouter, templates: Jinja2Templates, sessions: Sessions, *, accounts: Accounts,
                    audit: AuditLog, session_factory: async_sessionmaker[AsyncSession], oidc_enabled: bool) -> None:
    def sign_in_page(request: Request, status_code: int = 200, **context: object) -> Response:
        csrf = sessions.pre_session_token(request)
        response = render(templates, request, "sign_in.html", status_code=status_code, oidc_enabled=oidc_enabled,
                          pre_session_csrf=csrf, **{"email": "", "next_path": "/", "notice": None, **context})
        sessions.set_pre_session_cookie(response, csrf)
        return response

    @router.page("/sign-in", access=PUBLIC)
    async def show_sign_in(request: Request, next: str = "/") -> Response:  # the query parameter's name
        record = await sessions.current(request)
        if record is not None:
            return RedirectResponse(landing_path(record.user, safe_next(next)), status_code=303)
        return sign_in_page(request, next_path=safe_next(next))

    @router.action("/sign-in", access=PUBLIC)
    async def sign_in(request: Request, email: str = Form(""), password: str = Form(""),
                      next: str = Form("/")) -> Response:
        errors = {}
        if not email.strip():
            errors["email"] = "Enter your email address"
        if not password:
            errors["password"] = "Enter your password"  # noqa: S105 - a message, not a password
        if errors:
            return sign_in_page(request, status_code=400, errors=errors, email=email, next_path=safe_next(next))
        client = request.client.host if request.client else "unknown"
        async with session_factory.begin() as session:
            if await accounts.sign_in_throttled(session, email, client, THROTTLE):
                await audit.record(session, actor_id="anonymous", action="auth.sign_in_throttled",
                                   record_type="account", record_id="unknown")
                throttled = True
            else:
                throttled = False
                user = await accounts.authenticate(session, email, password)
                await accounts.record_attempt(session, email, client, succeeded=user is not None)
                if user is None:
                    await audit.record(session, actor_id="anonymous", action="auth.sign_in_failed",
                                       record_type="account", record_id="unknown")
                else:
                    token = await begin_session(request, session, sessions=sessions, audit=audit, user=user,
                                                method="password")
        if throttled:
            minutes = int(THROTTLE.window.total_seconds() // 60)
            return sign_in_page(request, status_code=429, email=email, next_path=safe_next(next), errors={
                "email": f"Too many failed attempts. Wait {minutes} minutes, then try again"})
        if user is None:
            return sign_in_page(request, status_code=400, email=email, next_path=safe_next(next), errors={
                "email": "Enter a correct email address and password"})
        return signed_in_redirect(sessions, token, user, next)

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
