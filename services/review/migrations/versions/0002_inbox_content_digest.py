"""The inbox keeps a digest of what it received, so a reused event id with other content is a conflict.

Revision ID: 0002, revises 0001. The change itself is defined once, in cme_runtime.migration_ops.
"""

from alembic import op

from cme_runtime.migration_ops import add_inbox_content_digest, drop_inbox_content_digest

revision, down_revision, branch_labels, depends_on = "0002", "0001", None, None


def upgrade() -> None:
    add_inbox_content_digest(op)


def downgrade() -> None:
    drop_inbox_content_digest(op)
