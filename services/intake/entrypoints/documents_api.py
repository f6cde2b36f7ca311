"""Documents sent with returns, over HTTP.

- `POST /api/v1/submissions/{submission_id}/documents`: one file (multipart: `kind` and `file`) for the return
  with that id, sent BEFORE the return; the return then lists it by the `document_id` this answers with (or not:
  every document sent under the return's id goes with it). Same API keys as the submission API.
- `POST /api/v1/submissions/leaver/with-documents`: a leaver return and its files in one multipart request: the
  return as JSON in the `submission` part, each file in a part named by its kind (`derolling_checklist`, ...).
- `GET /internal/v1/documents/{document_id}`: the bytes, for casework's officers' UI only (the service token
  CME_INTERNAL_API_TOKEN, compared in constant time; with no token configured the API does not exist: 404).
  Casework checks the officer may see the case and audits the download; it names the officer in
  `X-Acting-User`, which intake logs with the document id.

Sizes are enforced while the body is read: a request is cut off as soon as it passes the limit (plus a little for
the multipart framing), before the rest arrives, and each file is held to the limit exactly. The type is read from
the content (`domain.documents`), never from the file name or the Content-Type the sender claimed.
"""

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, SecretStr, ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message

from cme_runtime.logging import get_logger
from cme_runtime.service import ServiceRuntime
from contracts.events.common_v1 import Document, DocumentKind, has_control_characters
from contracts.events.intake_v1 import LeaverSubmitted, Problem
from services.intake.adapters.documents import DocumentDamaged, StoredDocument
from services.intake.domain.documents import too_large_message
from services.intake.entrypoints.auth import ApiKeys
from services.intake.entrypoints.document_paths import LEAVER_WITH_DOCUMENTS_PATH
from services.intake.entrypoints.http import outcome_response, rejected_response, schema_problems
from services.intake.service_layer.documents import (
    DocumentRefused,
    DocumentService,
    ReturnAlreadyReceived,
    Upload,
)
from services.intake.service_layer.submissions import IntakeService

log = get_logger(__name__)

INTERNAL_PREFIX = "/internal/v1"
ACTING_USER_HEADER = "X-Acting-User"
# Room for the multipart boundaries and part headers around the file(s): small, so a body is still cut off close
# to the limit.
FRAMING_ALLOWANCE = 64 * 1024
MAX_FILES_WITH_A_RETURN = 10
KINDS = [kind.value for kind in DocumentKind]


class DocumentOut(BaseModel):
    document_id: UUID
    submission_id: str
    kind: DocumentKind
    content_type: str = Field(description="The type found in the file's content")
    size: int
    sha256: str
    filename: str = Field(description="The file name as stored: sanitised")


class _TooLarge(Exception):
    pass


class _Rejected(Exception):
    """The return was refused: its files are rolled back with it."""


def _out(document: StoredDocument) -> DocumentOut:
    return DocumentOut(
        document_id=document.document_id,
        submission_id=document.submission_id,
        kind=DocumentKind(document.kind),
        content_type=document.content_type,
        size=document.size,
        sha256=document.sha256,
        filename=document.filename,
    )


def _problem(status_code: int, submission_id: str | None, field: str, message: str) -> JSONResponse:
    return rejected_response(submission_id, [Problem(field=field, message=message)], status_code=status_code)


def _too_large(submission_id: str | None, limit: int) -> JSONResponse:
    return _problem(413, submission_id, "file", too_large_message(limit))


async def _read_form(request: Request, max_body: int, max_files: int) -> FormData:
    """The multipart form, read with the body capped at `max_body` bytes (`_TooLarge` as soon as it passes)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_body:
        raise _TooLarge
    received = 0

    async def capped_receive() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_body:
                raise _TooLarge
        return message

    capped = Request(request.scope, capped_receive)
    return await capped.form(max_files=max_files, max_fields=max_files + 5)


async def _uploads(form: FormData, submission_id: str, limit: int) -> list[Upload] | JSONResponse:
    """The files of a multipart leaver return, each part named by its document kind."""
    unknown = [name for name in form if name != "submission" and name not in KINDS]
    if unknown:
        return _problem(422, submission_id, "documents", f"Name each file part by its kind: one of {', '.join(KINDS)}")
    uploads: list[Upload] = []
    # In the order sent, so the referral lists them as the school did.
    for kind, item in form.multi_items():
        if kind == "submission":
            continue
        if not isinstance(item, UploadFile):
            return _problem(422, submission_id, kind, "Send each document as a file")
        # One byte past the limit is enough to know it is too large.
        uploads.append(Upload(DocumentKind(kind), item.filename, await item.read(limit + 1)))
    return uploads


def _is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == "multipart/form-data"


_NOT_MULTIPART = "Send the document as multipart/form-data, with a kind and a file part"
_UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid API key (only when API keys are configured)"},
    409: {"description": "The return with this submission ID was already received: send documents before it"},
    413: {"description": "The file is larger than the limit (CME_DOCUMENT_MAX_BYTES, 10 MB unless configured)"},
    415: {"description": "Not multipart, or the file's content is not a PDF, DOCX, PNG or JPEG (whatever its name)"},
    422: {"description": "No kind or no file, an unknown kind, an empty file, or an unusable submission ID"},
}
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["kind", "file"],
                    "properties": {
                        "kind": {"type": "string", "enum": KINDS, "description": "What the document is"},
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "A PDF, Word (DOCX), PNG or JPEG file; its type is read from its content",
                        },
                    },
                }
            }
        },
    }
}
_LEAVER_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["submission"],
                    "properties": {
                        "submission": {
                            "type": "string",
                            "description": "The leaver return as JSON (the body of POST /api/v1/submissions/leaver)",
                        },
                        **{
                            kind: {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                                "description": f"Files of kind {kind}: PDF, DOCX, PNG or JPEG",
                            }
                            for kind in KINDS
                        },
                    },
                }
            }
        },
    }
}


def add_document_routes(
    app: FastAPI,
    runtime: ServiceRuntime,
    service: IntakeService,
    documents: DocumentService,
    *,
    submitter_keys: ApiKeys,
    token: SecretStr | None,
) -> None:
    submitter = submitter_keys.dependency()
    app.include_router(_upload_router(runtime, documents, submitter))
    app.include_router(_leaver_router(runtime, service, documents, submitter))
    app.include_router(_internal_router(runtime, documents, token))


def _leaver_router(
    runtime: ServiceRuntime,
    service: IntakeService,
    documents: DocumentService,
    submitter: Callable[..., Awaitable[str | None]],
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["documents"])
    limit = documents.max_bytes

    @router.post(
        LEAVER_WITH_DOCUMENTS_PATH.removeprefix("/api/v1"),
        status_code=202,
        responses={**_UPLOAD_RESPONSES, 409: {"description": "Not used: a repeated return gets its first outcome"}},
        openapi_extra=_LEAVER_BODY,
        summary="Submit a leaver return with its documents in one request",
        description=(
            "Multipart: the return as JSON in the `submission` part, and each document in a part named by its kind "
            f"(one of {', '.join(KINDS)}; a kind may repeat). Every file is checked before anything is stored, and "
            "the documents are listed in the return for you. The answer is the return's outcome, as for "
            "POST /api/v1/submissions/leaver, with the stored documents added when it was accepted."
        ),
    )
    async def leaver_with_documents(
        request: Request, client_name: Annotated[str | None, Depends(submitter)]
    ) -> Response:
        if not _is_multipart(request):
            return _problem(415, None, "submission", "Send the return and its documents as multipart/form-data")
        try:
            form = await _read_form(
                request, limit * MAX_FILES_WITH_A_RETURN + FRAMING_ALLOWANCE, MAX_FILES_WITH_A_RETURN
            )
        except _TooLarge:
            return _too_large(None, limit)
        except StarletteHTTPException as unreadable:
            return _problem(422, None, "submission", f"The multipart body could not be read: {unreadable.detail}")
        try:
            return await _submit_leaver(form, client_name)
        finally:
            await form.close()

    async def _submit_leaver(form: FormData, client_name: str | None) -> Response:
        raw = form.get("submission")
        text = (await raw.read()).decode("utf-8", "replace") if isinstance(raw, UploadFile) else raw
        if not text:
            return _problem(422, None, "submission", "Send the leaver return as JSON in the submission part")
        try:
            submission = LeaverSubmitted.model_validate_json(text)
        except ValidationError as error:
            problems = schema_problems(RequestValidationError(error.errors()))
            async with runtime.session_factory.begin() as session:
                outcome = await service.reject(session, problems, None, "leaver", "http", client=client_name)
            return outcome_response(outcome)
        uploads = await _uploads(form, submission.submission_id, limit)
        if isinstance(uploads, JSONResponse):
            return uploads
        try:
            for upload in uploads:
                documents.check(upload)
        except DocumentRefused as refused:
            return _problem(refused.status, submission.submission_id, "documents", refused.message)
        return await _store_and_submit(submission, uploads, client_name)

    async def _store_and_submit(
        submission: LeaverSubmitted, uploads: list[Upload], client_name: str | None
    ) -> Response:
        stored: list[StoredDocument] = []
        with_documents = submission
        try:
            async with runtime.session_factory.begin() as session:
                stored = await documents.upload_all(session, submission.submission_id, uploads, client_name)
                listed = tuple(
                    Document(kind=DocumentKind(item.kind), reference=str(item.document_id)) for item in stored
                )
                with_documents = submission.model_copy(update={"documents": (*submission.documents, *listed)})
                outcome = await service.submit(session, with_documents, channel="http", client=client_name)
                if not outcome.accepted:
                    # Keep no files for a refused return: roll back, then record the rejection on its own.
                    raise _Rejected
        except (ReturnAlreadyReceived, _Rejected):
            # Sent before (its first outcome again, files not stored twice) or refused (recorded without files).
            stored = []
            async with runtime.session_factory.begin() as session:
                outcome = await service.submit(session, with_documents, channel="http", client=client_name)
        response = outcome_response(outcome)
        if not outcome.accepted or not stored:
            return response
        body = json.loads(bytes(response.body))
        body["documents"] = [_out(item).model_dump(mode="json") for item in stored]
        return JSONResponse(body, status_code=response.status_code)

    return router


def _upload_router(
    runtime: ServiceRuntime,
    documents: DocumentService,
    submitter: Callable[..., Awaitable[str | None]],
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["documents"])
    limit = documents.max_bytes

    @router.post(
        "/submissions/{submission_id}/documents",
        status_code=201,
        response_model=DocumentOut,
        responses=_UPLOAD_RESPONSES,
        openapi_extra=_UPLOAD_BODY,
        summary="Send a document for a return, before the return",
        description=(
            "One file with its kind, for the return with this submission ID, sent before the return itself. List "
            "it in the return's `documents` with the `document_id` as its `reference` (the leaving ground's "
            "required documents are checked from that list); documents sent here that the return does not list "
            "go with it too. The type is read from the file's content: PDF, Word (DOCX), PNG or JPEG, at most "
            "10 MB unless configured otherwise."
        ),
    )
    async def upload(
        request: Request, submission_id: str, client_name: Annotated[str | None, Depends(submitter)]
    ) -> Response:
        if not 1 <= len(submission_id) <= 100 or has_control_characters(submission_id):
            return _problem(422, None, "submission_id", "Send the return's submission ID: 1 to 100 characters")
        if not _is_multipart(request):
            return _problem(415, submission_id, "file", _NOT_MULTIPART)
        try:
            form = await _read_form(request, limit + FRAMING_ALLOWANCE, max_files=1)
        except _TooLarge:
            return _too_large(submission_id, limit)
        except StarletteHTTPException as unreadable:
            return _problem(422, submission_id, "file", f"The multipart body could not be read: {unreadable.detail}")
        try:
            kind, file = form.get("kind"), form.get("file")
            if not isinstance(kind, str) or kind not in KINDS:
                return _problem(422, submission_id, "kind", f"Select the document's kind: one of {', '.join(KINDS)}")
            if not isinstance(file, UploadFile):
                return _problem(422, submission_id, "file", "Send the document in a part named file")
            content = await file.read(limit + 1)
            filename = file.filename
        finally:
            await form.close()
        try:
            async with runtime.session_factory.begin() as session:
                stored = await documents.upload(
                    session, submission_id, Upload(DocumentKind(kind), filename, content), client_name
                )
        except DocumentRefused as refused:
            return _problem(refused.status, submission_id, "file", refused.message)
        except ReturnAlreadyReceived as received:
            return _problem(409, submission_id, "submission_id", str(received))
        return JSONResponse(_out(stored).model_dump(mode="json"), status_code=201)

    return router


def content_disposition(filename: str) -> str:
    """`attachment`, with an ASCII fallback name and the real one encoded (RFC 6266 / 5987)."""
    ascii_name = "".join(char if char.isascii() and char.isprintable() and char not in '"\\' else "_"
                         for char in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _internal_router(runtime: ServiceRuntime, documents: DocumentService, token: SecretStr | None) -> APIRouter:
    def authenticate(request: Request) -> None:
        if token is None:
            # No token configured: the internal API is switched off, and says nothing about itself.
            raise HTTPException(status_code=404, detail="Not Found")
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.encode(), token.get_secret_value().encode()):
            raise HTTPException(status_code=401, detail="A valid service token is required")

    router = APIRouter(prefix=INTERNAL_PREFIX, dependencies=[Depends(authenticate)], include_in_schema=False)

    @router.get("/documents/{document_id}")
    async def download(request: Request, document_id: str) -> Response:
        acting_user = request.headers.get(ACTING_USER_HEADER, "")
        if not 1 <= len(acting_user) <= 200 or has_control_characters(acting_user):
            return JSONResponse(
                {"detail": f"Name the user the document is fetched for in the {ACTING_USER_HEADER} header"},
                status_code=422,
            )
        try:
            parsed = UUID(document_id)
        except ValueError:
            return JSONResponse({"detail": "A document ID is a UUID"}, status_code=422)
        try:
            async with runtime.session_factory() as session:
                found = await documents.read(session, parsed)
        except DocumentDamaged:
            log.error("document damaged at rest", document_id=str(parsed))
            return JSONResponse({"detail": "The stored document does not match its checksum"}, status_code=500)
        if found is None:
            return JSONResponse({"detail": "No such document"}, status_code=404)
        log.info("document served", document_id=str(parsed), acting_user=acting_user)
        document = found.document
        return Response(
            found.content,
            media_type=document.content_type,
            headers={
                "Content-Disposition": content_disposition(document.filename),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-store",
                "X-Document-Kind": document.kind,
                "X-Document-SHA256": document.sha256,
            },
        )

    return router
