"""PLACEHOLDER owned by tasks-helper: replace this docstring with what the migration adds and why.

Revision ID: 0008, revises 0007.
"""

from alembic import op

revision, down_revision, branch_labels, depends_on = "0008", "0007", None, None


def upgrade() -> None:
    _ = op


def downgrade() -> None:
    _ = op
