from sqlalchemy import Column, Date, DateTime, Index, Integer, Table, Text, func
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

# The cross-LA exchange: one row per message sent to or received from another authority. For a sent message the
# row is also the exchange sender's outbox (claimed like the delivery log) and keeps the signed envelope, signed
# once when the message was owed, so a resend is the same bytes. For a received message the primary key is its
# message id: a second message with an id seen before (sent or received) is a replay. A refused message is kept
# under an id of its own (what it claimed to be is in `claimed_message_id`), so a forgery cannot take a genuine
# message's id.
exchange_messages = Table(
    "exchange_messages",
    metadata,
    Column("message_id", UUID(as_uuid=True), primary_key=True),
    Column("claimed_message_id", UUID(as_uuid=True), nullable=True),
    Column("direction", Text, nullable=False),
    Column("counterpart_la", Text, nullable=True),
    Column("type", Text, nullable=True),
    Column("case_id", UUID(as_uuid=True), nullable=True, index=True),
    Column("child_id", UUID(as_uuid=True), nullable=True),
    Column("referral_id", UUID(as_uuid=True), nullable=True, index=True),
    Column("status", Text, nullable=False),
    Column("status_at", DateTime(timezone=True), nullable=False),
    Column("detail", Text, nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("envelope", JSONB, nullable=True),
    Column("in_reply_to", UUID(as_uuid=True), nullable=True, index=True),
    Column("correlates_to", UUID(as_uuid=True), nullable=True),
    Column("ack_due_on", Date, nullable=True),
    Column("chased_message_id", UUID(as_uuid=True), nullable=True),
    Column("receiver_reference", Text, nullable=True),
    Column("refusal_reason", Text, nullable=True),
    Column("failure_reason", Text, nullable=True),
    Column("transport", Text, nullable=True),
    Column("position", Text, nullable=True),
    Column("digest", Text, nullable=True),
    Column("submission_id", Text, nullable=True, unique=True),
    Column("source_event_id", Text, nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_exchange_messages_due", "next_attempt_at", postgresql_where="status = 'pending'"),
    Index("ix_exchange_messages_recorded_at", "recorded_at"),
)
