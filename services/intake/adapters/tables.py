from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
)
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
    Column("client", Text, comment="The upstream system, from its API key; empty when the API is open"),
    Column("updates_submission_id", Text, comment="The earlier submission this one updates"),
    Column("part_of", Text, index=True, comment="For one pupil of a CTF file: the file's submission id"),
)

# One row per CTF file accepted; its pupils are submissions of their own, "<file id>#<index>".
ctf_files = Table(
    "ctf_files",
    metadata,
    Column("submission_id", Text, ForeignKey("submissions.submission_id"), primary_key=True),
    Column("file_date_time", DateTime(timezone=True), nullable=False, comment="The header's DateTime, read as UK time"),
    Column("source_school_id", Text),
    Column("destination_school_id", Text),
    Column("lost_pupil_file", Boolean, nullable=False, comment="Sent to the Lost Pupil Database (LA XXX)"),
    Column("pupils", Integer, nullable=False),
    Column("accepted", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("problems", JSONB, nullable=False, server_default="[]", comment="Per pupil: index, line, field, message"),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
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

# Every address a child has had; the row without superseded_at is the current one, copied onto `children`.
child_addresses = Table(
    "child_addresses",
    metadata,
    Column("address_id", UUID(as_uuid=True), primary_key=True),
    Column("child_id", UUID(as_uuid=True), ForeignKey("children.child_id"), nullable=False, index=True),
    Column("address_line", Text),
    Column("postcode", Text),
    Column("household_key", Text),
    Column("submission_id", Text, comment="The submission that gave this address"),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("superseded_at", DateTime(timezone=True)),
)

# A stable id per address children share, so a family can be named without deriving an id from the address.
households = Table(
    "households",
    metadata,
    Column("household_id", UUID(as_uuid=True), primary_key=True),
    Column("household_key", Text, nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Identity questions for an officer: an uncertain match (the referral went ahead with a provisional child) or two
# register entries that look like one child. Confirming one records a merge.
match_reviews = Table(
    "match_reviews",
    metadata,
    Column("review_id", UUID(as_uuid=True), primary_key=True),
    Column("kind", Text, nullable=False, comment="uncertain_match or possible_duplicate"),
    Column("submission_id", Text, nullable=False),
    Column("referral_id", UUID(as_uuid=True)),
    Column("child_id", UUID(as_uuid=True), ForeignKey("children.child_id"), nullable=False, index=True),
    Column(
        "proposed_child_id",
        UUID(as_uuid=True),
        ForeignKey("children.child_id"),
        nullable=False,
        index=True,
        comment="The child the officer is asked to confirm child_id is",
    ),
    Column("alternatives", JSONB, nullable=False, comment="Candidates, best first: child_id, score, outcome, reasons"),
    Column("status", Text, nullable=False, server_default="open", index=True),
    Column("decided_by", Text),
    Column("decided_at", DateTime(timezone=True)),
    Column("decision_reason", Text, comment="Free text from the officer: show it, never log it"),
    Column("merge_id", UUID(as_uuid=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status IN ('open', 'confirmed', 'rejected')", name="status"),
    CheckConstraint("kind IN ('uncertain_match', 'possible_duplicate')", name="kind"),
)

# Merges and their reversals, append-only: a merge says "read merged_child_id as surviving_child_id"; an unmerge
# row names the merge it reverses. Nothing else is rewritten, so undoing a merge restores both children exactly.
merges = Table(
    "merges",
    metadata,
    Column("merge_id", UUID(as_uuid=True), primary_key=True),
    Column("action", Text, nullable=False),
    Column("surviving_child_id", UUID(as_uuid=True), ForeignKey("children.child_id"), nullable=False),
    Column("merged_child_id", UUID(as_uuid=True), ForeignKey("children.child_id"), nullable=False, index=True),
    Column("reverses_merge_id", UUID(as_uuid=True), ForeignKey("merges.merge_id"), unique=True),
    Column("review_id", UUID(as_uuid=True), ForeignKey("match_reviews.review_id")),
    Column("reason", Text, nullable=False, comment="Free text from the officer: show it, never log it"),
    Column("decided_by", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("action IN ('merge', 'unmerge')", name="action"),
    CheckConstraint("(action = 'unmerge') = (reverses_merge_id IS NOT NULL)", name="unmerge_names_its_merge"),
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
    Column("school_id", Text, comment="The school the referral names (on roll there for on-roll returns)"),
    Column("school_name", Text),
)

# Views, created by the migrations; declared on their own metadata so that autogenerate leaves them alone.
views = MetaData()

# Children (not merged away) sharing a household with at least one other: siblings at one address, as a family.
families = Table(
    "families",
    views,
    Column("family_id", UUID(as_uuid=True)),
    Column("child_id", UUID(as_uuid=True)),
)
