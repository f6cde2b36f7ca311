"""Alembic, one history per service, run programmatically (by `cme up`, the tests and the K8s init job)."""

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from cme_runtime.settings import ServiceSettings


def alembic_config(settings: ServiceSettings, migrations_dir: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    config.attributes["schema"] = settings.schema_name
    return config


def upgrade(settings: ServiceSettings, migrations_dir: Path, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings, migrations_dir), revision)


def _not_alembic_version(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return not (type_ == "table" and name == "alembic_version")


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's migrations/env.py (online mode only: migrations always run against a database)."""
    config = context.config
    schema = config.attributes.get("schema")
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("sqlalchemy.url is not set")

    def run(connection: Connection) -> None:
        # Replicas starting together would race to migrate; the first takes the lock, the others then find head.
        connection.execute(
            text("SELECT pg_advisory_lock(hashtext('cme.migrations.' || :schema))"), {"schema": schema or "public"}
        )
        if (
            schema
            and not connection.execute(
                text("SELECT 1 FROM pg_namespace WHERE nspname = :schema"), {"schema": schema}
            ).first()
        ):
            # Where the platform gives one role for all services (e.g. a test container) each still gets a schema.
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        # End the implicit transaction of the check, or Alembic would run inside it and never commit.
        connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
            include_schemas=False,
            compare_type=True,
            include_object=_not_alembic_version,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(
            url, poolclass=pool.NullPool, connect_args={"server_settings": {"search_path": schema or "public"}}
        )
        async with engine.connect() as connection:
            await connection.run_sync(run)
        await engine.dispose()

    asyncio.run(main())


async def upgrade_in_thread(settings: ServiceSettings, migrations_dir: Path, revision: str = "head") -> None:
    """Alembic's env runs its own event loop, so from async code it runs in a worker thread."""
    await asyncio.to_thread(upgrade, settings, migrations_dir, revision)
