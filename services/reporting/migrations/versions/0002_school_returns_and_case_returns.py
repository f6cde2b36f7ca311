"""reporting's school-return, case and triage-outcome facts (schools' reporting habits, off-rolling signals and
the DfE termly return)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 18:50:00
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
    op.create_table('school_returns',
    sa.Column('submission_id', sa.Text(), nullable=False),
    sa.Column('school_id', sa.Text(), nullable=False),
    sa.Column('return_type', sa.Text(), nullable=False, comment='joiner or leaver'),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False,
              comment='Start date, leaving date, or (rejected) the day sent'),
    sa.Column('child_id', sa.UUID(), nullable=True),
    sa.Column('nc_year', sa.Integer(), nullable=True,
              comment='National Curriculum year on the effective date, from the date of birth'),
    sa.Column('ground', sa.Text(), nullable=True),
    sa.Column('ground_2024', sa.Text(), nullable=True),
    sa.Column('ap_taken_up', sa.Boolean(), nullable=True),
    sa.Column('rejected', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('problems', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False,
              comment='Field paths only, never values'),
    sa.Column('previous_school_id', sa.Text(), nullable=True,
              comment='Joiner returns: the school the pupil came from'),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_school_returns'))
    )
    op.create_index(op.f('ix_school_returns_school_id'), 'school_returns', ['school_id'], unique=False)
    op.create_table('case_returns',
    sa.Column('case_id', sa.UUID(), nullable=False),
    sa.Column('child_id', sa.UUID(), nullable=False),
    sa.Column('referral_id', sa.UUID(), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('track', sa.Text(), nullable=False),
    sa.Column('school_id', sa.Text(), nullable=True),
    sa.Column('nc_year', sa.Integer(), nullable=True,
              comment='National Curriculum year when the case opened, from the date of birth'),
    sa.Column('sex', sa.Text(), nullable=True),
    sa.Column('ehcp', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('social_care', sa.Boolean(), server_default='false', nullable=False),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_returns'))
    )
    op.create_index(op.f('ix_case_returns_referral_id'), 'case_returns', ['referral_id'], unique=False)
    op.create_table('triage_outcomes',
    sa.Column('referral_id', sa.UUID(), nullable=False),
    sa.Column('is_cme', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('referral_id', name=op.f('pk_triage_outcomes'))
    )


def downgrade() -> None:
    op.drop_table('triage_outcomes')
    op.drop_index(op.f('ix_case_returns_referral_id'), table_name='case_returns')
    op.drop_table('case_returns')
    op.drop_index(op.f('ix_school_returns_school_id'), table_name='school_returns')
    op.drop_table('school_returns')
