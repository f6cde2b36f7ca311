"""the cross-LA exchange: one row per message sent to or received from another authority

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 20:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'exchange_messages',
        sa.Column('message_id', sa.UUID(), nullable=False),
        sa.Column('claimed_message_id', sa.UUID(), nullable=True),
        sa.Column('direction', sa.Text(), nullable=False),
        sa.Column('counterpart_la', sa.Text(), nullable=True),
        sa.Column('type', sa.Text(), nullable=True),
        sa.Column('case_id', sa.UUID(), nullable=True),
        sa.Column('child_id', sa.UUID(), nullable=True),
        sa.Column('referral_id', sa.UUID(), nullable=True),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('status_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('envelope', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('in_reply_to', sa.UUID(), nullable=True),
        sa.Column('correlates_to', sa.UUID(), nullable=True),
        sa.Column('ack_due_on', sa.Date(), nullable=True),
        sa.Column('chased_message_id', sa.UUID(), nullable=True),
        sa.Column('receiver_reference', sa.Text(), nullable=True),
        sa.Column('refusal_reason', sa.Text(), nullable=True),
        sa.Column('failure_reason', sa.Text(), nullable=True),
        sa.Column('transport', sa.Text(), nullable=True),
        sa.Column('position', sa.Text(), nullable=True),
        sa.Column('digest', sa.Text(), nullable=True),
        sa.Column('submission_id', sa.Text(), nullable=True),
        sa.Column('source_event_id', sa.Text(), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('message_id', name=op.f('pk_exchange_messages')),
        sa.UniqueConstraint('submission_id', name=op.f('uq_exchange_messages_submission_id')),
    )
    op.create_index(op.f('ix_exchange_messages_case_id'), 'exchange_messages', ['case_id'], unique=False)
    op.create_index(op.f('ix_exchange_messages_referral_id'), 'exchange_messages', ['referral_id'], unique=False)
    op.create_index(op.f('ix_exchange_messages_in_reply_to'), 'exchange_messages', ['in_reply_to'], unique=False)
    op.create_index('ix_exchange_messages_recorded_at', 'exchange_messages', ['recorded_at'], unique=False)
    op.create_index(
        'ix_exchange_messages_due', 'exchange_messages', ['next_attempt_at'], unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index('ix_exchange_messages_due', table_name='exchange_messages',
                  postgresql_where=sa.text("status = 'pending'"))
    op.drop_index('ix_exchange_messages_recorded_at', table_name='exchange_messages')
    op.drop_index(op.f('ix_exchange_messages_in_reply_to'), table_name='exchange_messages')
    op.drop_index(op.f('ix_exchange_messages_referral_id'), table_name='exchange_messages')
    op.drop_index(op.f('ix_exchange_messages_case_id'), table_name='exchange_messages')
    op.drop_table('exchange_messages')
