from sqlalchemy import Column, Date, DateTime, Integer, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

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

missing_mondays_reviews = Table(
    "missing_mondays_reviews",
    metadata,
    Column("review_id", UUID(as_uuid=True), primary_key=True),
    Column("case_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("child_id", UUID(as_uuid=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("meeting_date", Date, nullable=False, index=True),
    Column("next_review_date", Date, comment="Signed off as remain open: when the further review is due"),
    Column("data", JSONB, nullable=False, comment="The review form as JSON (cme_runtime/snapshots.py)"),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

rechecks = Table(
    "rechecks",
    metadata,
    Column("review_id", UUID(as_uuid=True), primary_key=True),
    Column("due_on", Date, primary_key=True),
    Column("case_id", UUID(as_uuid=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
