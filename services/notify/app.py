"""The notify service's composition root: builds everything once; nothing connects until the app starts."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from faststream import FastStream
from opentelemetry.sdk.trace import TracerProvider

from cme_runtime.clock import Clock, utc_now
from cme_runtime.logging import get_logger
from cme_runtime.service import ServiceRuntime
from contracts.events.notify_v1 import MessageRecorded, MessageStatusChanged
from services.notify.adapters.delivery_log import SqlDeliveryLog
from services.notify.adapters.gov_notify import Accepted, DeliveryChannel, GovNotifyChannel, Send
from services.notify.adapters.tables import metadata
from services.notify.entrypoints import http, kafka
from services.notify.entrypoints.sender import Sender
from services.notify.service_layer.delivery import DeliveryService, RetryPolicy
from services.notify.service_layer.notifications import NotifyService
from services.notify.settings import NotifySettings

TITLE = "CME notify"
DESCRIPTION = (
    "Tells social workers and the Family Front Door what they are owed when cases change, through GOV.UK Notify."
)
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLISHES = (MessageRecorded, MessageStatusChanged)

log = get_logger(__name__)


@dataclass(frozen=True)
class NotifyComponents:
    runtime: ServiceRuntime
    service: NotifyService
    delivery: DeliveryService
    sender: Sender | None  # None when no GOV.UK Notify API key is configured: messages wait in the delivery log


class NotConfigured(DeliveryChannel):
    """Without an API key nothing can be sent; the sender does not run, so this is never called."""

    async def send(self, message: Send) -> Accepted:
        raise RuntimeError("GOV.UK Notify is not configured")

    async def find_by_reference(self, reference: str) -> Accepted | None:
        raise RuntimeError("GOV.UK Notify is not configured")


def build(
    settings: NotifySettings,
    tracer_provider: TracerProvider | None = None,
    clock: Clock = utc_now,
    channel: DeliveryChannel | None = None,
) -> NotifyComponents:
    runtime = ServiceRuntime(settings, metadata, tracer_provider, publishes=PUBLISHES)
    delivery_log = SqlDeliveryLog()
    service = NotifyService(
        runtime.outbox,
        delivery_log,
        settings.authority_name,
        clock,
        templates=settings.gov_notify_templates,
        family_front_door_email=settings.family_front_door_email,
    )
    kafka.subscribe(runtime.consumers, service)
    api_key = settings.gov_notify_api_key.get_secret_value() if settings.gov_notify_api_key else None
    if channel is None and api_key:
        channel = GovNotifyChannel(api_key, settings.gov_notify_base_url, settings.gov_notify_timeout_seconds)
    delivery = DeliveryService(
        runtime.outbox,
        delivery_log,
        channel or NotConfigured(),
        clock,
        retry=RetryPolicy(
            max_attempts=settings.send_max_attempts,
            initial_wait_seconds=settings.send_initial_wait_seconds,
            max_wait_seconds=settings.send_max_wait_seconds,
        ),
        lease=timedelta(seconds=settings.send_lease_seconds),
    )
    sender = Sender(runtime.session_factory, delivery, settings.send_poll_seconds) if channel else None
    return NotifyComponents(runtime, service, delivery, sender)


def create_app(settings: NotifySettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    components = build(settings, tracer_provider)
    runtime = components.runtime
    app = runtime.http_app(TITLE, DESCRIPTION)
    token = settings.gov_notify_callback_token
    http.add_routes(app, runtime.session_factory, components.delivery, token.get_secret_value() if token else None)
    runtime_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime_lifespan(app):
            sender = components.sender if settings.start_consumers else None
            if sender is not None:
                sender.start()
            else:
                log.warning("GOV.UK Notify sender not running: no API key, or consumers disabled")
            try:
                yield
            finally:
                if sender is not None:
                    await sender.stop()

    app.router.lifespan_context = lifespan
    return app


def asyncapi_app() -> FastStream:
    return build(NotifySettings()).runtime.faststream_app(TITLE, DESCRIPTION)
