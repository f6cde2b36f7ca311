"""The returns behind each case (issue 8): one row per referral triage decided on, with its leaving ground,
leaving date, school, destination, who sent it, when, and the documents intake stored for it
(adapters/returns.py).

Revision ID: 0007, revises 0006.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision, down_revision, branch_labels, depends_on = "0007", "0006", None, None


def upgrade() -> None:
    op.create_table(
        "case_returns",
        sa.Column("referral_id", postgresql.UUID(as_uuid=True), nullable=False,
                  comment="One row per referral: redelivery adds none"),
        sa.Column("case_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("child_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("submission_id", sa.Text(), nullable=True,
                  comment="The upstream system's id; may be anything the sender chose"),
        sa.Column("kind", sa.Text(), nullable=False, comment="contracts ReferralKind"),
        sa.Column("leaving_ground", sa.Text(), nullable=True, comment="As submitted, normalised: 8(1)(x) or 9(1)(x)"),
        sa.Column("legal_source", sa.Text(), nullable=True, comment="2006 or 2024"),
        sa.Column("leaving_date", sa.Date(), nullable=True),
        sa.Column("school", postgresql.JSONB(), nullable=True, comment="contracts School"),
        sa.Column("destination", postgresql.JSONB(), nullable=True, comment="contracts Destination: personal data"),
        sa.Column("referrer", postgresql.JSONB(), nullable=True,
                  comment="contracts Referrer, who sent it: personal data"),
        sa.Column("documents", postgresql.JSONB(), server_default="[]", nullable=False,
                  comment="contracts Document list"),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True,
                  comment="When intake received the submission"),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name=op.f("fk_case_returns_case_id_cases")),
        sa.PrimaryKeyConstraint("referral_id", name=op.f("pk_case_returns")),
    )
    op.create_index("ix_case_returns_case_id_received_at", "case_returns", ["case_id", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_case_returns_case_id_received_at", table_name="case_returns")
    op.drop_table("case_returns")
