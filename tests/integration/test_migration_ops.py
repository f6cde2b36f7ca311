"""The runtime's outbox/inbox migration helper creates exactly what every service's frozen 0001 migration created."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Connection, inspect, pool
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from cme_runtime.db import service_metadata
from cme_runtime.migration_ops import create_outbox_and_inbox, drop_outbox_and_inbox
from cme_runtime.tables import inbox_table, outbox_table
from tests.support.infrastructure import Infrastructure

pytestmark = pytest.mark.integration


@pytest.fixture
async def review_schema(migrated: Infrastructure) -> AsyncIterator[AsyncConnection]:
    """A transaction in review's schema (laid out by its frozen 0001 migration), always rolled back: PostgreSQL's
    DDL is transactional, so the tests may drop and recreate the outbox and inbox there and leave no trace."""
    engine = create_async_engine(migrated.service_database_url("review"), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.begin()
        try:
            yield connection
        finally:
            await connection.rollback()
    await engine.dispose()


def _shape(connection: Connection, schema: str, table: str) -> dict[str, Any]:
    inspector = inspect(connection)
    return {
        "columns": [
            (column["name"], str(column["type"]), column["nullable"], column.get("default"), column.get("comment"))
            for column in inspector.get_columns(table, schema=schema)
        ],
        "primary_key": inspector.get_pk_constraint(table, schema=schema),
        "unique": inspector.get_unique_constraints(table, schema=schema),
        "indexes": inspector.get_indexes(table, schema=schema),
    }


def _operations(connection: Connection) -> Operations:
    return Operations(MigrationContext.configure(connection))


async def _run(connection: AsyncConnection, work: Callable[[Connection], Any]) -> Any:
    return await connection.run_sync(work)


def _drop_the_frozen_tables(connection: Connection) -> None:
    drop_outbox_and_inbox(_operations(connection))


async def test_the_helper_creates_the_tables_the_runtime_declares(review_schema: AsyncConnection) -> None:
    declared = service_metadata()
    outbox_table(declared)
    inbox_table(declared)

    def differences(sync: Connection) -> list[Any]:
        _drop_the_frozen_tables(sync)
        create_outbox_and_inbox(_operations(sync))
        # Compare only these two tables: review's own tables are not in `declared`.
        only_ours = {"include_name": lambda name, kind, _: kind != "table" or name in {"outbox", "inbox"}}
        return list(compare_metadata(MigrationContext.configure(sync, opts=only_ours), declared))

    assert await _run(review_schema, differences) == []


async def test_the_helper_matches_what_the_frozen_first_migrations_made(review_schema: AsyncConnection) -> None:
    def shapes(sync: Connection) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        made_by_0001 = [_shape(sync, "review", table) for table in ("outbox", "inbox")]
        _drop_the_frozen_tables(sync)
        create_outbox_and_inbox(_operations(sync))
        made_by_helper = [_shape(sync, "review", table) for table in ("outbox", "inbox")]
        return list(zip(made_by_helper, made_by_0001, strict=True))

    for made_by_helper, made_by_0001 in await _run(review_schema, shapes):
        assert made_by_helper == made_by_0001


async def test_the_helper_drops_what_it_made(review_schema: AsyncConnection) -> None:
    def remaining(sync: Connection) -> set[str]:
        _drop_the_frozen_tables(sync)
        create_outbox_and_inbox(_operations(sync))
        drop_outbox_and_inbox(_operations(sync))
        return set(inspect(sync).get_table_names(schema="review"))

    assert not {"outbox", "inbox"} & await _run(review_schema, remaining)
