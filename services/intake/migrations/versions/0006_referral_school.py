"""The school each referral names (`referrals.school_id`, `school_name`): another authority asking whether a child
is known here is told the school the child is on roll at, when intake's latest return about the child says so.

Revision ID: 0006, revises 0005.
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision, branch_labels, depends_on = "0006", "0005", None, None


def upgrade() -> None:
    op.add_column("referrals", sa.Column("school_id", sa.Text(), nullable=True,
                                         comment="The school the referral names (on roll there for on-roll returns)"))
    op.add_column("referrals", sa.Column("school_name", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("referrals", "school_name")
    op.drop_column("referrals", "school_id")
