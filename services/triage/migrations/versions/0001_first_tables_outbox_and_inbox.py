"""first tables, outbox and inbox

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 18:57:55.837938
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('decisions',
    sa.Column('decision_id', sa.UUID(), nullable=False),
    sa.Column('referral_id', sa.UUID(), nullable=False),
    sa.Column('child_id', sa.UUID(), nullable=False),
    sa.Column('referral_kind', sa.Text(), nullable=False),
    sa.Column('is_cme', sa.Boolean(), nullable=False),
    sa.Column('track', sa.Text(), nullable=False),
    sa.Column('priority', sa.Text(), nullable=False),
    sa.Column('whereabouts_unknown', sa.Boolean(), nullable=False),
    sa.Column('refer_to_family_front_door', sa.Boolean(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('watch_deadline', sa.Date(), nullable=True),
    sa.Column('reasons', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('rules_version', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('decision_id', name=op.f('pk_decisions')),
    sa.UniqueConstraint('referral_id', name=op.f('uq_decisions_referral_id'))
    )
    op.create_index(op.f('ix_decisions_child_id'), 'decisions', ['child_id'], unique=False)
    op.create_table('inbox',
    sa.Column('consumer', sa.Text(), nullable=False),
    sa.Column('event_id', sa.Text(), nullable=False),
    sa.Column('event_type', sa.Text(), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'event_id', name=op.f('pk_inbox'))
    )
    op.create_table('outbox',
    sa.Column('seq', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False, comment='CloudEvents id'),
    sa.Column('aggregatetype', sa.Text(), nullable=False, comment='Kafka topic'),
    sa.Column('aggregateid', sa.Text(), nullable=False, comment='Kafka key: the child id'),
    sa.Column('type', sa.Text(), nullable=False, comment='CloudEvents type'),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('dataschema', sa.Text(), nullable=True),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('trace_headers', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False, comment='W3C trace context to carry on'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_outbox')),
    sa.UniqueConstraint('id', name=op.f('uq_outbox_id'))
    )
    op.create_index(op.f('ix_outbox_aggregateid'), 'outbox', ['aggregateid'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_outbox_aggregateid'), table_name='outbox')
    op.drop_table('outbox')
    op.drop_table('inbox')
    op.drop_index(op.f('ix_decisions_child_id'), table_name='decisions')
    op.drop_table('decisions')
