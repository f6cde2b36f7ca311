"""Documents sent with returns: the type is read from the content, whatever the name says; the size is capped;
names are made safe; and the service stores what it checked and puts it into the referral.

The files are real (a PDF written by pypdf, a DOCX zipped here, PNG and JPEG drawn by Pillow), made in the test.
The service-layer tests use in-memory fakes of the ports; the stores themselves are proven against PostgreSQL and
an S3 server in tests/integration/test_documents_api.py.
"""

import io
import zipfile
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from cme_runtime.db import Transaction
from cme_runtime.testing import TRANSACTION
from contracts.events.common_v1 import Child, Document, DocumentKind
from contracts.events.referral_v1 import ReferralKind, ReferralReceived
from services.intake.adapters.documents import DocumentCatalogue, DocumentStore, StoredDocument
from services.intake.adapters.submissions import SubmissionRecord
from services.intake.domain.documents import (
    DOCX,
    JPEG,
    PDF,
    PNG,
    DocumentRefused,
    check_content,
    sanitise_filename,
)
from services.intake.service_layer.documents import DocumentService, ReturnAlreadyReceived, Upload
from services.intake.tests.fakes import FakeSubmissionStore
from services.intake.tests.submissions import leaver
from tests.support.documents import docx_bytes, exe_bytes, image_bytes, pdf_bytes, plain_zip_bytes


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (pdf_bytes(), PDF),
        (docx_bytes(), DOCX),
        (image_bytes("PNG"), PNG),
        (image_bytes("JPEG"), JPEG),
    ],
    ids=["pdf", "docx", "png", "jpeg"],
)
def test_each_accepted_type_is_found_in_the_content(content: bytes, expected: str) -> None:
    checked = check_content(content)
    assert (checked.content_type, checked.size) == (expected, len(content))


def test_a_windows_program_named_pdf_is_refused_as_a_program() -> None:
    with pytest.raises(DocumentRefused) as refused:
        check_content(exe_bytes())
    assert refused.value.status == 415
    assert "Windows program" in refused.value.message and "PDF" in refused.value.message


def test_a_zip_that_is_not_a_word_document_is_refused() -> None:
    with pytest.raises(DocumentRefused) as refused:
        check_content(plain_zip_bytes())
    assert refused.value.status == 415
    assert "ZIP archive, not a Word document" in refused.value.message


def test_a_zip_holding_only_part_of_a_word_document_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(DocumentRefused):
        check_content(out.getvalue())


def test_text_and_empty_files_are_refused() -> None:
    with pytest.raises(DocumentRefused) as text:
        check_content(b"Dear Sir, this is a letter in plain text")
    with pytest.raises(DocumentRefused) as empty:
        check_content(b"")
    assert (text.value.status, empty.value.status) == (415, 422)


def test_a_file_over_the_limit_is_refused_with_413() -> None:
    content = pdf_bytes() + b"\0" * 2048
    assert check_content(content, max_bytes=len(content)).content_type == PDF
    with pytest.raises(DocumentRefused) as refused:
        check_content(content, max_bytes=len(content) - 1)
    assert refused.value.status == 413


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("checklist.pdf", PDF, "checklist.pdf"),
        ("C:\\Users\\head\\De-rolling checklist.PDF", PDF, "De-rolling checklist.pdf"),
        ("../../etc/passwd", PDF, "passwd.pdf"),
        ("letter.pdf.exe", DOCX, "letter.pdf.docx"),
        ('bad"name\r\n<script>.jpg', JPEG, "bad_name_script.jpg"),
        ("...", PNG, "document.png"),
        (None, PDF, "document.pdf"),
        ("x" * 500 + ".pdf", PDF, "x" * 196 + ".pdf"),
    ],
)
def test_file_names_are_made_safe_and_take_the_extension_of_the_type_found(
    name: str | None, content_type: str, expected: str
) -> None:
    assert sanitise_filename(name, content_type) == expected


class FakeCatalogue(DocumentCatalogue):
    def __init__(self) -> None:
        self.documents: dict[UUID, StoredDocument] = {}

    async def add(self, session: Transaction, document: StoredDocument) -> None:
        self.documents[document.document_id] = document

    async def get(self, session: Transaction, document_id: UUID) -> StoredDocument | None:
        return self.documents.get(document_id)

    async def for_submission(self, session: Transaction, submission_id: str) -> list[StoredDocument]:
        return [item for item in self.documents.values() if item.submission_id == submission_id]


class FakeStore(DocumentStore):
    name = "postgres"

    def __init__(self) -> None:
        self.contents: dict[UUID, bytes] = {}

    async def put(self, session: Transaction, document_id: UUID, content: bytes, content_type: str) -> None:
        self.contents[document_id] = content

    async def get(self, session: Transaction, document_id: UUID, sha256: str) -> bytes | None:
        return self.contents.get(document_id)


def _service() -> tuple[DocumentService, FakeSubmissionStore, FakeStore]:
    submissions, store = FakeSubmissionStore(), FakeStore()
    return DocumentService(FakeCatalogue(), store, submissions, max_bytes=1024 * 1024), submissions, store


def _referral(submission_id: str) -> ReferralReceived:
    return ReferralReceived(
        referral_id=uuid4(),
        child_id=uuid4(),
        submission_id=submission_id,
        kind=ReferralKind.LEAVER,
        received_at=datetime.now(UTC),
        referral_date=date(2026, 11, 30),
        child=Child(given_name="Test", family_name="Child"),
    )


async def test_an_upload_is_stored_with_what_was_found_and_read_back() -> None:
    service, _, store = _service()
    content = pdf_bytes()
    stored = await service.upload(
        TRANSACTION, "return-1", Upload(DocumentKind.DEROLLING_CHECKLIST, "C:\\x\\list.pdf", content), "mis"
    )
    assert (stored.content_type, stored.size, stored.filename, stored.client) == (PDF, len(content), "list.pdf", "mis")
    assert len(stored.sha256) == 64 and store.contents[stored.document_id] == content
    read = await service.read(TRANSACTION, stored.document_id)
    assert read is not None and read.content == content and read.document == stored


async def test_documents_for_a_return_already_received_are_refused() -> None:
    service, submissions, store = _service()
    submissions.submissions["return-2"] = SubmissionRecord(
        submission_id="return-2", submission_type="leaver", channel="http", received_at=datetime.now(UTC),
        status="accepted",
    )
    with pytest.raises(ReturnAlreadyReceived):
        await service.upload(TRANSACTION, "return-2", Upload(DocumentKind.LEARNER_PROFILE, "a.pdf", pdf_bytes()))
    assert store.contents == {}


async def test_one_bad_file_among_several_stores_none() -> None:
    service, _, store = _service()
    uploads = [
        Upload(DocumentKind.LEARNER_PROFILE, "a.pdf", pdf_bytes()),
        Upload(DocumentKind.DEROLLING_CHECKLIST, "b.pdf", exe_bytes()),
    ]
    with pytest.raises(DocumentRefused):
        await service.upload_all(TRANSACTION, "return-3", uploads)
    assert store.contents == {}


async def test_the_referral_carries_listed_and_unlisted_documents_with_their_metadata() -> None:
    service, _, _ = _service()
    listed = await service.upload(TRANSACTION, "return-4", Upload(DocumentKind.LEARNER_PROFILE, "lp.pdf", pdf_bytes()))
    unlisted = await service.upload(
        TRANSACTION, "return-4", Upload(DocumentKind.DEROLLING_CHECKLIST, "dc.docx", docx_bytes())
    )
    elsewhere = await service.upload(
        TRANSACTION, "another-return", Upload(DocumentKind.LEARNER_PROFILE, "x.pdf", pdf_bytes())
    )
    submission = leaver(
        submission_id="return-4",
        documents=[
            {"kind": "learner_profile", "reference": str(listed.document_id)},
            {"kind": "learner_profile", "reference": str(elsewhere.document_id)},
            {"kind": "ehe_parent_letter", "reference": "https://files.example/letter-1"},
        ],
    )
    referral = await service.attach(TRANSACTION, submission, _referral("return-4"))
    assert [(item.kind, item.document_id, item.content_type) for item in referral.documents] == [
        (DocumentKind.LEARNER_PROFILE, listed.document_id, PDF),
        # Another return's document is not claimed by naming its id: it stays a bare reference.
        (DocumentKind.LEARNER_PROFILE, None, None),
        (DocumentKind.EHE_PARENT_LETTER, None, None),
        (DocumentKind.DEROLLING_CHECKLIST, unlisted.document_id, DOCX),
    ]
    first = referral.documents[0]
    assert isinstance(first, Document)
    assert (first.size, first.sha256, first.filename) == (listed.size, listed.sha256, "lp.pdf")
