"""The intake service: takes submissions from schools and partners, over HTTP and Kafka."""

from pathlib import Path

from fastapi import FastAPI
from faststream import FastStream
from opentelemetry.sdk.trace import TracerProvider

from cme_runtime.service import ServiceRuntime
from contracts import topics
from contracts.events.intake_v1 import LeaverSubmitted, SubmissionRejected
from contracts.events.referral_v1 import ReferralReceived
from services.intake.adapters.http import add_routes
from services.intake.adapters.register import ChildRegister
from services.intake.adapters.tables import metadata
from services.intake.domain.schools import load_establishments_csv
from services.intake.service import IntakeService, LeaverRules
from services.intake.settings import IntakeSettings

TITLE = "CME intake"
DESCRIPTION = (
    "Receives school returns and partner referrals, validates them, resolves the child and publishes "
    "normalised referrals (or rejections with every problem listed)."
)
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLISHES = (ReferralReceived, SubmissionRejected)


def build(
    settings: IntakeSettings, tracer_provider: TracerProvider | None = None
) -> tuple[ServiceRuntime, IntakeService]:
    runtime = ServiceRuntime(settings, metadata, tracer_provider, publishes=PUBLISHES)
    schools = load_establishments_csv(settings.establishments_csv, settings.home_la_code)
    service = IntakeService(runtime.outbox, ChildRegister(), LeaverRules(schools, settings.max_leaving_days_ahead))
    runtime.consumers.subscribe(
        topics.INTAKE_LEAVER,
        [LeaverSubmitted],
        service.on_leaver_submitted,
        description="Leaver (deletion) returns published by school systems",
    )
    return runtime, service


def create_app(settings: IntakeSettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    runtime, service = build(settings or IntakeSettings(), tracer_provider)
    app = runtime.http_app(TITLE, DESCRIPTION)
    add_routes(app, runtime, service)
    return app


def asyncapi_app() -> FastStream:
    return build(IntakeSettings())[0].faststream_app(TITLE, DESCRIPTION)
