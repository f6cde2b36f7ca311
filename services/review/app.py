"""The review service: Missing Mondays whereabouts-unknown reviews."""

from pathlib import Path

from fastapi import FastAPI
from faststream import FastStream
from opentelemetry.sdk.trace import TracerProvider

from cme_runtime.service import ServiceRuntime
from contracts import topics
from contracts.events.case_v1 import CaseEscalated
from contracts.events.review_v1 import ReviewDecided
from services.review.adapters.tables import metadata
from services.review.service import ReviewService
from services.review.settings import ReviewSettings

TITLE = "CME review"
DESCRIPTION = "Scores whereabouts-unknown cases escalated to Missing Mondays and publishes the risk band."
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLISHES = (ReviewDecided,)


def build(settings: ReviewSettings, tracer_provider: TracerProvider | None = None) -> ServiceRuntime:
    runtime = ServiceRuntime(settings, metadata, tracer_provider, publishes=PUBLISHES)
    service = ReviewService(runtime.outbox)
    runtime.consumers.subscribe(
        topics.CASE_LIFECYCLE,
        [CaseEscalated],
        service.on_case_escalated,
        description="Case lifecycle events; reviews Missing Mondays escalations",
    )
    return runtime


def create_app(settings: ReviewSettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    runtime = build(settings or ReviewSettings(), tracer_provider)
    return runtime.http_app(TITLE, DESCRIPTION)


def asyncapi_app() -> FastStream:
    return build(ReviewSettings()).faststream_app(TITLE, DESCRIPTION)
