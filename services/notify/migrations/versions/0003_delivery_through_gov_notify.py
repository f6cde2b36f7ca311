"""delivery through GOV.UK Notify: templates, personalisation, attempts, leases, Notify ids and statuses

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A Family Front Door referral is owed before any case exists.
    op.alter_column('delivery_log', 'case_id', existing_type=sa.UUID(), nullable=True)
    op.alter_column('delivery_log', 'body', existing_type=sa.Text(), nullable=True)
    op.add_column('delivery_log', sa.Column('referral_id', sa.UUID(), nullable=True))
    op.add_column('delivery_log', sa.Column('template_id', sa.Text(), nullable=True))
    op.add_column(
        'delivery_log',
        sa.Column('personalisation', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    )
    op.add_column(
        'delivery_log',
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    )
    op.add_column('delivery_log', sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
    op.add_column('delivery_log', sa.Column('notify_id', sa.Text(), nullable=True))
    op.add_column('delivery_log', sa.Column('failure_reason', sa.Text(), nullable=True))
    op.add_column('delivery_log', sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_unique_constraint(op.f('uq_delivery_log_notify_id'), 'delivery_log', ['notify_id'])
    op.create_index(
        'ix_delivery_log_due', 'delivery_log', ['next_attempt_at'], unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index('ix_delivery_log_due', table_name='delivery_log', postgresql_where=sa.text("status = 'pending'"))
    op.drop_constraint(op.f('uq_delivery_log_notify_id'), 'delivery_log', type_='unique')
    for column in (
        'status_changed_at', 'failure_reason', 'notify_id', 'lease_until', 'next_attempt_at', 'personalisation',
        'template_id', 'referral_id',
    ):
        op.drop_column('delivery_log', column)
    op.alter_column('delivery_log', 'body', existing_type=sa.Text(), nullable=False)
    op.alter_column('delivery_log', 'case_id', existing_type=sa.UUID(), nullable=False)
