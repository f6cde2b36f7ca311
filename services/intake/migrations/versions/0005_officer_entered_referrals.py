"""Referrals CME officers enter in the officers' UI: who entered each one and how it reached them
(`officer_entries`, one row per accepted submission), and the form's answers between its pages
(`referral_drafts`, the acting officer's only, deleted once submitted or a day after last saved).

Revision ID: 0005, revises 0004.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision, down_revision, branch_labels, depends_on = "0005", "0004", None, None


def upgrade() -> None:
    op.create_table(
        "officer_entries",
        sa.Column("submission_id", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.Text(), nullable=False, comment="The officer's user id in the officers' UI"),
        sa.Column("received_by_channel", sa.Text(), nullable=False, comment="phone, email or letter"),
        sa.Column("referrer_type", sa.Text(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.submission_id"],
            name=op.f("fk_officer_entries_submission_id_submissions"),
        ),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_officer_entries")),
    )
    op.create_table(
        "referral_drafts",
        sa.Column("draft_id", sa.UUID(), nullable=False),
        sa.Column("entered_by", sa.Text(), nullable=False),
        sa.Column(
            "answers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
            comment="Personal data: never log it",
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("draft_id", name=op.f("pk_referral_drafts")),
    )
    op.create_index(op.f("ix_referral_drafts_entered_by"), "referral_drafts", ["entered_by"])


def downgrade() -> None:
    op.drop_index(op.f("ix_referral_drafts_entered_by"), table_name="referral_drafts")
    op.drop_table("referral_drafts")
    op.drop_table("officer_entries")
