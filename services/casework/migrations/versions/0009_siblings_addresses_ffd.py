"""PLACEHOLDER owned by forms-helper: replace this docstring with what the migration adds and why.

Revision ID: 0009, revises 0008.
"""

from alembic import op

revision, down_revision, branch_labels, depends_on = "0009", "0008", None, None


def upgrade() -> None:
    _ = op


def downgrade() -> None:
    _ = op
