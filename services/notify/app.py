"""The notify service's composition root: builds everything once; nothing connects until the app starts."""

from pathlib import Path

from fastapi import FastAPI
from faststream import FastStream
from opentelemetry.sdk.trace import TracerProvider

from cme_runtime.clock import Clock, utc_now
from cme_runtime.service import Components, ServiceRuntime
from contracts.events.notify_v1 import MessageRecorded
from services.notify.adapters.delivery_log import SqlDeliveryLog
from services.notify.adapters.tables import metadata
from services.notify.entrypoints import kafka
from services.notify.service_layer.notifications import NotifyService
from services.notify.settings import NotifySettings

TITLE = "CME notify"
DESCRIPTION = "Records the messages owed to social workers and other authorities when cases change."
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLISHES = (MessageRecorded,)


def build(
    settings: NotifySettings, tracer_provider: TracerProvider | None = None, clock: Clock = utc_now
) -> Components[NotifyService]:
    runtime = ServiceRuntime(settings, metadata, tracer_provider, publishes=PUBLISHES)
    service = NotifyService(runtime.outbox, SqlDeliveryLog(), settings.authority_name, clock)
    kafka.subscribe(runtime.consumers, service)
    return Components(runtime, service)


def create_app(settings: NotifySettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    return build(settings or NotifySettings(), tracer_provider).runtime.http_app(TITLE, DESCRIPTION)


def asyncapi_app() -> FastStream:
    return build(NotifySettings()).runtime.faststream_app(TITLE, DESCRIPTION)
