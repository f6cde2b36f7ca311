"""reviews, outbox and inbox

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 18:52:01.934714
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
    op.create_table('reviews',
    sa.Column('review_id', sa.UUID(), nullable=False),
    sa.Column('case_id', sa.UUID(), nullable=False),
    sa.Column('child_id', sa.UUID(), nullable=False),
    sa.Column('escalation_event_id', sa.Text(), nullable=False),
    sa.Column('cme_score', sa.Integer(), nullable=False),
    sa.Column('safeguarding_score', sa.Integer(), nullable=False),
    sa.Column('risk_band', sa.Text(), nullable=False),
    sa.Column('recommendation', sa.Text(), nullable=False),
    sa.Column('next_review_date', sa.Date(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('review_id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('escalation_event_id', name=op.f('uq_reviews_escalation_event_id'))
    )
    op.create_index(op.f('ix_reviews_case_id'), 'reviews', ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_reviews_case_id'), table_name='reviews')
    op.drop_table('reviews')
    op.drop_index(op.f('ix_outbox_aggregateid'), table_name='outbox')
    op.drop_table('outbox')
    op.drop_table('inbox')
