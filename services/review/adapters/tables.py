from sqlalchemy import Column, Date, DateTime, Integer, Table, Text
from sqlalchemy.dialects.postgresql import UUID

from cme_runtime.db import service_metadata
from cme_runtime.tables import inbox_table, outbox_table

metadata = service_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

reviews = Table(
    "reviews",
    metadata,
    Column("review_id", UUID(as_uuid=True), primary_key=True),
    Column("case_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("child_id", UUID(as_uuid=True), nullable=False),
    Column("escalation_event_id", Text, nullable=False, unique=True),
    Column("cme_score", Integer, nullable=False),
    Column("safeguarding_score", Integer, nullable=False),
    Column("risk_band", Text, nullable=False),
    Column("recommendation", Text, nullable=False),
    Column("next_review_date", Date),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)
