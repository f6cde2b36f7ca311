"""Fixtures for tests that cross process boundaries: real Kafka, real PostgreSQL, real service processes."""

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest

from cme_cli.bootstrap import create_topics, migrate_all
from cme_cli.suite import DEFAULT_PORTS, base_environment, suite_specs
from cme_cli.supervisor import Supervisor
from tests.support.infrastructure import SERVICES, Infrastructure, infrastructure
from tests.support.otlp import OtlpReceiver
from tests.support.suite import RunningSuite, free_port

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("CME_TEST_ARTIFACTS", ROOT / "test-artifacts"))


@pytest.fixture(scope="session")
def infra() -> Iterator[Infrastructure]:
    with infrastructure() as provided:
        yield provided


@pytest.fixture(scope="session")
def migrated(infra: Infrastructure) -> Infrastructure:
    migrate_all(infra.database_url)
    return infra


@pytest.fixture(scope="session")
def otlp() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="package")
async def suite(migrated: Infrastructure, otlp: OtlpReceiver) -> AsyncIterator[RunningSuite]:
    """All five services and the relay as processes, on topics of their own (prefixed per run).

    Package-scoped: it stops when the package using it (e2e, browser) is done, so its relay never empties the
    outbox tables that in-process integration tests assert on.
    """
    prefix = f"t{uuid4().hex[:8]}."
    await create_topics(migrated.kafka_bootstrap_servers, prefix)
    env = base_environment(
        {
            "KAFKA_BOOTSTRAP_SERVERS": migrated.kafka_bootstrap_servers,
            "DATABASE_URL": migrated.database_url,
            "CME_TOPIC_PREFIX": prefix,
            "CME_CONSUMER_GROUP_PREFIX": prefix + "cme",
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "CME_LOG_LEVEL": "INFO",
            "CME_API_TOKENS": '{"test-suite-token": "test-runner"}',
            "CME_SESSION_COOKIE_SECURE": "false",
        }
    )
    specs = suite_specs(env, {name: free_port() for name in DEFAULT_PORTS})
    log_dir = ARTIFACTS / "logs" / prefix.rstrip(".")
    supervisor = Supervisor(specs.values(), log_dir)
    # The JSON API acts only as a real, active user: the tests read as a group manager (read-only).
    command = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.casework",
        "ensure-service-user",
        "test-runner",
        "group_manager",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert await command.wait() == 0
    supervisor.start_all()
    try:
        supervisor.wait_ready()
        yield RunningSuite(supervisor, specs, prefix, migrated.kafka_bootstrap_servers, migrated.database_url, log_dir)
    finally:
        supervisor.stop_all()


@pytest.fixture
async def db(migrated: Infrastructure) -> AsyncIterator[dict[str, asyncpg.Connection]]:
    """A connection per service, as that service's own role, for asserting on what each one stored."""
    connections = {}
    for service in SERVICES:
        dsn = migrated.service_database_url(service).replace("postgresql+asyncpg://", "postgresql://")
        connections[service] = await asyncpg.connect(dsn, server_settings={"search_path": service})
    try:
        yield connections
    finally:
        for connection in connections.values():
            await connection.close()
