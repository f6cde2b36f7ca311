"""The review service's composition root: builds everything once; nothing connects until the app starts."""

from pathlib import Path

from fastapi import FastAPI
from faststream import FastStream
from opentelemetry.sdk.trace import TracerProvider

from cme_runtime.clock import Clock, utc_now
from cme_runtime.service import Components, ServiceRuntime
from contracts.events.review_v1 import ReviewDecided
from services.review.adapters.repository import SqlReviewRepository
from services.review.adapters.tables import metadata
from services.review.entrypoints import kafka
from services.review.service_layer.reviews import ReviewService
from services.review.settings import ReviewSettings

TITLE = "CME review"
DESCRIPTION = "Scores whereabouts-unknown cases escalated to Missing Mondays and publishes the risk band."
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLISHES = (ReviewDecided,)


def build(
    settings: ReviewSettings, tracer_provider: TracerProvider | None = None, clock: Clock = utc_now
) -> Components[ReviewService]:
    runtime = ServiceRuntime(settings, metadata, tracer_provider, publishes=PUBLISHES)
    service = ReviewService(runtime.outbox, SqlReviewRepository(), clock)
    kafka.subscribe(runtime.consumers, service)
    return Components(runtime, service)


def create_app(settings: ReviewSettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    return build(settings or ReviewSettings(), tracer_provider).runtime.http_app(TITLE, DESCRIPTION)


def asyncapi_app() -> FastStream:
    return build(ReviewSettings()).runtime.faststream_app(TITLE, DESCRIPTION)
