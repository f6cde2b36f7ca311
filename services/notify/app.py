"""The notify service: messages to social care and other authorities, and their delivery log."""

from pathlib import Path

from fastapi import FastAPI
from faststream import FastStream
from opentelemetry.sdk.trace import TracerProvider

from cme_runtime.service import ServiceRuntime
from contracts import topics
from contracts.events.case_v1 import CaseOpened
from contracts.events.notify_v1 import MessageRecorded
from services.notify.adapters.tables import metadata
from services.notify.service import NotifyService
from services.notify.settings import NotifySettings

TITLE = "CME notify"
DESCRIPTION = "Records the messages owed to social workers and other authorities when cases change."
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLISHES = (MessageRecorded,)


def build(settings: NotifySettings, tracer_provider: TracerProvider | None = None) -> ServiceRuntime:
    runtime = ServiceRuntime(settings, metadata, tracer_provider, publishes=PUBLISHES)
    service = NotifyService(runtime.outbox, settings.authority_name)
    runtime.consumers.subscribe(
        topics.CASE_LIFECYCLE,
        [CaseOpened],
        service.on_case_opened,
        description="Case lifecycle events; messages the social worker when a case opens",
    )
    return runtime


def create_app(settings: NotifySettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    return build(settings or NotifySettings(), tracer_provider).http_app(TITLE, DESCRIPTION)


def asyncapi_app() -> FastStream:
    return build(NotifySettings()).faststream_app(TITLE, DESCRIPTION)
