"""The officer's task diary: tasks (one per natural key, so rules run twice raise nothing new) and the
permanent-exclusion leavers whose day-6 alternative provision check the rules raise.

Revision ID: 0008, revises 0007.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision, down_revision, branch_labels, depends_on = "0008", "0007", None, None


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("task_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("natural_key", sa.Text(), nullable=False,
                  comment="Rule or form, case or child, due date: one task per key"),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False, comment="Free text an officer may type; may hold personal data"),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("priority", sa.Text(), nullable=False),
        sa.Column("child_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("case_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("cases.case_id"), nullable=True),
        sa.Column("assignee_id", sa.Text(), nullable=True, comment="The officer the task is for; null: for the team"),
        sa.Column("child_label", sa.Text(), nullable=True,
                  comment="The child's name for a task with no case (personal data)"),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.Text(), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=False, server_default="", comment="May hold personal data"),
        sa.UniqueConstraint("natural_key", name="uq_tasks_natural_key"),
    )
    op.create_index("ix_tasks_open_due", "tasks", ["state", "due_on"])
    op.create_index("ix_tasks_assignee_state_due", "tasks", ["assignee_id", "state", "due_on"])
    op.create_index("ix_tasks_case_state", "tasks", ["case_id", "state"])
    op.create_table(
        "exclusion_leavers",
        sa.Column("referral_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("child_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("excluded_on", sa.Date(), nullable=False),
        sa.Column("child_label", sa.Text(), nullable=False, server_default="",
                  comment="The child's name; personal data"),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("child_id", "excluded_on", name="uq_exclusion_leavers_child_day"),
    )


def downgrade() -> None:
    op.drop_table("exclusion_leavers")
    op.drop_index("ix_tasks_case_state", table_name="tasks")
    op.drop_index("ix_tasks_assignee_state_due", table_name="tasks")
    op.drop_index("ix_tasks_open_due", table_name="tasks")
    op.drop_table("tasks")
