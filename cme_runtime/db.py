"""Database engine and sessions for one service's own schema."""

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from cme_runtime.settings import ServiceSettings

Transaction = AsyncSession
"""The open unit of work a use case runs in. Service layers receive it and hand it to their ports (repositories,
the outbox) without using it themselves, so the same use case runs against PostgreSQL or in-memory fakes."""

# Constraint names that Alembic can diff and that read well in errors.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata() -> MetaData:
    """Tables are declared without a schema; the connection's search_path selects the service's schema."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(settings: ServiceSettings) -> AsyncEngine:
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        pool_pre_ping=True,
        # Bound values can be a child's personal data: keep them out of exception messages and logs.
        hide_parameters=True,
        connect_args={
            "server_settings": {"search_path": settings.schema_name, "application_name": settings.service_name}
        },
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
