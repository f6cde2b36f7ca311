"""Documents sent with a return: checked by their content, stored, and carried in the referral.

A school sends the files before the return, each under the return's submission id (or in one multipart request
with it). When the return is accepted, every document stored under its id, and every document the return names by
id, goes into the referral with what intake found: id, kind, type, size, SHA-256 and the sanitised name. Casework
then lists them on the case and fetches the bytes through intake's internal API. Documents for a return intake
already accepted are refused: the referral has left, so they would never reach the case.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from cme_runtime.db import Transaction
from cme_runtime.logging import get_logger
from contracts.events.common_v1 import Document, DocumentKind
from contracts.events.intake_v1 import Submission
from contracts.events.referral_v1 import ReferralReceived
from services.intake.adapters.documents import (
    DocumentCatalogue,
    DocumentStore,
    StoredDocument,
    sha256_of,
)
from services.intake.adapters.submissions import SubmissionStore
from services.intake.domain.documents import (
    DEFAULT_MAX_BYTES,
    DocumentRefused,
    RefusalStatus,
    check_content,
    sanitise_filename,
)

log = get_logger(__name__)


class ReturnAlreadyReceived(ValueError):
    """The return this document is for was already accepted or rejected."""


@dataclass(frozen=True)
class Upload:
    kind: DocumentKind
    filename: str | None
    content: bytes


@dataclass(frozen=True)
class DocumentContent:
    document: StoredDocument
    content: bytes


def contract_document(document: StoredDocument) -> Document:
    return Document(
        kind=DocumentKind(document.kind),
        reference=str(document.document_id),
        document_id=document.document_id,
        content_type=document.content_type,
        size=document.size,
        sha256=document.sha256,
        filename=document.filename,
    )


class DocumentService:
    def __init__(
        self,
        catalogue: DocumentCatalogue,
        store: DocumentStore,
        submissions: SubmissionStore,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.catalogue = catalogue
        self.store = store
        self.submissions = submissions
        self.max_bytes = max_bytes

    def check(self, upload: Upload) -> str:
        """The content type found in the file; `DocumentRefused` when it cannot be accepted."""
        return check_content(upload.content, self.max_bytes).content_type

    async def upload(
        self, session: Transaction, submission_id: str, upload: Upload, client: str | None = None
    ) -> StoredDocument:
        """Check and store one document for the return `submission_id` (not yet received)."""
        content_type = self.check(upload)
        if await self.submissions.get(session, submission_id) is not None:
            raise ReturnAlreadyReceived(
                "The return with this submission ID has already been received. Send documents before the return "
                "or with it"
            )
        document = StoredDocument(
            document_id=uuid4(),
            submission_id=submission_id,
            kind=upload.kind.value,
            content_type=content_type,
            size=len(upload.content),
            sha256=sha256_of(upload.content),
            filename=sanitise_filename(upload.filename, content_type),
            storage=self.store.name,
            uploaded_at=datetime.now(UTC),
            client=client,
        )
        await self.catalogue.add(session, document)
        await self.store.put(session, document.document_id, upload.content, content_type)
        log.info(
            "document stored",
            document_id=str(document.document_id),
            kind=document.kind,
            content_type=content_type,
            size=document.size,
            storage=self.store.name,
        )
        return document

    async def upload_all(
        self, session: Transaction, submission_id: str, uploads: Sequence[Upload], client: str | None = None
    ) -> list[StoredDocument]:
        """Several documents at once: every file is checked before any is stored, so one bad file stores none."""
        for upload in uploads:
            self.check(upload)
        return [await self.upload(session, submission_id, upload, client) for upload in uploads]

    async def attach(
        self, session: Transaction, submission: Submission, referral: ReferralReceived
    ) -> ReferralReceived:
        """The referral with its documents: those the return lists (the ones intake holds completed with what it
        found) and those stored under the return's id that it does not list."""
        stored = {document.document_id: document for document in await self.catalogue.for_submission(
            session, submission.submission_id
        )}
        attached: list[Document] = []
        for listed in getattr(submission, "documents", ()):
            document_id = _uuid(listed.reference)
            # Only a document sent under this return's id is completed: naming another return's document's id
            # claims nothing (it stays the bare reference the sender wrote).
            held = stored.pop(document_id, None) if document_id is not None else None
            attached.append(contract_document(held) if held is not None else listed)
        attached.extend(contract_document(document) for document in stored.values())
        if not attached:
            return referral
        return referral.model_copy(update={"documents": tuple(attached)})

    async def read(self, session: Transaction, document_id: UUID) -> DocumentContent | None:
        document = await self.catalogue.get(session, document_id)
        if document is None:
            return None
        content = await self.store.get(session, document_id, document.sha256)
        return None if content is None else DocumentContent(document, content)


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


__all__ = [
    "DocumentContent",
    "DocumentRefused",
    "DocumentService",
    "RefusalStatus",
    "ReturnAlreadyReceived",
    "Upload",
    "contract_document",
]
