"""The review service's composition root: builds everything once; nothing connects until the app starts."""

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from faststream import FastStream
from opentelemetry.sdk.trace import TracerProvider

from cme_runtime.clock import Clock, utc_now
from cme_runtime.service import Components, ServiceRuntime
from contracts.events.review_v1 import RecheckDue, ReviewDecided, ReviewProgressed, ReviewSignedOff
from services.review.adapters.meetings import SqlMeetingRepository
from services.review.adapters.tables import metadata
from services.review.entrypoints import kafka
from services.review.entrypoints.http import add_internal_api
from services.review.service_layer.meetings import MeetingService
from services.review.settings import ReviewSettings

TITLE = "CME review"
DESCRIPTION = (
    "The Missing Mondays meeting: the weekly agenda of whereabouts-unknown cases, the review form and its scores, "
    "the objection window, the senior officer's sign-off, and the further reviews and re-checks of cases kept open."
)
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLISHES = (ReviewDecided, ReviewSignedOff, ReviewProgressed, RecheckDue)


def build(
    settings: ReviewSettings, tracer_provider: TracerProvider | None = None, clock: Clock = utc_now
) -> Components[MeetingService]:
    runtime = ServiceRuntime(settings, metadata, tracer_provider, publishes=PUBLISHES)
    service = MeetingService(
        runtime.outbox, SqlMeetingRepository(), clock, meeting_weekday=settings.meeting_weekday,
        recheck_interval=timedelta(days=settings.recheck_interval_days),
    )
    kafka.subscribe(runtime.consumers, service)
    return Components(runtime, service)


def create_app(settings: ReviewSettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    settings = settings or ReviewSettings()
    components = build(settings, tracer_provider)
    app = components.runtime.http_app(TITLE, DESCRIPTION)
    add_internal_api(app, components.runtime.session_factory, components.service, settings.internal_api_token)
    return app


def asyncapi_app() -> FastStream:
    return build(ReviewSettings()).runtime.faststream_app(TITLE, DESCRIPTION)
