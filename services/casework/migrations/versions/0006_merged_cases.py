"""PLACEHOLDER owned by merges-helper: replace this docstring with what the migration adds and why.

Revision ID: 0006, revises 0005.
"""

from alembic import op

revision, down_revision, branch_labels, depends_on = "0006", "0005", None, None


def upgrade() -> None:
    _ = op


def downgrade() -> None:
    _ = op
