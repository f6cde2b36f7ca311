from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, PrimaryKeyConstraint, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID

from cme_runtime.db import service_metadata
from cme_runtime.tables import inbox_table, outbox_table

metadata = service_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

submissions = Table(
    "submissions",
    metadata,
    Column("submission_id", Text, primary_key=True, comment="The upstream system's id: the idempotency key"),
    Column("submission_type", Text, nullable=False),
    Column("channel", Text, nullable=False, comment="http or kafka"),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("status", Text, nullable=False, comment="accepted or rejected"),
    Column("problems", JSONB, nullable=False, server_default="[]"),
    Column("referral_id", UUID(as_uuid=True)),
    Column("child_id", UUID(as_uuid=True)),
)

# The register of children intake has resolved. Personal data: read only by intake, never logged.
children = Table(
    "children",
    metadata,
    Column("child_id", UUID(as_uuid=True), primary_key=True),
    Column("given_name", Text, nullable=False),
    Column("family_name", Text, nullable=False),
    Column("middle_names", Text),
    Column("date_of_birth", Date),
    Column("sex", Text),
    Column("upn", Text),
    Column("former_upns", JSONB, nullable=False, server_default="[]"),
    Column("nhs_number", Text),
    Column("postcode", Text),
    Column("address_line", Text),
    Column("household_key", Text, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Blocking keys: candidates for a new referral are the children sharing at least one key with it.
child_keys = Table(
    "child_keys",
    metadata,
    Column("key", Text, nullable=False),
    Column("child_id", UUID(as_uuid=True), ForeignKey("children.child_id"), nullable=False),
    PrimaryKeyConstraint("key", "child_id"),
    Index("ix_child_keys_child_id", "child_id"),
)

referrals = Table(
    "referrals",
    metadata,
    Column("referral_id", UUID(as_uuid=True), primary_key=True),
    Column("child_id", UUID(as_uuid=True), ForeignKey("children.child_id"), nullable=False, index=True),
    Column("submission_id", Text, ForeignKey("submissions.submission_id"), nullable=False, unique=True),
    Column("kind", Text, nullable=False),
    Column("match_decision", Text, nullable=False),
    Column("match_score", Text),
    Column("match_reasons", JSONB, nullable=False, server_default="[]"),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
