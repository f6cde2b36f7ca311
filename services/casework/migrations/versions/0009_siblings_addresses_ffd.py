"""The records kept beside a case (issue 8): sibling links, intake's suggested siblings, the address and contact
history, and Family Front Door prompts with the officer's acknowledgement.

Sibling links are stored once per pair, in one order (a check constraint), so a link is symmetric by
construction. Addresses are a history: rows are only added, the current details are the latest row. The tables
are declared in services/casework/adapters/case_records.py.

Revision ID: 0009, revises 0008.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision, down_revision, branch_labels, depends_on = "0009", "0008", None, None


def upgrade() -> None:
    op.create_table(
        "case_sibling_links",
        sa.Column("case_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("cases.case_id"), primary_key=True),
        sa.Column("sibling_case_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("cases.case_id"),
                  primary_key=True),
        sa.Column("linked_by", sa.Text(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("case_id < sibling_case_id", name="ck_case_sibling_links_ordered"),
    )
    op.create_index("ix_case_sibling_links_sibling", "case_sibling_links", ["sibling_case_id"])
    op.create_table(
        "case_suggested_siblings",
        sa.Column("case_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("cases.case_id"), primary_key=True),
        sa.Column("sibling_child_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("referral_id", postgresql.UUID(as_uuid=True), nullable=False,
                  comment="The referral intake suggested it on"),
        sa.Column("suggested_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "case_addresses",
        sa.Column("record_id", sa.BigInteger(), sa.Identity(always=True), primary_key=True),
        sa.Column("case_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("cases.case_id"), nullable=False),
        *(
            sa.Column(name, sa.Text(), nullable=False, server_default="", comment="Personal data")
            for name in ("address_line_1", "address_line_2", "town", "postcode", "phone", "email")
        ),
        sa.Column("moved_on", sa.Date()),
        sa.Column("source", sa.Text(), nullable=False, server_default="", comment="How the officer learnt it"),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        comment="A history: rows are only ever added; the current details are the latest row",
    )
    op.create_index("ix_case_addresses_case", "case_addresses", ["case_id", "recorded_at"])
    op.create_table(
        "case_ffd_prompts",
        sa.Column("case_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("cases.case_id"), primary_key=True),
        sa.Column("referral_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("reasons", postgresql.JSONB(), nullable=False, comment="Triage's reasons; no personal data"),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.Text(), comment="referred or not_needed; null while outstanding"),
        sa.Column("referred_on", sa.Date()),
        sa.Column("reference", sa.Text()),
        sa.Column("why", sa.Text(), comment="Why a referral is not needed; may name the child"),
        sa.Column("acknowledged_by", sa.Text()),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("decision IS NULL OR decision IN ('referred', 'not_needed')",
                           name="ck_case_ffd_prompts_decision"),
    )


def downgrade() -> None:
    op.drop_table("case_ffd_prompts")
    op.drop_index("ix_case_addresses_case", table_name="case_addresses")
    op.drop_table("case_addresses")
    op.drop_table("case_suggested_siblings")
    op.drop_index("ix_case_sibling_links_sibling", table_name="case_sibling_links")
    op.drop_table("case_sibling_links")
