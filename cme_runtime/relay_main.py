"""The outbox relay process: `python -m cme_runtime.relay_main`.

Relays the outboxes of the services named in CME_RELAY_SERVICES (default: all five), each through the
service's own database role. Serves /health/live, /health/ready and /metrics on CME_HTTP_PORT (default 8005).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import Field
from sqlalchemy import text

from cme_runtime.db import create_engine
from cme_runtime.kafka_security import aiokafka_options
from cme_runtime.logging import configure_logging, get_logger
from cme_runtime.relay import HealingProducer, OutboxRelay, RelayTarget, asyncpg_dsn, new_producer
from cme_runtime.settings import ServiceSettings
from cme_runtime.suite import SERVICE_NAMES

log = get_logger(__name__)


class RelaySettings(ServiceSettings):
    service_name: str = "relay"
    http_port: int = 8005
    relay_services: list[str] = Field(default=list(SERVICE_NAMES))
    relay_batch_size: int = 200


def create_app(settings: RelaySettings) -> FastAPI:
    configure_logging("relay", settings.log_level)
    targets = []
    for service in settings.relay_services:
        service_settings = settings.model_copy(update={"service_name": service, "db_schema": None})
        targets.append(
            RelayTarget(
                service,
                create_engine(service_settings),
                asyncpg_dsn(service_settings.database_url),
                settings.topic_prefix,
            )
        )
    stopping = asyncio.Event()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # aiokafka binds to the running loop, so producers are made here; one is started on first use, and
        # replaced whenever a broker outage leaves it unusable, so the relay starts and heals without a restart.
        producer = HealingProducer(lambda: new_producer(settings.kafka_bootstrap_servers, **aiokafka_options(settings)))
        tasks = [
            asyncio.create_task(OutboxRelay(target, producer, settings.relay_batch_size).run(stopping))
            for target in targets
        ]
        log.info("outbox relay started", services=settings.relay_services)
        try:
            yield
        finally:
            stopping.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=15)
            await producer.stop()
            for target in targets:
                await target.engine.dispose()

    app = FastAPI(title="CME outbox relay", lifespan=lifespan)

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "alive", "service": "relay"}

    @app.get("/health/ready")
    async def ready(response: Response) -> dict[str, Any]:
        checks: dict[str, bool] = {}
        for target in targets:
            try:
                async with target.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
                checks[target.service] = True
            except Exception:
                checks[target.service] = False
        ok = all(checks.values())
        response.status_code = 200 if ok else 503
        return {"status": "ready" if ok else "not ready", "checks": checks}

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


def main() -> None:
    settings = RelaySettings()
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
    )


if __name__ == "__main__":
    main()
