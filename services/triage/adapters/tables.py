from sqlalchemy import Boolean, Column, Date, DateTime, Index, Table, Text, false, text
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
    Column("referral_date", Date, comment="The date the rules were read at; null on rows decided before it was kept"),
    Column("school_id", Text, comment="The referring school; for a joiner return, the school the child joined"),
    Column("is_cme", Boolean, nullable=False),
    Column("track", Text, nullable=False),
    Column("priority", Text, nullable=False),
    Column("whereabouts_unknown", Boolean, nullable=False),
    Column("refer_to_family_front_door", Boolean, nullable=False),
    Column("joint_enquiries_required", Boolean, nullable=False, server_default=false()),
    Column("cnis_register_applies", Boolean, nullable=False, server_default=false()),
    Column("ground_status", Text, comment="How a leaver's ground was read; null for other kinds"),
    Column("due_date", Date),
    Column("watch_deadline", Date),
    Column("reasons", JSONB, nullable=False),
    Column("rules_version", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

watches = Table(
    "watches",
    metadata,
    Column("watch_id", UUID(as_uuid=True), primary_key=True),
    Column("child_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("referral_id", UUID(as_uuid=True), nullable=False, unique=True, comment="The leaver return watched"),
    Column("school_id", Text, nullable=False, comment="The destination school the leaver return named"),
    Column("started_on", Date, nullable=False),
    Column("deadline", Date, nullable=False, comment="Last day (inclusive) a joiner return keeps the watch open"),
    Column("status", Text, nullable=False, comment="open, satisfied or expired"),
    Column(
        "referral",
        JSONB,
        nullable=False,
        comment="The leaver referral as received, to decide CME from if the watch expires; personal data",
    ),
    Column("satisfied_by", UUID(as_uuid=True), comment="The joiner referral that satisfied the watch"),
    Column("joined_school_id", Text),
    Column("joined_on", Date),
    Column("expiry_decision_id", UUID(as_uuid=True), comment="The CME decision published when the watch expired"),
    Column("decided_at", DateTime(timezone=True), comment="When the watch was satisfied or expired"),
    # The scheduler's query: open watches by deadline.
    Index("ix_watches_open_deadline", "deadline", postgresql_where=text("status = 'open'")),
)
