"""Reporting's read model: what the weekly pack and the returns count, built only from the event topics.

Nothing here is the truth: every row can be dropped and rebuilt by replaying the topics (`python -m
services.reporting rebuild`). Rows are keyed by the event's own ids and written as upserts, so replaying an event,
or receiving one topic's events before another's, gives the same tables.
"""

from sqlalchemy import Boolean, Column, Date, DateTime, Index, Integer, Table, Text
from sqlalchemy.dialects.postgresql import UUID

from cme_runtime.db import service_metadata
from cme_runtime.tables import inbox_table, outbox_table

metadata = service_metadata()
# Reporting publishes nothing, but every service keeps both tables (the runtime and the relay expect them).
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

referrals = Table(
    "referrals",
    metadata,
    Column("referral_id", UUID(as_uuid=True), primary_key=True),
    Column("child_id", UUID(as_uuid=True), nullable=False),
    Column("kind", Text, nullable=False, comment="The source of the referral (leaver, joiner, social care, ...)"),
    Column("ground", Text, comment="The leaving ground code as submitted, normalised"),
    Column("school_id", Text),
    Column("received_at", DateTime(timezone=True), nullable=False, index=True),
)

triage_decisions = Table(
    "triage_decisions",
    metadata,
    Column("referral_id", UUID(as_uuid=True), primary_key=True),
    Column("whereabouts_unknown", Boolean, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

cases = Table(
    "cases",
    metadata,
    Column("case_id", UUID(as_uuid=True), primary_key=True),
    Column("child_id", UUID(as_uuid=True), nullable=False),
    Column("referral_id", UUID(as_uuid=True), index=True),
    Column("opened_at", DateTime(timezone=True), index=True),
    Column("priority", Text),
    Column("track", Text),
    Column("due_date", Date),
    # Personal data, kept only for the Missing Mondays agenda (the one section of the pack that names children).
    Column("given_name", Text),
    Column("family_name", Text),
    Column("date_of_birth", Date),
    Column("whereabouts_unknown_since", DateTime(timezone=True)),
    Column("located_at", DateTime(timezone=True), index=True),
    Column("closed_at", DateTime(timezone=True), index=True),
    Column("close_reason", Text),
)

case_changes = Table(
    "case_changes",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("case_id", UUID(as_uuid=True), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("change", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("priority", Text),
    Index("ix_case_changes_case_id_at", "case_id", "at"),
)

escalations = Table(
    "escalations",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("case_id", UUID(as_uuid=True), nullable=False),
    Column("kind", Text, nullable=False),
    Column("escalated_at", DateTime(timezone=True), nullable=False, index=True),
)

reviews = Table(
    "reviews",
    metadata,
    Column("review_id", UUID(as_uuid=True), primary_key=True),
    Column("case_id", UUID(as_uuid=True), nullable=False),
    Column("meeting_date", Date, index=True),
    Column("step", Text, comment="The latest step of the review (agenda_item_added, scored, ..., signed_off)"),
    Column("step_at", DateTime(timezone=True)),
    Column("risk_band", Text),
    Column("withdrawn", Boolean, nullable=False, server_default="false"),
)

rejections = Table(
    "rejections",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("submission_type", Text),
    Column("rejected_at", DateTime(timezone=True), nullable=False, index=True),
    Column("problems", Integer, nullable=False),
    Column("first_field", Text, comment="The field the first problem is about (its path; never the values)"),
)

READ_MODEL = (referrals, triage_decisions, cases, case_changes, escalations, reviews, rejections)
