"""joiner watches and the decision fields triage publishes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 19:16:21.592279
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('watches',
    sa.Column('watch_id', sa.UUID(), nullable=False),
    sa.Column('child_id', sa.UUID(), nullable=False),
    sa.Column('referral_id', sa.UUID(), nullable=False, comment='The leaver return watched'),
    sa.Column('school_id', sa.Text(), nullable=False, comment='The destination school the leaver return named'),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False, comment='Last day (inclusive) a joiner return keeps the watch open'),
    sa.Column('status', sa.Text(), nullable=False, comment='open, satisfied or expired'),
    sa.Column('referral', postgresql.JSONB(astext_type=sa.Text()), nullable=False, comment='The leaver referral as received, to decide CME from if the watch expires; personal data'),
    sa.Column('satisfied_by', sa.UUID(), nullable=True, comment='The joiner referral that satisfied the watch'),
    sa.Column('joined_school_id', sa.Text(), nullable=True),
    sa.Column('joined_on', sa.Date(), nullable=True),
    sa.Column('expiry_decision_id', sa.UUID(), nullable=True, comment='The CME decision published when the watch expired'),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True, comment='When the watch was satisfied or expired'),
    sa.PrimaryKeyConstraint('watch_id', name=op.f('pk_watches')),
    sa.UniqueConstraint('referral_id', name=op.f('uq_watches_referral_id'))
    )
    op.create_index(op.f('ix_watches_child_id'), 'watches', ['child_id'], unique=False)
    op.create_index('ix_watches_open_deadline', 'watches', ['deadline'], unique=False, postgresql_where=sa.text("status = 'open'"))
    op.add_column('decisions', sa.Column('referral_date', sa.Date(), nullable=True, comment='The date the rules were read at; null on rows decided before it was kept'))
    op.add_column('decisions', sa.Column('school_id', sa.Text(), nullable=True, comment='The referring school; for a joiner return, the school the child joined'))
    op.add_column('decisions', sa.Column('joint_enquiries_required', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('decisions', sa.Column('cnis_register_applies', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('decisions', sa.Column('ground_status', sa.Text(), nullable=True, comment="How a leaver's ground was read; null for other kinds"))


def downgrade() -> None:
    op.drop_column('decisions', 'ground_status')
    op.drop_column('decisions', 'cnis_register_applies')
    op.drop_column('decisions', 'joint_enquiries_required')
    op.drop_column('decisions', 'school_id')
    op.drop_column('decisions', 'referral_date')
    op.drop_index('ix_watches_open_deadline', table_name='watches', postgresql_where=sa.text("status = 'open'"))
    op.drop_index(op.f('ix_watches_child_id'), table_name='watches')
    op.drop_table('watches')
