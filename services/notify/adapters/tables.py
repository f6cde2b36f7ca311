from sqlalchemy import Column, DateTime, Integer, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID

from cme_runtime.db import service_metadata
from cme_runtime.tables import inbox_table, outbox_table

metadata = service_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

# Every message the suite owes someone, and what happened to it. Delivery itself is a later capability.
delivery_log = Table(
    "delivery_log",
    metadata,
    Column("message_id", UUID(as_uuid=True), primary_key=True),
    Column("case_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("child_id", UUID(as_uuid=True), nullable=False),
    Column("purpose", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("recipient_role", Text, nullable=False),
    Column("recipient_name", Text, nullable=False),
    Column("recipient_address", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("source_event_id", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
