"""Outbox and inbox DDL for services' Alembic migrations, from the one definition in `cme_runtime.tables`.

Every service's first migration (0001) wrote the two tables out by hand; those migrations are history and stay
frozen. From now on a migration calls these instead: a new service's first migration creates both tables with
`create_outbox_and_inbox(op)`, and a change to the outbox or inbox is made once here and applied by one new
migration per service, so the five schemas cannot drift apart.
"""

from alembic.operations import Operations

from cme_runtime.db import service_metadata
from cme_runtime.tables import inbox_content_digest_column, inbox_table, outbox_table


def create_outbox_and_inbox(operations: Operations) -> None:
    """Create the outbox and inbox tables, their keys and index, named as every service's 0001 names them."""
    metadata = service_metadata()
    tables = [inbox_table(metadata), outbox_table(metadata)]
    # The service's metadata carries the naming convention (pk_outbox, uq_outbox_id, ix_outbox_aggregateid);
    # creating through it keeps the names identical to the frozen 0001 migrations.
    metadata.create_all(operations.get_bind(), tables=tables)


def drop_outbox_and_inbox(operations: Operations) -> None:
    operations.drop_table("outbox")
    operations.drop_table("inbox")


def add_inbox_content_digest(operations: Operations) -> None:
    """Issue 13: the inbox remembers what it received under each id (see `inbox_content_digest_column`)."""
    operations.add_column("inbox", inbox_content_digest_column())


def drop_inbox_content_digest(operations: Operations) -> None:
    operations.drop_column("inbox", "content_digest")
