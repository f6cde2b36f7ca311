from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
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
    # Search and list columns, copied from the aggregate on every save, so lists never read `state`.
    Column("given_name_key", Text, nullable=False, server_default="", comment="Case-folded given name; personal data"),
    Column(
        "family_name_key", Text, nullable=False, server_default="", comment="Case-folded family name; personal data"
    ),
    Column("upn", Text, comment="Unique pupil number; personal data"),
    Column("date_of_birth", Date, comment="Personal data"),
    Column("school_name_key", Text, comment="Case-folded name of the child's last school"),
    Column("working_due_date", Date, comment="When the officer's next work is due; null when the case waits on others"),
    Column("state", JSONB, nullable=False, comment="The whole case aggregate"),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The suite's invariant: at most one open CME case per child.
    Index("uq_cases_one_open_per_child", "child_id", unique=True, postgresql_where=text("status <> 'closed'")),
    Index("ix_cases_queue", "status", "priority", "due_date"),
    # The case list's sort orders, each ending in the primary key so pages are stable: over every case, and over
    # open cases only (the list's default, and most cases in a county's history are closed).
    Index("ix_cases_due_date", "due_date", "case_id"),
    Index("ix_cases_priority_due_date", "priority", "due_date", "case_id"),
    Index("ix_cases_opened_at", "opened_at", "case_id"),
    Index("ix_cases_open_due_date", "due_date", "case_id", postgresql_where=text("status <> 'closed'")),
    Index("ix_cases_open_priority_due_date", "priority", "due_date", "case_id",
          postgresql_where=text("status <> 'closed'")),
    Index("ix_cases_open_opened_at", "opened_at", "case_id", postgresql_where=text("status <> 'closed'")),
    # The dashboard's counts by priority and track and each officer's workload, read from the index alone.
    Index("ix_cases_open_officer_priority_track", "officer_id", "priority", "track",
          postgresql_where=text("status <> 'closed'")),
    Index("ix_cases_working_due_date", "working_due_date", postgresql_where=text("working_due_date IS NOT NULL")),
    # Prefix search (LIKE 'term%') needs the pattern operator class under a non-C collation.
    Index("ix_cases_given_name_key", "given_name_key", postgresql_ops={"given_name_key": "text_pattern_ops"}),
    Index("ix_cases_family_name_key", "family_name_key", postgresql_ops={"family_name_key": "text_pattern_ops"}),
    Index("ix_cases_search_name", "search_name", postgresql_ops={"search_name": "text_pattern_ops"}),
    Index("ix_cases_school_name_key", "school_name_key", postgresql_ops={"school_name_key": "text_pattern_ops"}),
    Index("ix_cases_school_id", "school_id"),
    Index("ix_cases_upn", "upn"),
    Index("ix_cases_date_of_birth", "date_of_birth"),
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

# Officers and their roles (policy App. E). Local accounts for development; OpenID Connect in production.
users = Table(
    "users",
    metadata,
    Column("user_id", Text, primary_key=True),
    Column("email", Text, nullable=False, unique=True),
    Column("display_name", Text, nullable=False),
    Column("initials", Text, nullable=False),
    Column("roles", JSONB, nullable=False, server_default="[]"),
    Column("team_id", Text),
    Column("password_hash", Text, comment="argon2id; null for accounts that sign in with OpenID Connect"),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("identity_issuer", Text, comment="OpenID Connect issuer of an account provisioned on sign-in"),
    Column("identity_subject", Text, comment="The issuer's stable subject for the account"),
    UniqueConstraint("identity_issuer", "identity_subject", name="uq_users_identity"),
)

# Server-side sessions: the cookie holds a random token; only its SHA-256 is stored.
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("user_id", Text, ForeignKey("users.user_id"), nullable=False, index=True),
    Column("csrf_token", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)

sign_in_attempts = Table(
    "sign_in_attempts",
    metadata,
    Column("attempt_id", BigInteger, Identity(always=True), primary_key=True),
    Column("account_key", Text, nullable=False, comment="SHA-256 of the lower-cased email: no addresses stored"),
    Column("client", Text, nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_sign_in_attempts_account_at", "account_key", "at"),
    Index("ix_sign_in_attempts_client_at", "client", "at"),
)

# OpenID Connect sign-ins in flight: the state, nonce and PKCE verifier, kept server-side for a few minutes.
oidc_sign_ins = Table(
    "oidc_sign_ins",
    metadata,
    Column("state_hash", Text, primary_key=True, comment="SHA-256 of the state; the browser holds the state"),
    Column("nonce", Text, nullable=False),
    Column("code_verifier", Text, nullable=False),
    Column("next_path", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Append-only, hash-chained record of every view and change of a child's record (see domain/audit.py).
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_id", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("record_type", Text, nullable=False),
    Column("record_id", Text, nullable=False),
    Column("detail_digest", Text, nullable=False, server_default=""),
    Column("previous_hash", Text, nullable=False),
    Column("entry_hash", Text, nullable=False),
    Index("ix_audit_log_record", "record_type", "record_id"),
    # The audit log page filters by record id alone, newest first.
    Index("ix_audit_log_record_id_seq", "record_id", "seq"),
)

# Sequence numbers and hashes of audit entries, kept apart from the chain so cutting entries off its end shows.
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("checkpoint_id", BigInteger, Identity(always=True), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("entry_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
