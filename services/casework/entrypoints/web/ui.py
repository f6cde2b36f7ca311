"""The officers' UI, mounted on casework's FastAPI app."""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.casework.adapters.accounts import Accounts
from services.casework.adapters.audit import AuditLog
from services.casework.entrypoints.web.audit_pages import add_audit_pages
from services.casework.entrypoints.web.auth_routes import add_auth_routes
from services.casework.entrypoints.web.context import Ui
from services.casework.entrypoints.web.oidc import OidcClient, OidcConfig, add_oidc_routes
from services.casework.entrypoints.web.pages_routes import add_case_pages
from services.casework.entrypoints.web.security import (
    CsrfRejected,
    GuardedRouter,
    NotSignedIn,
    SecurityHeaders,
    Sessions,
    SessionSettings,
    sign_in_redirect,
)
from services.casework.entrypoints.web.templating import create_templates, render
from services.casework.entrypoints.web.user_admin import add_user_admin_pages
from services.casework.service_layer.case_records import CaseRecordsService
from services.casework.service_layer.officer_actions import OfficerActions

STATIC = Path(__file__).resolve().parent / "static"


def mount_ui(app: FastAPI, session_factory: async_sessionmaker[AsyncSession], session_settings: SessionSettings, *,
             service_name: str, authority_name: str, accounts: Accounts, audit: AuditLog,
             officer_actions: OfficerActions, oidc: OidcConfig | None = None,
             case_records: CaseRecordsService | None = None) -> Ui:
    sessions = Sessions(session_factory, accounts, session_settings)
    templates = create_templates(service_name, authority_name)
    router = GuardedRouter(sessions)
    ui = Ui(router, templates, sessions, accounts, audit, session_factory)
    add_auth_routes(router, templates, sessions, accounts=accounts, audit=audit, session_factory=session_factory,
                    oidc_enabled=oidc is not None)
    if oidc is not None:
        add_oidc_routes(ui, OidcClient(oidc))
    add_audit_pages(ui)
    add_user_admin_pages(ui)
    add_case_pages(router, templates, session_factory, officer_actions=officer_actions, audit=audit,
                   case_records=case_records)

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
        heading = titles.get(error.status_code, "Sorry, there is a problem with the service")
        if isinstance(error, CsrfRejected):
            heading = "Your form has expired"
        return render(templates, request, "error.html", status_code=error.status_code, heading=heading,
                      detail=error.detail if error.status_code == 403 else None)

    return ui


