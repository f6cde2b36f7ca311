"""Merged cases: intake's merges of two records of one child as casework applied them (which case survived, what
the merged case was before, so an undo restores it), and the child-id aliases that send a merged-away child's
events to the surviving case.

Revision ID: 0006, revises 0005.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision, down_revision, branch_labels, depends_on = "0006", "0005", None, None


def upgrade() -> None:
    op.create_table(
        "case_merges",
        sa.Column("merge_id", postgresql.UUID(as_uuid=True), primary_key=True, comment="Intake's merge id"),
        sa.Column("surviving_child_id", postgresql.UUID(as_uuid=True), nullable=False,
                  comment="Intake's surviving child"),
        sa.Column("merged_child_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("surviving_case_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("cases.case_id"), nullable=True),
        sa.Column("merged_case_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("cases.case_id"), nullable=True),
        sa.Column("merged_case_status", sa.Text(), nullable=True,
                  comment="The merged case's status before the merge, restored by an undo"),
        sa.Column("merged_case_closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.Text(), nullable=True),
    )
    op.create_index("ix_case_merges_surviving_case_id", "case_merges", ["surviving_case_id"])
    op.create_index("ix_case_merges_merged_case_id", "case_merges", ["merged_case_id"])
    op.create_table(
        "child_aliases",
        sa.Column("alias_child_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("child_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("merge_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("case_merges.merge_id"), nullable=False),
    )
    op.create_index("ix_child_aliases_merge_id", "child_aliases", ["merge_id"])


def downgrade() -> None:
    op.drop_table("child_aliases")
    op.drop_table("case_merges")
