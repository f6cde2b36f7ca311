"""Intake in-process for integration tests: its real app over httpx's ASGI transport, and a connection to its
schema to check what it stored. Both against the real PostgreSQL."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx

from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.support.infrastructure import Infrastructure


@asynccontextmanager
async def intake_client(migrated: Infrastructure, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of intake's app built with `settings`; the app is at `client.app` (its runtime at
    `client.app.state.runtime`)."""
    app = create_app(IntakeSettings(DATABASE_URL=migrated.database_url, **settings))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://intake", timeout=60
        ) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client
    finally:
        await app.state.runtime.engine.dispose()


@asynccontextmanager
async def intake_connection(migrated: Infrastructure) -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection as intake's role, with intake's schema on the search path."""
    dsn = migrated.service_database_url("intake").replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn, server_settings={"search_path": "intake"})
    try:
        yield connection
    finally:
        await connection.close()
