"""PLACEHOLDER owned by documents-helper: replace this docstring with what the migration adds and why.

Revision ID: 0004, revises 0003.
"""

from alembic import op

revision, down_revision, branch_labels, depends_on = "0004", "0003", None, None


def upgrade() -> None:
    _ = op


def downgrade() -> None:
    _ = op
