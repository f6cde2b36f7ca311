"""first tables, outbox and inbox

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 18:57:50.792071
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
    op.create_table('children',
    sa.Column('child_id', sa.UUID(), nullable=False),
    sa.Column('given_name', sa.Text(), nullable=False),
    sa.Column('family_name', sa.Text(), nullable=False),
    sa.Column('middle_names', sa.Text(), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('sex', sa.Text(), nullable=True),
    sa.Column('upn', sa.Text(), nullable=True),
    sa.Column('former_upns', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('nhs_number', sa.Text(), nullable=True),
    sa.Column('postcode', sa.Text(), nullable=True),
    sa.Column('address_line', sa.Text(), nullable=True),
    sa.Column('household_key', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('child_id', name=op.f('pk_children'))
    )
    op.create_index(op.f('ix_children_household_key'), 'children', ['household_key'], unique=False)
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
    op.create_table('submissions',
    sa.Column('submission_id', sa.Text(), nullable=False, comment="The upstream system's id: the idempotency key"),
    sa.Column('submission_type', sa.Text(), nullable=False),
    sa.Column('channel', sa.Text(), nullable=False, comment='http or kafka'),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('status', sa.Text(), nullable=False, comment='accepted or rejected'),
    sa.Column('problems', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('referral_id', sa.UUID(), nullable=True),
    sa.Column('child_id', sa.UUID(), nullable=True),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_submissions'))
    )
    op.create_table('child_keys',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('child_id', sa.UUID(), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['children.child_id'], name=op.f('fk_child_keys_child_id_children')),
    sa.PrimaryKeyConstraint('key', 'child_id', name=op.f('pk_child_keys'))
    )
    op.create_index('ix_child_keys_child_id', 'child_keys', ['child_id'], unique=False)
    op.create_table('referrals',
    sa.Column('referral_id', sa.UUID(), nullable=False),
    sa.Column('child_id', sa.UUID(), nullable=False),
    sa.Column('submission_id', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('match_decision', sa.Text(), nullable=False),
    sa.Column('match_score', sa.Text(), nullable=True),
    sa.Column('match_reasons', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['children.child_id'], name=op.f('fk_referrals_child_id_children')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.submission_id'], name=op.f('fk_referrals_submission_id_submissions')),
    sa.PrimaryKeyConstraint('referral_id', name=op.f('pk_referrals')),
    sa.UniqueConstraint('submission_id', name=op.f('uq_referrals_submission_id'))
    )
    op.create_index(op.f('ix_referrals_child_id'), 'referrals', ['child_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_referrals_child_id'), table_name='referrals')
    op.drop_table('referrals')
    op.drop_index('ix_child_keys_child_id', table_name='child_keys')
    op.drop_table('child_keys')
    op.drop_table('submissions')
    op.drop_index(op.f('ix_outbox_aggregateid'), table_name='outbox')
    op.drop_table('outbox')
    op.drop_table('inbox')
    op.drop_index(op.f('ix_children_household_key'), table_name='children')
    op.drop_table('children')
