"""Fixtures for tests that cross process boundaries: real Kafka, real PostgreSQL, real service processes."""

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from cme_cli.bootstrap import migrate_all
from tests.support.infrastructure import SERVICES, Infrastructure, infrastructure
from tests.support.intake import intake_connection
from tests.support.otlp import OtlpReceiver

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


@pytest.fixture
async def intake_db(migrated: Infrastructure) -> AsyncIterator[asyncpg.Connection]:
    """A connection to intake's schema, to check what it stored."""
    async with intake_connection(migrated) as connection:
        yield connection


@pytest.fixture(scope="session")
def otlp() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    return ARTIFACTS


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
