"""The casework service's composition root: cases, enquiries, allocation, and the officers' UI.

`build` makes every repository, store, clock and use-case object once and hands them down; the HTTP API, the
officers' pages, the Kafka subscriptions and the admin commands all receive what it built. Nothing connects
until the app starts.
"""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from faststream import FastStream
from opentelemetry.sdk.trace import TracerProvider

from cme_runtime.clock import Clock, utc_now
from cme_runtime.service import ServiceRuntime
from contracts.events.case_v1 import CaseClosed, CaseEscalated, CaseOpened, CaseUpdated
from services.casework.adapters.accounts import Accounts
from services.casework.adapters.audit import AuditLog
from services.casework.adapters.repository import CaseRepository
from services.casework.adapters.review_client import HttpReviewMeetings
from services.casework.adapters.tables import metadata
from services.casework.entrypoints import kafka
from services.casework.entrypoints.api import add_api_routes
from services.casework.entrypoints.api_actions import add_api_action_routes
from services.casework.entrypoints.web.oidc import OidcConfig
from services.casework.entrypoints.web.pages_meeting import add_meeting_pages
from services.casework.entrypoints.web.security import GuardedRouter, SessionSettings
from services.casework.entrypoints.web.ui import mount_ui
from services.casework.service_layer.cases import CaseworkService
from services.casework.service_layer.officer_actions import OfficerActions
from services.casework.settings import CaseworkSettings

TITLE = "CME casework"
DESCRIPTION = "Holds one living case per child missing education, and the officers' UI."
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLISHES = (CaseOpened, CaseUpdated, CaseEscalated, CaseClosed)


@dataclass(frozen=True)
class Components:
    settings: CaseworkSettings
    runtime: ServiceRuntime
    clock: Clock
    repository: CaseRepository
    accounts: Accounts
    audit: AuditLog
    service: CaseworkService
    officer_actions: OfficerActions


def build(
    settings: CaseworkSettings, tracer_provider: TracerProvider | None = None, clock: Clock = utc_now
) -> Components:
    runtime = ServiceRuntime(settings, metadata, tracer_provider, publishes=PUBLISHES)
    repository = CaseRepository()
    accounts, audit = Accounts(), AuditLog()
    service = CaseworkService(runtime.outbox, repository, clock)
    officer_actions = OfficerActions(service, accounts, audit, clock)
    kafka.subscribe(runtime.consumers, service)
    return Components(settings, runtime, clock, repository, accounts, audit, service, officer_actions)


def create_app(settings: CaseworkSettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    settings = settings or CaseworkSettings()
    components = build(settings, tracer_provider)
    app = components.runtime.http_app(TITLE, DESCRIPTION)
    add_api_routes(app, components.runtime.session_factory, settings.api_tokens, components.accounts,
                   components.audit)
    add_api_action_routes(app, session_factory=components.runtime.session_factory, tokens=settings.api_tokens,
                          accounts=components.accounts, audit=components.audit, actions=components.officer_actions)
    ui = mount_ui(
        app,
        components.runtime.session_factory,
        SessionSettings(
            cookie_secure=settings.session_cookie_secure,
            idle_timeout=timedelta(minutes=settings.session_idle_minutes),
            absolute_timeout=timedelta(hours=settings.session_absolute_hours),
        ),
        service_name=settings.service_title,
        authority_name=settings.authority_name,
        accounts=components.accounts,
        audit=components.audit,
        officer_actions=components.officer_actions,
        oidc=OidcConfig.from_settings(settings),
    )
    # The Missing Mondays pages: served here (one UI, one sign-in), their forms kept by review (docs/architecture.md).
    meeting_router = GuardedRouter(ui.sessions)
    token = settings.internal_api_token.get_secret_value() if settings.internal_api_token else None
    add_meeting_pages(meeting_router, ui, HttpReviewMeetings(settings.review_api_url, token))
    app.include_router(meeting_router)
    return app


def asyncapi_app() -> FastStream:
    return build(CaseworkSettings()).runtime.faststream_app(TITLE, DESCRIPTION)
