"""The outbox and inbox tables every service keeps in its own schema."""

from sqlalchemy import BigInteger, Column, DateTime, Identity, MetaData, PrimaryKeyConstraint, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID


def outbox_table(metadata: MetaData) -> Table:
    """Debezium-shaped outbox: insert-only rows, relayed to Kafka in `seq` order per aggregate (the Kafka key)."""
    return Table(
        "outbox",
        metadata,
        Column("seq", BigInteger, Identity(always=True), primary_key=True),
        Column("id", UUID(as_uuid=True), nullable=False, unique=True, comment="CloudEvents id"),
        Column("aggregatetype", Text, nullable=False, comment="Kafka topic"),
        Column("aggregateid", Text, nullable=False, index=True, comment="Kafka key: the child id"),
        Column("type", Text, nullable=False, comment="CloudEvents type"),
        Column("source", Text, nullable=False),
        Column("subject", Text),
        Column("dataschema", Text),
        Column("payload", JSONB, nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("trace_headers", JSONB, nullable=False, server_default="{}", comment="W3C trace context to carry on"),
    )


def inbox_table(metadata: MetaData) -> Table:
    """Events each consumer has applied, recorded in the same transaction as the change they caused."""
    return Table(
        "inbox",
        metadata,
        Column("consumer", Text, nullable=False),
        Column("event_id", Text, nullable=False),
        Column("event_type", Text, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        inbox_content_digest_column(),
        PrimaryKeyConstraint("consumer", "event_id"),
    )


def inbox_content_digest_column() -> Column[str]:
    """What was delivered under an event id, so a reused id with other content is told from a true duplicate.

    Nullable: rows recorded before the column existed have none, and are taken as true duplicates.
    """
    return Column(
        "content_digest",
        Text,
        nullable=True,
        comment="sha256 of the CloudEvents type, source and data; the same id with another digest is a conflict",
    )
