"""The triage service: decides what each referral means and how urgent it is."""

from pathlib import Path

from fastapi import FastAPI
from faststream import FastStream
from opentelemetry.sdk.trace import TracerProvider

from cme_runtime.service import ServiceRuntime
from contracts import topics
from contracts.events.referral_v1 import ReferralReceived
from contracts.events.triage_v1 import TriageDecided
from services.triage.adapters.tables import metadata
from services.triage.domain.calendar import SchoolCalendar
from services.triage.domain.rules import RuleOverrides
from services.triage.service import TriageService
from services.triage.settings import TriageSettings

TITLE = "CME triage"
DESCRIPTION = "Decides whether a referred child is missing education, the track, the priority and the due dates."
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLISHES = (TriageDecided,)


def build(
    settings: TriageSettings, tracer_provider: TracerProvider | None = None
) -> tuple[ServiceRuntime, TriageService]:
    runtime = ServiceRuntime(settings, metadata, tracer_provider, publishes=PUBLISHES)
    service = TriageService(
        runtime.outbox,
        SchoolCalendar(settings.term_dates or None),
        RuleOverrides(
            cnis_register_commences_on=settings.cnis_register_commences_on,
            joiner_watch_school_days=settings.joiner_watch_school_days,
            cme_enquiry_due_school_days=settings.cme_enquiry_due_school_days,
        ),
    )
    runtime.consumers.subscribe(
        topics.REFERRAL_RECEIVED,
        [ReferralReceived],
        service.on_referral_received,
        description="Normalised referrals about one child; each gets one decision",
    )
    return runtime, service


def create_app(settings: TriageSettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    runtime, _ = build(settings or TriageSettings(), tracer_provider)
    return runtime.http_app(TITLE, DESCRIPTION)


def asyncapi_app() -> FastStream:
    runtime, _ = build(TriageSettings())
    return runtime.faststream_app(TITLE, DESCRIPTION)
