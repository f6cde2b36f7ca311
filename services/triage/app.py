"""The triage service's composition root: builds everything once; nothing connects until the app starts."""

from pathlib import Path

from fastapi import FastAPI
from faststream import FastStream
from opentelemetry.sdk.trace import TracerProvider

from cme_runtime.clock import Clock, utc_now
from cme_runtime.service import Components, ServiceRuntime
from contracts.events.triage_v1 import TriageDecided
from contracts.reference.school_days import SchoolCalendar
from services.triage.adapters.decisions import SqlDecisionRepository
from services.triage.adapters.tables import metadata
from services.triage.adapters.watches import SqlWatchRepository
from services.triage.domain.rules import RuleOverrides
from services.triage.entrypoints import kafka
from services.triage.service_layer.triage import TriageService
from services.triage.settings import TriageSettings

TITLE = "CME triage"
DESCRIPTION = "Decides whether a referred child is missing education, the track, the priority and the due dates."
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLISHES = (TriageDecided,)


def build(
    settings: TriageSettings, tracer_provider: TracerProvider | None = None, clock: Clock = utc_now
) -> Components[TriageService]:
    runtime = ServiceRuntime(settings, metadata, tracer_provider, publishes=PUBLISHES)
    service = TriageService(
        runtime.outbox,
        SchoolCalendar(settings.term_dates or None),
        RuleOverrides(
            cnis_register_commences_on=settings.cnis_register_commences_on,
            joiner_watch_school_days=settings.joiner_watch_school_days,
            cme_enquiry_due_school_days=settings.cme_enquiry_due_school_days,
        ),
        decisions=SqlDecisionRepository(),
        watches=SqlWatchRepository(),
        clock=clock,
        home_la_code=settings.home_la_code,
    )
    kafka.subscribe(runtime.consumers, service)
    return Components(runtime, service)


def create_app(settings: TriageSettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    return build(settings or TriageSettings(), tracer_provider).runtime.http_app(TITLE, DESCRIPTION)


def asyncapi_app() -> FastStream:
    return build(TriageSettings()).runtime.faststream_app(TITLE, DESCRIPTION)
