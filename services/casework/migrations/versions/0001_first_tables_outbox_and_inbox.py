"""first tables, outbox and inbox

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 18:57:44.860067
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
    op.create_table('cases',
    sa.Column('case_id', sa.UUID(), nullable=False),
    sa.Column('reference', sa.Text(), nullable=False),
    sa.Column('child_id', sa.UUID(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('priority', sa.Text(), nullable=False),
    sa.Column('track', sa.Text(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('officer_id', sa.Text(), nullable=True),
    sa.Column('school_id', sa.Text(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('child', postgresql.JSONB(astext_type=sa.Text()), nullable=False, comment='Child summary for lists and search; personal data'),
    sa.Column('search_name', sa.Text(), server_default='', nullable=False, comment='Lower-cased names for search'),
    sa.Column('state', postgresql.JSONB(astext_type=sa.Text()), nullable=False, comment='The whole case aggregate'),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_cases')),
    sa.UniqueConstraint('reference', name=op.f('uq_cases_reference'))
    )
    op.create_index(op.f('ix_cases_child_id'), 'cases', ['child_id'], unique=False)
    op.create_index(op.f('ix_cases_officer_id'), 'cases', ['officer_id'], unique=False)
    op.create_index('ix_cases_queue', 'cases', ['status', 'priority', 'due_date'], unique=False)
    op.create_index('uq_cases_one_open_per_child', 'cases', ['child_id'], unique=True, postgresql_where=sa.text("status <> 'closed'"))
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
    op.create_table('case_referrals',
    sa.Column('referral_id', sa.UUID(), nullable=False),
    sa.Column('case_id', sa.UUID(), nullable=False),
    sa.Column('attached_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_case_referrals_case_id_cases')),
    sa.PrimaryKeyConstraint('referral_id', name=op.f('pk_case_referrals'))
    )
    op.create_index(op.f('ix_case_referrals_case_id'), 'case_referrals', ['case_id'], unique=False)
    op.create_table('timeline',
    sa.Column('entry_id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('case_id', sa.UUID(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False, comment='The service the entry came from'),
    sa.Column('event_id', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_timeline_case_id_cases')),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_timeline')),
    sa.UniqueConstraint('event_id', name=op.f('uq_timeline_event_id'))
    )
    op.create_index('ix_timeline_case_at', 'timeline', ['case_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_timeline_case_at', table_name='timeline')
    op.drop_table('timeline')
    op.drop_index(op.f('ix_case_referrals_case_id'), table_name='case_referrals')
    op.drop_table('case_referrals')
    op.drop_index(op.f('ix_outbox_aggregateid'), table_name='outbox')
    op.drop_table('outbox')
    op.drop_table('inbox')
    op.drop_index('uq_cases_one_open_per_child', table_name='cases', postgresql_where=sa.text("status <> 'closed'"))
    op.drop_index('ix_cases_queue', table_name='cases')
    op.drop_index(op.f('ix_cases_officer_id'), table_name='cases')
    op.drop_index(op.f('ix_cases_child_id'), table_name='cases')
    op.drop_table('cases')
