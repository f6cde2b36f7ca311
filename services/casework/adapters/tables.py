from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from cme_runtime.db import service_metadata
from cme_runtime.tables import inbox_table, outbox_table

metadata = service_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

cases = Table(
    "cases",
    metadata,
    Column("case_id", UUID(as_uuid=True), primary_key=True),
    Column("reference", Text, nullable=False, unique=True),
    Column("child_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("status", Text, nullable=False),
    Column("priority", Text, nullable=False),
    Column("track", Text, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("officer_id", Text, index=True),
    Column("school_id", Text),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("child", JSONB, nullable=False, comment="Child summary for lists and search; personal data"),
    Column("search_name", Text, nullable=False, server_default="", comment="Lower-cased names for search"),
    Column("state", JSONB, nullable=False, comment="The whole case aggregate"),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The suite's invariant: at most one open CME case per child.
    Index("uq_cases_one_open_per_child", "child_id", unique=True, postgresql_where=text("status <> 'closed'")),
    Index("ix_cases_queue", "status", "priority", "due_date"),
)

case_referrals = Table(
    "case_referrals",
    metadata,
    Column("referral_id", UUID(as_uuid=True), primary_key=True),
    Column("case_id", UUID(as_uuid=True), ForeignKey("cases.case_id"), nullable=False, index=True),
    Column("attached_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

timeline = Table(
    "timeline",
    metadata,
    Column("entry_id", BigInteger, Identity(always=True), primary_key=True),
    Column("case_id", UUID(as_uuid=True), ForeignKey("cases.case_id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("source", Text, nullable=False, comment="The service the entry came from"),
    Column("event_id", Text, unique=True),
    Index("ix_timeline_case_at", "case_id", "at"),
)
