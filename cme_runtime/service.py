"""What every service process is built from: settings, database, broker, telemetry, health and metrics."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import FastAPI, Response
from faststream import FastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.specification import AsyncAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import MetaData, text

from cme_runtime.db import create_engine, create_session_factory
from cme_runtime.errors import HideUnexpectedErrors
from cme_runtime.inbox import Inbox
from cme_runtime.kafka_security import faststream_security
from cme_runtime.logging import configure_logging, get_logger
from cme_runtime.messaging import Consumers
from cme_runtime.outbox import Outbox
from cme_runtime.settings import ServiceSettings
from cme_runtime.telemetry import create_tracer_provider, tracer
from contracts.base import Event

log = get_logger(__name__)

UseCases = TypeVar("UseCases")


class ServiceRuntime:
    """Builds, but does not connect, everything a service needs. Connections open in the app's lifespan."""

    def __init__(
        self,
        settings: ServiceSettings,
        metadata: MetaData,
        tracer_provider: TracerProvider | None = None,
        publishes: Sequence[type[Event]] = (),
    ) -> None:
        self.settings = settings
        self.metadata = metadata
        configure_logging(settings.service_name, settings.log_level)
        self.tracer_provider = tracer_provider or create_tracer_provider(settings.service_name)
        self.engine = create_engine(settings)
        if settings.trace_sql_statements:
            SQLAlchemyInstrumentor().instrument(
                engine=self.engine.sync_engine, tracer_provider=self.tracer_provider, enable_commenter=False
            )
        self.session_factory = create_session_factory(self.engine)
        # Each service declares these on its metadata (see cme_runtime.tables) so its migrations create them.
        self.outbox_table = metadata.tables["outbox"]
        self.inbox_table = metadata.tables["inbox"]
        self.publishes = tuple(publishes)
        self.outbox = Outbox(
            self.outbox_table,
            source=f"/cme/{settings.service_name}",
            schema=settings.schema_name,
            declared=self.publishes,
            topic_prefix=settings.topic_prefix,
        )
        self.broker = KafkaBroker(
            settings.kafka_bootstrap_servers,
            middlewares=(KafkaTelemetryMiddleware(tracer_provider=self.tracer_provider),),
            client_id=f"cme-{settings.service_name}",
            enable_idempotence=True,
            security=faststream_security(settings),
        )
        self.consumers = Consumers(
            settings,
            self.broker,
            self.session_factory,
            Inbox(self.inbox_table, consumer=settings.consumer_group),
            tracer=tracer(self.tracer_provider, "cme_runtime.messaging"),
        )

    def asyncapi(self, title: str, description: str) -> AsyncAPI:
        return AsyncAPI(self.broker, title=title, version="1.0.0", description=description)

    def faststream_app(self, title: str, description: str) -> FastStream:
        """The app `faststream docs gen` reads; scripts/asyncapi.py adds the contracts' payload schemas."""
        app = FastStream(self.broker, specification=self.asyncapi(title, description))
        app.context.set_global("cme_runtime", self)
        return app

    @asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        if self.settings.start_consumers:
            await self.broker.start()
        else:
            await self.broker.connect()
        log.info("service started", port=self.settings.http_port)
        try:
            yield
        finally:
            await self.broker.stop()
            await self.engine.dispose()
            log.info("service stopped")

    def http_app(self, title: str, description: str, **fastapi_options: Any) -> FastAPI:
        app = FastAPI(title=title, description=description, lifespan=self.lifespan, **fastapi_options)
        app.state.runtime = self
        app.add_middleware(HideUnexpectedErrors)
        self._add_health_routes(app)
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=self.tracer_provider, excluded_urls="health/live,health/ready,metrics"
        )
        return app

    async def database_ready(self) -> bool:
        try:
            async with self.engine.connect() as connection:
                await asyncio.wait_for(connection.execute(text("SELECT 1")), timeout=2)
        except Exception:
            return False
        return True

    async def broker_ready(self) -> bool:
        try:
            return bool(await self.broker.ping(timeout=2))
        except Exception:
            return False

    def _add_health_routes(self, app: FastAPI) -> None:
        @app.get("/health/live", tags=["health"], include_in_schema=False)
        async def live() -> dict[str, str]:
            return {"status": "alive", "service": self.settings.service_name}

        @app.get("/health/ready", tags=["health"], include_in_schema=False)
        async def ready(response: Response) -> dict[str, Any]:
            stalled = self.consumers.stalled()
            checks = {
                "database": await self.database_ready(),
                "kafka": await self.broker_ready(),
                # A consumer waiting out an outage is not keeping up: say so until a message gets through.
                "consumers": not stalled,
            }
            ok = all(checks.values())
            response.status_code = 200 if ok else 503
            body: dict[str, Any] = {
                "status": "ready" if ok else "not ready",
                "service": self.settings.service_name,
                "checks": checks,
            }
            if stalled:
                body["waiting"] = stalled
            return body

        @app.get("/metrics", include_in_schema=False)
        async def metrics() -> Response:
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@dataclass(frozen=True)
class Components(Generic[UseCases]):
    """What a service's composition root built for a service whose use cases are one object: its runtime and its
    service layer. Services that build more (casework) declare their own."""

    runtime: ServiceRuntime
    service: UseCases
