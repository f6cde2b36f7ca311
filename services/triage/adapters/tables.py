from sqlalchemy import Boolean, Column, Date, DateTime, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from cme_runtime.db import service_metadata
from cme_runtime.tables import inbox_table, outbox_table

metadata = service_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

decisions = Table(
    "decisions",
    metadata,
    Column("decision_id", UUID(as_uuid=True), primary_key=True),
    Column("referral_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("child_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("referral_kind", Text, nullable=False),
    Column("is_cme", Boolean, nullable=False),
    Column("track", Text, nullable=False),
    Column("priority", Text, nullable=False),
    Column("whereabouts_unknown", Boolean, nullable=False),
    Column("refer_to_family_front_door", Boolean, nullable=False),
    Column("due_date", Date),
    Column("watch_deadline", Date),
    Column("reasons", JSONB, nullable=False),
    Column("rules_version", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)
