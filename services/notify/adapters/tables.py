from sqlalchemy import Column, DateTime, Index, Integer, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID

from cme_runtime.db import service_metadata
from cme_runtime.tables import inbox_table, outbox_table

metadata = service_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

# Every message the suite owes someone, and what happened to it. It is also the sender's outbox: a row is recorded
# in the same transaction as the inbox entry of the event that made it owed, and the sender loop claims pending
# rows. `message_id` is the idempotency reference sent to GOV.UK Notify as `reference`.
delivery_log = Table(
    "delivery_log",
    metadata,
    Column("message_id", UUID(as_uuid=True), primary_key=True),
    Column("case_id", UUID(as_uuid=True), nullable=True, index=True),
    Column("child_id", UUID(as_uuid=True), nullable=False),
    Column("referral_id", UUID(as_uuid=True), nullable=True),
    Column("purpose", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("recipient_role", Text, nullable=False),
    Column("recipient_name", Text, nullable=False),
    Column("recipient_address", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=True),
    Column("template_id", Text, nullable=True),
    Column("personalisation", JSONB, nullable=False, server_default="{}"),
    Column("status", Text, nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("notify_id", Text, nullable=True, unique=True),
    Column("failure_reason", Text, nullable=True),
    Column("status_changed_at", DateTime(timezone=True), nullable=True),
    Column("source_event_id", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_delivery_log_due", "next_attempt_at", postgresql_where="status = 'pending'"),
)
