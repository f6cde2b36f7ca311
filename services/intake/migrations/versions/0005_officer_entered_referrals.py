"""PLACEHOLDER owned by referral-form-helper: replace this docstring with what the migration adds and why.

Revision ID: 0005, revises 0004.
"""

from alembic import op

revision, down_revision, branch_labels, depends_on = "0005", "0004", None, None


def upgrade() -> None:
    _ = op


def downgrade() -> None:
    _ = op
