"""The messages notify sent or received about each case (the cross-LA exchange among them), kept from notify's
status events for the case page: one row per message, its newest status, and when it was receipted and
acknowledged. No personal data. The table is declared in services/casework/adapters/exchange_messages.py.

Revision ID: 0010, revises 0009.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision, down_revision, branch_labels, depends_on = "0010", "0009", None, None


def upgrade() -> None:
    op.create_table(
        "case_messages",
        sa.Column("message_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("child_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("case_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("cases.case_id"),
                  comment="The case it is about; null when the child had no case open here"),
        sa.Column("direction", sa.Text(), nullable=False, comment="sent or received"),
        sa.Column("recipient_role", sa.Text(), nullable=False),
        sa.Column("counterpart_la", sa.Text(), comment="The other authority's DfE LA code (exchange messages)"),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, comment="The newest status notify reported"),
        sa.Column("failed", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("reason", sa.Text(), comment="Coded; no personal data"),
        sa.Column("detail", sa.Text(),
                  comment="The other authority's reference or a refusal reason; no personal data"),
        sa.Column("source", sa.Text(), nullable=False,
                  comment="casework: the officer's request, not yet reported by notify"),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("receipted_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_case_messages_case", "case_messages", ["case_id", "first_at"])


def downgrade() -> None:
    op.drop_index("ix_case_messages_case", table_name="case_messages")
    op.drop_table("case_messages")
