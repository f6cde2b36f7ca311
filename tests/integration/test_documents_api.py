"""Intake's documents against the real PostgreSQL (and a real S3 server over HTTP): both stores keep and return the
bytes and refuse damaged ones; the upload endpoint checks content, size and the return's state; the multipart
leaver carries its files into the referral; the internal download endpoint serves only to the service token.

The S3-compatible server is moto's standalone server (`ThreadedMotoServer`), spoken to over HTTP by boto3 exactly
as a MinIO or AWS endpoint would be. Kafka is not needed: nothing here starts the broker.
"""

import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg
import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from services.intake.adapters.documents import (
    DocumentDamaged,
    PostgresDocumentStore,
    S3DocumentStore,
    S3Location,
    SqlDocumentCatalogue,
    StoredDocument,
)
from tests.support.documents import docx_bytes, exe_bytes, image_bytes, pdf_bytes, plain_zip_bytes
from tests.support.infrastructure import Infrastructure
from tests.support.intake import intake_client as intake
from tests.support.submissions import leaver

pytestmark = pytest.mark.integration

TOKEN = "internal-token-for-document-tests"
SCHOOL_KEY = "school-key-for-document-tests"
S3_KEYS = {"access_key_id": "testing", "secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _bucket(endpoint: str) -> str:
    name = f"cme-documents-{uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-2", aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    return name




def _upload(kind: str, name: str, content: bytes, content_type: str = "application/pdf") -> dict[str, Any]:
    return {"data": {"kind": kind}, "files": {"file": (name, content, content_type)}}


async def _download(client: httpx.AsyncClient, document_id: str, token: str | None = TOKEN,
                    user: str | None = "officer-1") -> httpx.Response:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if user is not None:
        headers["X-Acting-User"] = user
    return await client.get(f"/internal/v1/documents/{document_id}", headers=headers)


# ---------------------------------------------------------------------- the stores


def _stored(content: bytes, storage: str) -> StoredDocument:
    return StoredDocument(
        document_id=uuid4(), submission_id=f"store-{uuid4().hex}", kind="learner_profile",
        content_type="application/pdf", size=len(content), sha256=hashlib.sha256(content).hexdigest(),
        filename="lp.pdf", storage=storage, uploaded_at=datetime.now(UTC),
    )


async def test_the_postgresql_store_keeps_the_bytes_and_refuses_damaged_ones(
    migrated: Infrastructure, intake_db: asyncpg.Connection
) -> None:
    content = pdf_bytes(pages=3)
    document = _stored(content, "postgres")
    async with intake(migrated) as client:
        factory = client.app.state.runtime.session_factory  # type: ignore[attr-defined]
        catalogue, store = SqlDocumentCatalogue(), PostgresDocumentStore()
        async with factory.begin() as session:
            await catalogue.add(session, document)
            await store.put(session, document.document_id, content, "application/pdf")
        async with factory() as session:
            assert await catalogue.get(session, document.document_id) == document
            assert await catalogue.for_submission(session, document.submission_id) == [document]
            assert await store.get(session, document.document_id, document.sha256) == content
            assert await store.get(session, uuid4(), document.sha256) is None
        row = await intake_db.fetchrow("SELECT sha256, length(content) AS size FROM document_contents "
                                       "WHERE document_id = $1", document.document_id)
        assert (row["sha256"], row["size"]) == (document.sha256, len(content))
        await intake_db.execute("UPDATE document_contents SET content = $2 WHERE document_id = $1",
                                document.document_id, content[:-1] + b"X")
        async with factory() as session:
            with pytest.raises(DocumentDamaged):
                await store.get(session, document.document_id, document.sha256)


async def test_the_s3_store_keeps_the_bytes_in_the_bucket_over_http(s3_server: str) -> None:
    bucket = _bucket(s3_server)
    store = S3DocumentStore(S3Location(bucket=bucket, endpoint_url=s3_server, **S3_KEYS))
    content = docx_bytes()
    document_id = uuid4()
    sha256 = hashlib.sha256(content).hexdigest()
    await store.put(None, document_id, content, "application/msword")  # type: ignore[arg-type]
    assert await store.get(None, document_id, sha256) == content  # type: ignore[arg-type]
    assert await store.get(None, uuid4(), sha256) is None  # type: ignore[arg-type]
    raw = boto3.client("s3", endpoint_url=s3_server, region_name="eu-west-2", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    assert raw.get_object(Bucket=bucket, Key=f"documents/{document_id}")["Body"].read() == content
    raw.put_object(Bucket=bucket, Key=f"documents/{document_id}", Body=b"swapped")
    with pytest.raises(DocumentDamaged):
        await store.get(None, document_id, sha256)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- the upload endpoint


async def test_an_upload_is_checked_stored_and_served_to_the_service_token_only(
    migrated: Infrastructure, intake_db: asyncpg.Connection
) -> None:
    submission_id = f"doc-test-{uuid4().hex}"
    content = image_bytes("PNG")
    async with intake(migrated, internal_api_token=TOKEN) as client:
        # The sender calls it a PDF, by name and by type: the content is a PNG, and that is what is kept.
        answer = await client.post(f"/api/v1/submissions/{submission_id}/documents",
                                   **_upload("learner_profile", "../Profile of a pupil.pdf", content))
        assert answer.status_code == 201, answer.text
        stored = answer.json()
        assert stored | {"document_id": None} == {
            "document_id": None, "submission_id": submission_id, "kind": "learner_profile",
            "content_type": "image/png", "size": len(content), "sha256": hashlib.sha256(content).hexdigest(),
            "filename": "Profile of a pupil.png",
        }
        served = await _download(client, stored["document_id"])
        assert served.status_code == 200 and served.content == content
        assert served.headers["content-type"] == "image/png"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert served.headers["content-disposition"].startswith('attachment; filename="Profile of a pupil.png"')
        assert (await _download(client, stored["document_id"], token="wrong")).status_code == 401
        assert (await _download(client, stored["document_id"], token=None)).status_code == 401
        assert (await _download(client, stored["document_id"], user=None)).status_code == 422
        assert (await _download(client, str(uuid4()))).status_code == 404
        assert (await _download(client, "not-a-uuid")).status_code == 422
    async with intake(migrated) as client:
        # No token configured: the internal API is switched off and says nothing about itself.
        assert (await _download(client, stored["document_id"])).status_code == 404
    row = await intake_db.fetchrow("SELECT storage, filename FROM documents WHERE document_id = $1",
                                   uuid.UUID(stored["document_id"]))
    assert (row["storage"], row["filename"]) == ("postgres", "Profile of a pupil.png")


@pytest.mark.parametrize(
    ("content", "status", "words"),
    [
        (exe_bytes(), 415, "Windows program"),
        (plain_zip_bytes(), 415, "not a Word document"),
        (b"", 422, "empty"),
    ],
    ids=["exe-named-pdf", "zip-not-docx", "empty"],
)
async def test_an_upload_that_is_not_an_accepted_document_is_refused_and_not_stored(
    migrated: Infrastructure, intake_db: asyncpg.Connection, content: bytes, status: int, words: str
) -> None:
    submission_id = f"doc-test-{uuid4().hex}"
    async with intake(migrated) as client:
        answer = await client.post(f"/api/v1/submissions/{submission_id}/documents",
                                   **_upload("derolling_checklist", "checklist.pdf", content))
    assert answer.status_code == status
    [problem] = answer.json()["problems"]
    assert words in problem["message"]
    assert await intake_db.fetchval("SELECT count(*) FROM documents WHERE submission_id = $1", submission_id) == 0


async def test_an_oversized_upload_is_cut_off_with_413(migrated: Infrastructure, intake_db: asyncpg.Connection) -> None:
    submission_id = f"doc-test-{uuid4().hex}"
    limit = 256 * 1024
    async with intake(migrated, document_max_bytes=limit) as client:
        just_over = pdf_bytes() + b"\0" * (limit - len(pdf_bytes()) + 1)
        over = await client.post(f"/api/v1/submissions/{submission_id}/documents",
                                 **_upload("derolling_checklist", "a.pdf", just_over))
        far_over = await client.post(f"/api/v1/submissions/{submission_id}/documents",
                                     **_upload("derolling_checklist", "a.pdf", b"%PDF-" + b"\0" * (limit * 4)))
        at_limit = await client.post(f"/api/v1/submissions/{submission_id}/documents",
                                     **_upload("derolling_checklist", "a.pdf", just_over[:-1]))
    assert (over.status_code, far_over.status_code, at_limit.status_code) == (413, 413, 201)
    assert "larger than the limit of 256 KB" in over.json()["problems"][0]["message"]
    assert await intake_db.fetchval("SELECT count(*) FROM documents WHERE submission_id = $1", submission_id) == 1


async def test_an_upload_needs_a_kind_a_file_multipart_and_a_key(migrated: Infrastructure) -> None:
    path = f"/api/v1/submissions/doc-test-{uuid4().hex}/documents"
    async with intake(migrated, intake_api_keys={SCHOOL_KEY: "school-mis"}) as client:
        headers = {"X-API-Key": SCHOOL_KEY}
        no_key = await client.post(path, **_upload("learner_profile", "a.pdf", pdf_bytes()))
        bad_kind = await client.post(path, headers=headers, **_upload("school_photo", "a.pdf", pdf_bytes()))
        no_file = await client.post(path, headers=headers, data={"kind": "learner_profile"},
                                    files={"attachment": ("a.pdf", pdf_bytes(), "application/pdf")})
        json_body = await client.post(path, headers=headers, json={"kind": "learner_profile"})
        keyed = await client.post(path, headers=headers, **_upload("learner_profile", "a.pdf", pdf_bytes()))
    assert [r.status_code for r in (no_key, bad_kind, no_file, json_body, keyed)] == [401, 422, 422, 415, 201]


async def test_documents_for_a_return_already_received_are_refused_with_409(migrated: Infrastructure) -> None:
    submission = leaver()
    async with intake(migrated) as client:
        accepted = await client.post("/api/v1/submissions/leaver", json=submission)
        assert accepted.status_code == 202, accepted.text
        late = await client.post(f"/api/v1/submissions/{submission['submission_id']}/documents",
                                 **_upload("learner_profile", "a.pdf", pdf_bytes()))
    assert late.status_code == 409
    assert "already been received" in late.json()["problems"][0]["message"]


# ---------------------------------------------------------------------- documents reach the referral


async def _referral_documents(intake_db: asyncpg.Connection, submission_id: str) -> list[dict[str, Any]]:
    payload = await intake_db.fetchval(
        "SELECT payload FROM outbox WHERE type = 'cme.referral.received.v1' AND payload->>'submission_id' = $1",
        submission_id)
    data = json.loads(payload) if isinstance(payload, str) else payload
    return list(data["documents"])


async def test_documents_sent_before_the_return_travel_in_its_referral(
    migrated: Infrastructure, intake_db: asyncpg.Connection
) -> None:
    submission = leaver()
    submission_id = submission["submission_id"]
    async with intake(migrated) as client:
        first = (await client.post(f"/api/v1/submissions/{submission_id}/documents",
                                   **_upload("derolling_checklist", "checklist.pdf", pdf_bytes()))).json()
        second = (await client.post(f"/api/v1/submissions/{submission_id}/documents",
                                    **_upload("learner_profile", "profile.docx", docx_bytes()))).json()
        submission["documents"] = [{"kind": "derolling_checklist", "reference": first["document_id"]},
                                   {"kind": "learner_profile", "reference": second["document_id"]}]
        assert (await client.post("/api/v1/submissions/leaver", json=submission)).status_code == 202
    documents = await _referral_documents(intake_db, submission_id)
    assert [(d["document_id"], d["content_type"], d["filename"]) for d in documents] == [
        (first["document_id"], "application/pdf", "checklist.pdf"),
        (second["document_id"], "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "profile.docx"),
    ]


async def test_a_multipart_leaver_return_carries_its_files_into_the_referral(
    migrated: Infrastructure, intake_db: asyncpg.Connection
) -> None:
    submission = leaver()
    del submission["documents"]
    submission_id = submission["submission_id"]
    files = [
        ("submission", ("leaver.json", json.dumps(submission).encode(), "application/json")),
        ("derolling_checklist", ("checklist.pdf", pdf_bytes(), "application/pdf")),
        ("learner_profile", ("profile.jpg", image_bytes("JPEG"), "image/jpeg")),
    ]
    async with intake(migrated) as client:
        answer = await client.post("/api/v1/submissions/leaver/with-documents", files=files)
        again = await client.post("/api/v1/submissions/leaver/with-documents", files=files)
    assert answer.status_code == 202, answer.text
    assert [item["kind"] for item in answer.json()["documents"]] == ["derolling_checklist", "learner_profile"]
    assert again.status_code == 200 and again.json()["duplicate"] is True
    documents = await _referral_documents(intake_db, submission_id)
    assert [(d["kind"], d["content_type"]) for d in documents] == [
        ("derolling_checklist", "application/pdf"), ("learner_profile", "image/jpeg")]
    assert await intake_db.fetchval("SELECT count(*) FROM documents WHERE submission_id = $1", submission_id) == 2


async def test_a_multipart_leaver_with_a_program_among_its_files_stores_nothing(
    migrated: Infrastructure, intake_db: asyncpg.Connection
) -> None:
    submission = leaver()
    files = [
        ("submission", ("leaver.json", json.dumps(submission).encode(), "application/json")),
        ("derolling_checklist", ("checklist.pdf", pdf_bytes(), "application/pdf")),
        ("learner_profile", ("profile.pdf", exe_bytes(), "application/pdf")),
    ]
    async with intake(migrated) as client:
        answer = await client.post("/api/v1/submissions/leaver/with-documents", files=files)
    assert answer.status_code == 415
    assert "Windows program" in answer.json()["problems"][0]["message"]
    assert await intake_db.fetchval(
        "SELECT count(*) FROM documents WHERE submission_id = $1", submission["submission_id"]) == 0
    assert await intake_db.fetchval(
        "SELECT count(*) FROM submissions WHERE submission_id = $1", submission["submission_id"]) == 0


async def test_with_the_s3_store_the_bytes_go_to_the_bucket_and_come_back_through_the_api(
    migrated: Infrastructure, intake_db: asyncpg.Connection, s3_server: str
) -> None:
    bucket = _bucket(s3_server)
    submission_id = f"doc-test-{uuid4().hex}"
    content = pdf_bytes(pages=2)
    async with intake(migrated, internal_api_token=TOKEN, document_store="s3", document_s3_bucket=bucket,
                      document_s3_endpoint_url=s3_server, document_s3_access_key_id="testing",
                      document_s3_secret_access_key="testing") as client:
        stored = (await client.post(f"/api/v1/submissions/{submission_id}/documents",
                                    **_upload("medical_certificate", "cert.pdf", content))).json()
        served = await _download(client, stored["document_id"])
    assert served.status_code == 200 and served.content == content
    raw = boto3.client("s3", endpoint_url=s3_server, region_name="eu-west-2", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    assert raw.get_object(Bucket=bucket, Key=f"documents/{stored['document_id']}")["Body"].read() == content
    row = await intake_db.fetchrow("SELECT storage, (SELECT count(*) FROM document_contents c "
                                   "WHERE c.document_id = d.document_id) AS in_postgres FROM documents d "
                                   "WHERE document_id = $1", uuid.UUID(stored["document_id"]))
    assert (row["storage"], row["in_postgres"]) == ("s3", 0)
