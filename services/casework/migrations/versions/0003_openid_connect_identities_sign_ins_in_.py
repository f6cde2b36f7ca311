"""OpenID Connect identities, sign-ins in flight, audit checkpoints

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 19:18:16.682907
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_checkpoints',
    sa.Column('checkpoint_id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('entry_hash', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('checkpoint_id', name=op.f('pk_audit_checkpoints'))
    )
    op.create_table('oidc_sign_ins',
    sa.Column('state_hash', sa.Text(), nullable=False, comment='SHA-256 of the state; the browser holds the state'),
    sa.Column('nonce', sa.Text(), nullable=False),
    sa.Column('code_verifier', sa.Text(), nullable=False),
    sa.Column('next_path', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('state_hash', name=op.f('pk_oidc_sign_ins'))
    )
    op.create_index('ix_sign_in_attempts_client_at', 'sign_in_attempts', ['client', 'at'], unique=False)
    op.create_index('ix_audit_log_record_id_seq', 'audit_log', ['record_id', 'seq'], unique=False)
    op.add_column('users', sa.Column('identity_issuer', sa.Text(), nullable=True, comment='OpenID Connect issuer of an account provisioned on sign-in'))
    op.add_column('users', sa.Column('identity_subject', sa.Text(), nullable=True, comment="The issuer's stable subject for the account"))
    op.create_unique_constraint('uq_users_identity', 'users', ['identity_issuer', 'identity_subject'])

    # Checkpoints are append-only like the chain they vouch for (the function comes from 0002).
    op.execute(
        "CREATE TRIGGER audit_checkpoints_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_checkpoints "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_checkpoints_no_truncate ON audit_checkpoints")
    op.execute("DROP TRIGGER audit_checkpoints_no_update_or_delete ON audit_checkpoints")
    op.drop_constraint('uq_users_identity', 'users', type_='unique')
    op.drop_column('users', 'identity_subject')
    op.drop_column('users', 'identity_issuer')
    op.drop_index('ix_audit_log_record_id_seq', table_name='audit_log')
    op.drop_index('ix_sign_in_attempts_client_at', table_name='sign_in_attempts')
    op.drop_table('oidc_sign_ins')
    op.drop_table('audit_checkpoints')
