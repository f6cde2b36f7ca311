"""case list search and sort columns and indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 19:19:03.309086
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('cases', sa.Column('given_name_key', sa.Text(), server_default='', nullable=False, comment='Case-folded given name; personal data'))
    op.add_column('cases', sa.Column('family_name_key', sa.Text(), server_default='', nullable=False, comment='Case-folded family name; personal data'))
    op.add_column('cases', sa.Column('upn', sa.Text(), nullable=True, comment='Unique pupil number; personal data'))
    op.add_column('cases', sa.Column('date_of_birth', sa.Date(), nullable=True, comment='Personal data'))
    op.add_column('cases', sa.Column('school_name_key', sa.Text(), nullable=True, comment="Case-folded name of the child's last school"))
    op.add_column('cases', sa.Column('working_due_date', sa.Date(), nullable=True, comment="When the officer's next work is due; null when the case waits on others"))
    # Fill the new columns for cases saved before them; every later save fills them from the aggregate.
    # lower() matches Python's casefold() for the names this suite holds; a later save corrects any that differ.
    op.execute("""
        UPDATE cases SET
            given_name_key = lower(coalesce(child->>'given_name', '')),
            family_name_key = lower(coalesce(child->>'family_name', '')),
            upn = child->>'upn',
            date_of_birth = (child->>'date_of_birth')::date,
            school_name_key = lower(child->>'school_name'),
            working_due_date = CASE
                WHEN status IN ('closed', 'outcome_recorded') OR coalesce((state->>'missing_mondays_pending')::boolean, false)
                    THEN NULL
                ELSE coalesce((state->'review_decision'->>'next_review_date')::date, due_date)
            END
    """)
    op.create_index('ix_cases_date_of_birth', 'cases', ['date_of_birth'], unique=False)
    op.create_index('ix_cases_due_date', 'cases', ['due_date', 'case_id'], unique=False)
    op.create_index('ix_cases_family_name_key', 'cases', ['family_name_key'], unique=False, postgresql_ops={'family_name_key': 'text_pattern_ops'})
    op.create_index('ix_cases_given_name_key', 'cases', ['given_name_key'], unique=False, postgresql_ops={'given_name_key': 'text_pattern_ops'})
    op.create_index('ix_cases_open_due_date', 'cases', ['due_date', 'case_id'], unique=False, postgresql_where=sa.text("status <> 'closed'"))
    op.create_index('ix_cases_open_officer_priority_track', 'cases', ['officer_id', 'priority', 'track'], unique=False, postgresql_where=sa.text("status <> 'closed'"))
    op.create_index('ix_cases_open_opened_at', 'cases', ['opened_at', 'case_id'], unique=False, postgresql_where=sa.text("status <> 'closed'"))
    op.create_index('ix_cases_open_priority_due_date', 'cases', ['priority', 'due_date', 'case_id'], unique=False, postgresql_where=sa.text("status <> 'closed'"))
    op.create_index('ix_cases_opened_at', 'cases', ['opened_at', 'case_id'], unique=False)
    op.create_index('ix_cases_priority_due_date', 'cases', ['priority', 'due_date', 'case_id'], unique=False)
    op.create_index('ix_cases_school_id', 'cases', ['school_id'], unique=False)
    op.create_index('ix_cases_school_name_key', 'cases', ['school_name_key'], unique=False, postgresql_ops={'school_name_key': 'text_pattern_ops'})
    op.create_index('ix_cases_search_name', 'cases', ['search_name'], unique=False, postgresql_ops={'search_name': 'text_pattern_ops'})
    op.create_index('ix_cases_upn', 'cases', ['upn'], unique=False)
    op.create_index('ix_cases_working_due_date', 'cases', ['working_due_date'], unique=False, postgresql_where=sa.text('working_due_date IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_cases_working_due_date', table_name='cases', postgresql_where=sa.text('working_due_date IS NOT NULL'))
    op.drop_index('ix_cases_upn', table_name='cases')
    op.drop_index('ix_cases_search_name', table_name='cases', postgresql_ops={'search_name': 'text_pattern_ops'})
    op.drop_index('ix_cases_school_name_key', table_name='cases', postgresql_ops={'school_name_key': 'text_pattern_ops'})
    op.drop_index('ix_cases_school_id', table_name='cases')
    op.drop_index('ix_cases_priority_due_date', table_name='cases')
    op.drop_index('ix_cases_opened_at', table_name='cases')
    op.drop_index('ix_cases_open_priority_due_date', table_name='cases', postgresql_where=sa.text("status <> 'closed'"))
    op.drop_index('ix_cases_open_opened_at', table_name='cases', postgresql_where=sa.text("status <> 'closed'"))
    op.drop_index('ix_cases_open_officer_priority_track', table_name='cases', postgresql_where=sa.text("status <> 'closed'"))
    op.drop_index('ix_cases_open_due_date', table_name='cases', postgresql_where=sa.text("status <> 'closed'"))
    op.drop_index('ix_cases_given_name_key', table_name='cases', postgresql_ops={'given_name_key': 'text_pattern_ops'})
    op.drop_index('ix_cases_family_name_key', table_name='cases', postgresql_ops={'family_name_key': 'text_pattern_ops'})
    op.drop_index('ix_cases_due_date', table_name='cases')
    op.drop_index('ix_cases_date_of_birth', table_name='cases')
    op.drop_column('cases', 'working_due_date')
    op.drop_column('cases', 'school_name_key')
    op.drop_column('cases', 'date_of_birth')
    op.drop_column('cases', 'upn')
    op.drop_column('cases', 'family_name_key')
    op.drop_column('cases', 'given_name_key')
