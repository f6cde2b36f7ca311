"""Notify's migration 0004 (the exchange log) downgrades and upgrades cleanly, and matches the tables as declared."""

import asyncio

import asyncpg
import pytest
from alembic import command

from cme_runtime.migrations import alembic_config, upgrade
from services.notify.app import MIGRATIONS
from services.notify.settings import NotifySettings
from tests.support.infrastructure import Infrastructure

pytestmark = pytest.mark.integration


async def test_the_exchange_log_migration_round_trips(
    migrated: Infrastructure, db: dict[str, asyncpg.Connection]
) -> None:
    settings = NotifySettings(DATABASE_URL=migrated.database_url)
    connection = db["notify"]
    exists = "SELECT to_regclass('exchange_messages') IS NOT NULL"
    assert await connection.fetchval(exists)

    # Alembic's env runs its own event loop, so it runs in a worker thread here.
    await asyncio.to_thread(command.downgrade, alembic_config(settings, MIGRATIONS), "0003")
    assert not await connection.fetchval(exists)
    assert await connection.fetchval("SELECT to_regclass('delivery_log') IS NOT NULL")

    await asyncio.to_thread(upgrade, settings, MIGRATIONS)
    assert await connection.fetchval(exists)
    # Autogenerate finds nothing to change: the migration creates exactly the table adapters/tables.py declares.
    await asyncio.to_thread(command.check, alembic_config(settings, MIGRATIONS))
