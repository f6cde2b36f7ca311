"""The casework service: cases, enquiries, allocation, and the officers' UI."""

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from faststream import FastStream
from opentelemetry.sdk.trace import TracerProvider

from cme_runtime.service import ServiceRuntime
from contracts import topics
from contracts.events.case_v1 import CaseClosed, CaseEscalated, CaseOpened, CaseUpdated
from contracts.events.review_v1 import ReviewDecided
from contracts.events.triage_v1 import TriageDecided
from services.casework.adapters.api import add_api_routes
from services.casework.adapters.repository import CaseRepository
from services.casework.adapters.tables import metadata
from services.casework.service import CaseworkService
from services.casework.settings import CaseworkSettings
from services.casework.web.oidc import OidcConfig
from services.casework.web.security import SessionSettings
from services.casework.web.ui import mount_ui

TITLE = "CME casework"
DESCRIPTION = "Holds one living case per child missing education, and the officers' UI."
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLISHES = (CaseOpened, CaseUpdated, CaseEscalated, CaseClosed)


def build(
    settings: CaseworkSettings, tracer_provider: TracerProvider | None = None
) -> tuple[ServiceRuntime, CaseworkService]:
    runtime = ServiceRuntime(settings, metadata, tracer_provider, publishes=PUBLISHES)
    service = CaseworkService(runtime.outbox, CaseRepository())
    runtime.consumers.subscribe(
        topics.TRIAGE_DECIDED,
        [TriageDecided],
        service.on_triage_decided,
        description="Triage decisions; a CME decision opens or updates the child's case",
    )
    runtime.consumers.subscribe(
        topics.REVIEW_DECIDED,
        [ReviewDecided],
        service.on_review_decided,
        description="Missing Mondays review outcomes, for the case timeline",
    )
    return runtime, service


def create_app(settings: CaseworkSettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    settings = settings or CaseworkSettings()
    runtime, service = build(settings, tracer_provider)
    app = runtime.http_app(TITLE, DESCRIPTION)
    add_api_routes(app, runtime.session_factory, settings.api_tokens)
    mount_ui(
        app,
        runtime.session_factory,
        SessionSettings(
            cookie_secure=settings.session_cookie_secure,
            idle_timeout=timedelta(minutes=settings.session_idle_minutes),
            absolute_timeout=timedelta(hours=settings.session_absolute_hours),
        ),
        service_name=settings.service_title,
        authority_name=settings.authority_name,
        service=service,
        oidc=OidcConfig.from_settings(settings),
    )
    return app


def asyncapi_app() -> FastStream:
    return build(CaseworkSettings())[0].faststream_app(TITLE, DESCRIPTION)
