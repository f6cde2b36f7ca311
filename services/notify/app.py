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
from cme_runtime.exchange_signing import SigningKey, TrustRegistry
from cme_runtime.kafka_security import aiokafka_options
from cme_runtime.logging import get_logger
from cme_runtime.service import ServiceRuntime
from contracts.events.intake_v1 import LaEnquirySubmitted
from contracts.events.notify_v1 import MessageRecorded, MessageStatusChanged
from contracts.exchange.messages_v1 import TeamContact, exchange_topic
from services.notify.adapters.delivery_log import SqlDeliveryLog
from services.notify.adapters.exchange_log import SqlExchangeLog
from services.notify.adapters.exchange_transport import (
    ExchangeTransport,
    HttpsExchangeTransport,
    KafkaExchangeTransport,
    Route,
    RoutedTransport,
)
from services.notify.adapters.gov_notify import Accepted, DeliveryChannel, GovNotifyChannel, Send
from services.notify.adapters.intake_client import ChildLookup, IntakeChildLookup
from services.notify.adapters.tables import metadata
from services.notify.entrypoints import http, kafka
from services.notify.entrypoints.exchange_http import add_exchange_routes
from services.notify.entrypoints.exchange_kafka import exchange_group, home_topic, subscribe_exchange
from services.notify.entrypoints.exchange_sender import ExchangeSender
from services.notify.entrypoints.internal_api import add_internal_api
from services.notify.entrypoints.sender import Sender
from services.notify.service_layer.delivery import DeliveryService, RetryPolicy
from services.notify.service_layer.exchange import ExchangeConfig, ExchangeService
from services.notify.service_layer.notifications import NotifyService
from services.notify.settings import NotifySettings

TITLE = "CME notify"
DESCRIPTION = (
    "Tells social workers and the Family Front Door what they are owed when cases change, through GOV.UK Notify."
)
MIGRATIONS = Path(__file__).parent / "migrations"
# LaEnquirySubmitted: a referral or enquiry another authority sent us is handed to our intake (the cross-LA exchange).
PUBLISHES = (MessageRecorded, MessageStatusChanged, LaEnquirySubmitted)

log = get_logger(__name__)


@dataclass(frozen=True)
class NotifyComponents:
    runtime: ServiceRuntime
    service: NotifyService
    delivery: DeliveryService
    sender: Sender | None  # None when no GOV.UK Notify API key is configured: messages wait in the delivery log
    exchange: ExchangeService
    exchange_sender: ExchangeSender | None  # None when no exchange signing key is configured: the exchange is off


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
    *,
    exchange_transport: ExchangeTransport | None = None,
    child_lookup: ChildLookup | None = None,
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
    exchange = build_exchange(settings, runtime, clock, exchange_transport, child_lookup)
    kafka.subscribe(runtime.consumers, service, exchange)
    exchange_sender = None
    if exchange.config.signing_key is not None:
        subscribe_exchange(runtime.consumers, settings, runtime.session_factory, exchange)
        exchange_sender = ExchangeSender(
            runtime.session_factory,
            exchange,
            poll_seconds=settings.send_poll_seconds,
            due_every_seconds=settings.exchange_chase_poll_seconds,
            clock=clock,
        )
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
    return NotifyComponents(runtime, service, delivery, sender, exchange, exchange_sender)


@dataclass(frozen=True)
class ExchangeKafkaAcls:
    """What the exchange reads and writes on Kafka, for scripts/generate_kafka_acls.py: its own topic in its own
    group, and each partner reached over Kafka's topic. From settings, because partners are each authority's own."""

    reads: tuple[str, ...]
    group: str
    writes: tuple[str, ...]


def exchange_kafka_acls(settings: NotifySettings) -> ExchangeKafkaAcls:
    kafka_partners = sorted(la for la, partner in settings.exchange_partners.items() if partner.transport == "kafka")
    return ExchangeKafkaAcls(
        reads=(home_topic(settings),),
        group=exchange_group(settings),
        writes=tuple(settings.exchange_topic_prefix + exchange_topic(la) for la in kafka_partners),
    )


def build_exchange(
    settings: NotifySettings,
    runtime: ServiceRuntime,
    clock: Clock,
    transport: ExchangeTransport | None = None,
    lookup: ChildLookup | None = None,
) -> ExchangeService:
    """The cross-LA exchange. Without a signing key it is off: what is owed fails as not configured, and nothing
    received is trusted (an empty trust registry refuses every message)."""
    key = settings.exchange_signing_key.get_secret_value() if settings.exchange_signing_key else None
    signing_key = SigningKey.from_private_bytes(settings.home_la_code, bytes.fromhex(key)) if key else None
    registry = TrustRegistry.from_json(settings.trust_registry_document()) if signing_key else TrustRegistry([])
    token = settings.internal_api_token.get_secret_value() if settings.internal_api_token else None
    config = ExchangeConfig(
        home_la=settings.home_la_code,
        signing_key=signing_key,
        registry=registry,
        routes={la: Route(partner.transport, partner.url) for la, partner in settings.exchange_partners.items()},
        team=TeamContact(team=settings.team_name, email=settings.team_email, phone=settings.team_phone),
        ack_school_days=settings.exchange_ack_school_days,
    )
    return ExchangeService(
        runtime.outbox,
        SqlExchangeLog(),
        lookup or IntakeChildLookup(settings.intake_api_url, token, settings.exchange_timeout_seconds),
        transport
        or RoutedTransport(
            KafkaExchangeTransport(
                settings.kafka_bootstrap_servers, settings.exchange_topic_prefix, **aiokafka_options(settings)
            ),
            HttpsExchangeTransport(settings.exchange_timeout_seconds),
        ),
        config,
        clock=clock,
        retry=RetryPolicy(
            max_attempts=settings.exchange_max_attempts,
            initial_wait_seconds=settings.send_initial_wait_seconds,
            max_wait_seconds=settings.send_max_wait_seconds,
        ),
        lease=timedelta(seconds=settings.send_lease_seconds),
    )


def create_app(settings: NotifySettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    components = build(settings, tracer_provider)
    runtime = components.runtime
    app = runtime.http_app(TITLE, DESCRIPTION)
    token = settings.gov_notify_callback_token
    http.add_routes(app, runtime.session_factory, components.delivery, token.get_secret_value() if token else None)
    add_exchange_routes(app, runtime.session_factory, components.exchange)
    add_internal_api(app, runtime.session_factory, components.exchange, settings.internal_api_token)
    runtime_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime_lifespan(app):
            sender = components.sender if settings.start_consumers else None
            if sender is not None:
                sender.start()
            else:
                log.warning("GOV.UK Notify sender not running: no API key, or consumers disabled")
            exchange_sender = components.exchange_sender if settings.start_consumers else None
            if exchange_sender is not None:
                exchange_sender.start()
            else:
                log.warning("exchange sender not running: no exchange signing key, or consumers disabled")
            try:
                yield
            finally:
                if sender is not None:
                    await sender.stop()
                if exchange_sender is not None:
                    await exchange_sender.stop()

    app.router.lifespan_context = lifespan
    return app


def asyncapi_app() -> FastStream:
    return build(NotifySettings()).runtime.faststream_app(TITLE, DESCRIPTION)
