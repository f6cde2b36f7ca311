"""Where intake keeps the documents sent with returns: what is known about each (the catalogue, always in
intake's PostgreSQL schema) and the bytes themselves (a `DocumentStore`, chosen by settings).

Two stores implement the port: `PostgresDocumentStore`, the default, keeps the bytes in a `bytea` column beside
their SHA-256 (one database to back up, and the bytes commit with their metadata); `S3DocumentStore` keeps them in
an S3-compatible bucket (AWS S3, MinIO, Ceph) for councils that keep files in object storage. Both check the
SHA-256 when reading back, so a file damaged or swapped at rest is refused, never served.
"""

import abc
import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    Table,
    Text,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import UUID as PgUUID

from cme_runtime.db import Transaction
from services.intake.adapters.tables import metadata

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

documents = Table(
    "documents",
    metadata,
    Column("document_id", PgUUID(as_uuid=True), primary_key=True),
    Column("submission_id", Text, nullable=False, index=True, comment="The return the document was sent with"),
    Column("kind", Text, nullable=False, comment="contracts DocumentKind"),
    Column("content_type", Text, nullable=False, comment="Found in the content, not taken from the sender"),
    Column("size", Integer, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("filename", Text, nullable=False, comment="Sanitised; may name the child: never log it"),
    Column("storage", Text, nullable=False, comment="postgres or s3: where the bytes are"),
    Column("client", Text, comment="The upstream system, from its API key"),
    Column("uploaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("storage IN ('postgres', 's3')", name="storage"),
)

document_contents = Table(
    "document_contents",
    metadata,
    Column(
        "document_id",
        PgUUID(as_uuid=True),
        ForeignKey("documents.document_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("content", LargeBinary, nullable=False),
    Column("sha256", Text, nullable=False),
)


class DocumentDamaged(RuntimeError):
    """The stored bytes do not match their SHA-256: never served."""


@dataclass(frozen=True)
class StoredDocument:
    document_id: UUID
    submission_id: str
    kind: str
    content_type: str
    size: int
    sha256: str
    filename: str
    storage: str
    uploaded_at: datetime
    client: str | None = None


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class DocumentStore(abc.ABC):
    """The bytes of a document, by its id. `put` runs in the caller's transaction (the PostgreSQL store commits
    with the metadata; the S3 store writes at once, so an upload rolled back afterwards leaves an unlisted object,
    which is never served because the catalogue does not name it)."""

    name: str

    @abc.abstractmethod
    async def put(self, session: Transaction, document_id: UUID, content: bytes, content_type: str) -> None: ...

    @abc.abstractmethod
    async def get(self, session: Transaction, document_id: UUID, sha256: str) -> bytes | None:
        """The bytes, checked against `sha256` (`DocumentDamaged` when they differ); None when absent."""


def _checked(content: bytes, sha256: str) -> bytes:
    if sha256_of(content) != sha256:
        raise DocumentDamaged("a stored document does not match its SHA-256")
    return content


class PostgresDocumentStore(DocumentStore):
    name = "postgres"

    async def put(self, session: Transaction, document_id: UUID, content: bytes, content_type: str) -> None:
        await session.execute(
            insert(document_contents).values(document_id=document_id, content=content, sha256=sha256_of(content))
        )

    async def get(self, session: Transaction, document_id: UUID, sha256: str) -> bytes | None:
        row = (
            await session.execute(
                select(document_contents.c.content).where(document_contents.c.document_id == document_id)
            )
        ).first()
        return None if row is None else _checked(bytes(row.content), sha256)


@dataclass(frozen=True)
class S3Location:
    bucket: str
    endpoint_url: str | None = None
    region: str = "eu-west-2"
    access_key_id: str | None = None
    secret_access_key: str | None = None
    prefix: str = "documents/"


class S3DocumentStore(DocumentStore):
    """boto3 is synchronous: each call runs in a worker thread so the event loop keeps serving. The SHA-256 is
    also sent as the object's checksum, so the server refuses an upload damaged on the way."""

    name = "s3"

    def __init__(self, location: S3Location, client: "S3Client | None" = None) -> None:
        self.location = location
        self._client = client

    def client(self) -> "S3Client":
        if self._client is None:
            # Imported here so the PostgreSQL default never loads boto3.
            import boto3  # noqa: PLC0415
            from botocore.config import Config  # noqa: PLC0415

            self._client = boto3.client(
                "s3",
                endpoint_url=self.location.endpoint_url,
                region_name=self.location.region,
                aws_access_key_id=self.location.access_key_id,
                aws_secret_access_key=self.location.secret_access_key,
                config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30),
            )
        return self._client

    def key(self, document_id: UUID) -> str:
        return f"{self.location.prefix}{document_id}"

    async def put(self, session: Transaction, document_id: UUID, content: bytes, content_type: str) -> None:
        import base64  # noqa: PLC0415

        checksum = base64.b64encode(hashlib.sha256(content).digest()).decode()
        await asyncio.to_thread(
            self.client().put_object,
            Bucket=self.location.bucket,
            Key=self.key(document_id),
            Body=content,
            ContentType=content_type,
            ChecksumSHA256=checksum,
        )

    async def get(self, session: Transaction, document_id: UUID, sha256: str) -> bytes | None:
        def read() -> bytes | None:
            client = self.client()
            try:
                response = client.get_object(Bucket=self.location.bucket, Key=self.key(document_id))
            except client.exceptions.NoSuchKey:
                return None
            body: bytes = response["Body"].read()
            return body

        content = await asyncio.to_thread(read)
        return None if content is None else _checked(content, sha256)


class DocumentCatalogue(abc.ABC):
    """What intake knows about each stored document."""

    @abc.abstractmethod
    async def add(self, session: Transaction, document: StoredDocument) -> None: ...

    @abc.abstractmethod
    async def get(self, session: Transaction, document_id: UUID) -> StoredDocument | None: ...

    @abc.abstractmethod
    async def for_submission(self, session: Transaction, submission_id: str) -> list[StoredDocument]: ...


def _document(row: Any) -> StoredDocument:
    return StoredDocument(
        document_id=row.document_id,
        submission_id=row.submission_id,
        kind=row.kind,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        filename=row.filename,
        storage=row.storage,
        uploaded_at=row.uploaded_at,
        client=row.client,
    )


class SqlDocumentCatalogue(DocumentCatalogue):
    async def add(self, session: Transaction, document: StoredDocument) -> None:
        await session.execute(
            insert(documents).values(
                document_id=document.document_id,
                submission_id=document.submission_id,
                kind=document.kind,
                content_type=document.content_type,
                size=document.size,
                sha256=document.sha256,
                filename=document.filename,
                storage=document.storage,
                client=document.client,
                uploaded_at=document.uploaded_at,
            )
        )

    async def get(self, session: Transaction, document_id: UUID) -> StoredDocument | None:
        row = (await session.execute(select(documents).where(documents.c.document_id == document_id))).first()
        return None if row is None else _document(row)

    async def for_submission(self, session: Transaction, submission_id: str) -> list[StoredDocument]:
        rows = await session.execute(
            select(documents)
            .where(documents.c.submission_id == submission_id)
            .order_by(documents.c.uploaded_at, documents.c.document_id)
        )
        return [_document(row) for row in rows]
