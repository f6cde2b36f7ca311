"""Documents sent with returns: their catalogue (kind, type found in the content, size, SHA-256, sanitised name,
where the bytes are) and, for the default PostgreSQL store, the bytes themselves (adapters/documents.py).

Revision ID: 0004, revises 0003.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision, down_revision, branch_labels, depends_on = "0004", "0003", None, None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("document_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("submission_id", sa.Text(), nullable=False, comment="The return the document was sent with"),
        sa.Column("kind", sa.Text(), nullable=False, comment="contracts DocumentKind"),
        sa.Column("content_type", sa.Text(), nullable=False, comment="Found in the content, not taken from the sender"),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False, comment="Sanitised; may name the child: never log it"),
        sa.Column("storage", sa.Text(), nullable=False, comment="postgres or s3: where the bytes are"),
        sa.Column("client", sa.Text(), nullable=True, comment="The upstream system, from its API key"),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("storage IN ('postgres', 's3')", name=op.f("ck_documents_storage")),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_documents")),
    )
    op.create_index(op.f("ix_documents_submission_id"), "documents", ["submission_id"])
    op.create_table(
        "document_contents",
        sa.Column("document_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.document_id"],
            name=op.f("fk_document_contents_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_document_contents")),
    )


def downgrade() -> None:
    op.drop_table("document_contents")
    op.drop_index(op.f("ix_documents_submission_id"), table_name="documents")
    op.drop_table("documents")
