"""The officers' UI, mounted on casework's FastAPI app."""

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.casework.adapters.accounts import Accounts
from services.casework.adapters.audit import AuditLog
from services.casework.adapters.tables import cases
from services.casework.domain.access import Permission
from services.casework.web.auth_routes import add_auth_routes
from services.casework.web.security import (
    GuardedRouter,
    NotSignedIn,
    SecurityHeaders,
    SessionSettings,
    Sessions,
    requires,
    sign_in_redirect,
)
from services.casework.web.templating import create_templates, render

STATIC = Path(__file__).resolve().parent.parent / "static"
VIEW_CASES = requires(Permission.VIEW_OWN_AND_TEAM_CASES, Permission.VIEW_ALL_CASES)


@dataclass
class Ui:
    router: GuardedRouter
    templates: Jinja2Templates
    sessions: Sessions
    accounts: Accounts
    audit: AuditLog
    session_factory: async_sessionmaker[AsyncSession]


def mount_ui(app: FastAPI, session_factory: async_sessionmaker[AsyncSession], session_settings: SessionSettings,
             service_name: str, authority_name: str, oidc_enabled: bool = False) -> Ui:
    accounts, audit = Accounts(), AuditLog()
    sessions = Sessions(session_factory, accounts, session_settings)
    templates = create_templates(service_name, authority_name)
    router = GuardedRouter(sessions)
    ui = Ui(router, templates, sessions, accounts, audit, session_factory)
    add_auth_routes(router, templates, sessions, accounts, audit, session_factory, oidc_enabled)

    @router.page("/", access=VIEW_CASES)
    async def dashboard(request: Request) -> Response:
        async with session_factory() as session:
            counts = dict(
                (await session.execute(select(cases.c.priority, func.count()).where(cases.c.status != "closed")
                                       .group_by(cases.c.priority))).all()
            )
        return render(templates, request, "dashboard.html", counts=counts, active_nav="dashboard")

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(SecurityHeaders, hsts=session_settings.cookie_secure)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, error: NotSignedIn) -> Response:
        return sign_in_redirect(error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            from fastapi.exception_handlers import http_exception_handler  # noqa: PLC0415

            return await http_exception_handler(request, error)
        titles = {403: "You do not have permission to see this page", 404: "Page not found"}
        return render(templates, request, "error.html", status_code=error.status_code,
                      heading=titles.get(error.status_code, "Sorry, there is a problem with the service"),
                      detail=error.detail if error.status_code == 403 else None)

    return ui


