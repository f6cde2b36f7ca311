"""The returns behind a case and their documents (issue 8): what the case page shows of each submission (type, the
leaving ground in its own coding and as its 2024 equivalent, leaving date, destination, school, who sent it, when)
and the download of a document intake stored.

A download is a view of the child's record: the officer must be allowed to see the case (App. E, the same check as
the case page, so a role that may not gets 403), the document must be one of that case's returns' (so a case an
officer may see cannot be used to fetch another child's file), and every download is written to the audit log.
The bytes stream from intake's internal API as an attachment, with the type intake found in the content and
`X-Content-Type-Options: nosniff`, so a browser never renders or sniffs them as something else.
"""

from datetime import datetime
from typing import Any, Final
from urllib.parse import quote
from uuid import UUID

from fastapi import HTTPException, Request
from fastapi.responses import Response, StreamingResponse
from markupsafe import Markup, escape
from sqlalchemy.ext.asyncio import AsyncSession

from cme_runtime.logging import get_logger
from services.casework.adapters.documents_client import DocumentNotFound, DocumentsUnavailable, IntakeDocuments
from services.casework.adapters.returns import ReturnRecord, SqlCaseReturns
from services.casework.domain.returns import read_ground
from services.casework.entrypoints.web.context import Ui
from services.casework.entrypoints.web.pages_common import (
    VIEW_CASES,
    CasePages,
    case_transaction,
    date_only,
    signed_in_user,
    valid_case_id,
)
from services.casework.entrypoints.web.security import GuardedRouter
from services.casework.service_layer.officer_actions import OfficerActions

log = get_logger(__name__)

KIND_LABELS: Final = {
    "leaver": "Leaver (deletion) return",
    "joiner": "Joiner return",
    "absence": "Absence return",
    "sickness_15_day": "15-day sickness return",
    "part_time_timetable": "Part-time timetable notification",
    "social_care_no_education": "Social care alert: no confirmed education",
    "social_care_leaving_area": "Social care alert: leaving the area",
    "professional_referral": "Professional referral",
    "la_enquiry": "Enquiry from another local authority",
    "ctf_bulk": "Common Transfer File",
}
DOCUMENT_LABELS: Final = {
    "sao_revocation_letter": "School attendance order revocation letter",
    "learner_profile": "Learner profile",
    "ehe_parent_letter": "Parent's letter: elective home education",
    "derolling_checklist": "De-rolling checklist",
    "medical_certificate": "Medical certificate",
}
TYPE_LABELS: Final = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
}
UNAVAILABLE = "The document store is not available. Try again in a few minutes"


def _size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _received(at: datetime | None) -> str:
    return "" if at is None else f"{date_only(at)}"


def _lines(part: dict[str, Any] | None, *names: str) -> list[str]:
    if not part:
        return []
    return [str(part[name]) for name in names if part.get(name)]


def _destination(part: dict[str, Any] | None) -> list[str]:
    lines = []
    if part:
        if part.get("school_id"):
            lines.append(f"School {part['school_id']}")
        lines += _lines(part, "local_authority", "country")
        lines += _lines(part.get("address"), "line1", "line2", "town", "postcode")
    return lines


def _documents(case_id: str, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    shown = []
    for document in documents:
        document_id = document.get("document_id")
        shown.append({
            "kind": DOCUMENT_LABELS.get(document.get("kind", ""), document.get("kind", "")),
            "filename": document.get("filename") or document.get("reference", ""),
            "type": TYPE_LABELS.get(document.get("content_type") or "", ""),
            "size": _size(document.get("size")),
            "href": f"/cases/{case_id}/documents/{document_id}" if document_id else None,
        })
    return shown


def _html_lines(lines: list[str]) -> Markup:
    return Markup("<br>").join(escape(line) for line in lines)


def documents_html(documents: list[dict[str, Any]]) -> Markup:
    """Each document as a line: a download link when intake holds the file, else the sender's reference."""
    lines = []
    for document in documents:
        details = f" ({document['type']}, {document['size']})" if document["type"] else ""
        label = f"{document['kind']}: {document['filename']}{details}"
        if document["href"]:
            lines.append(
                Markup('<a class="govuk-link app-document-link" href="{}">{}</a>').format(document["href"], label)
            )
        else:
            lines.append(escape(f"{label} (not held by this service)"))
    return Markup("<br>").join(lines)


def return_view(record: ReturnRecord) -> dict[str, Any]:
    """What `cases/_returns.html` shows of one return."""
    ground = read_ground(record.leaving_ground) if record.leaving_ground else None
    school = record.school or {}
    return {
        "kind": KIND_LABELS.get(record.kind, record.kind.replace("_", " ").capitalize()),
        "submission_id": record.submission_id or "",
        "ground": ground,
        "ground_text": (
            f"{ground.code} ({ground.regulations} regulations): {ground.description}"
            if ground is not None and ground.known else (record.leaving_ground or "")
        ),
        "ground_2024": (
            "; ".join(f"{other.code}: {other.description}" for other in ground.in_2024)
            if ground is not None and ground.in_2024
            else ("No equivalent ground in the 2024 regulations" if ground is not None and ground.known else "")
        ),
        "leaving_date": date_only(record.leaving_date),
        "school": " ".join(filter(None, [school.get("name"), f"({school['establishment_id']})"
                                         if school.get("establishment_id") else None])),
        "destination": _html_lines(_destination(record.destination)),
        "submitter": _html_lines(_lines(record.referrer, "name", "organisation", "email")),
        "received_at": _received(record.received_at),
        "documents": _documents(record.case_id, record.documents),
        "documents_html": documents_html(_documents(record.case_id, record.documents)),
    }


async def case_returns_view(session: AsyncSession, case_id: str) -> list[dict[str, Any]]:
    """The case page's "Returns" section, the most recent first. Read in the page's transaction, after the view of
    the case was allowed and audited."""
    return [return_view(record) for record in await SqlCaseReturns().for_case(session, case_id)]


def _document_on_case(records: list[ReturnRecord], document_id: str) -> dict[str, Any] | None:
    for record in records:
        for document in record.documents:
            if document.get("document_id") == document_id:
                return document
    return None


def content_disposition(filename: str) -> str:
    """`attachment`, with an ASCII fallback name and the real one percent-encoded (RFC 6266, RFC 5987)."""
    fallback = "".join(
        char if char.isascii() and char.isprintable() and char not in '"\\;' else "_" for char in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def add_document_pages(router: GuardedRouter, ui: Ui, actions: OfficerActions, documents: IntakeDocuments) -> None:
    pages = CasePages(ui.templates, ui.session_factory, actions, ui.audit)

    @router.page("/cases/{case_id}/documents/{document_id}", access=VIEW_CASES)
    async def download(request: Request, case_id: str, document_id: str) -> Response:
        user = signed_in_user(request)
        case_id = valid_case_id(case_id)
        try:
            document_id = str(UUID(document_id))
        except ValueError:
            raise HTTPException(status_code=404, detail="No such document") from None
        async with case_transaction(pages) as session:
            await actions.view(session, user, case_id, page="document")
            document = _document_on_case(await SqlCaseReturns().for_case(session, case_id), document_id)
        if document is None:
            raise HTTPException(status_code=404, detail="No such document on this case")
        try:
            stream = await documents.open(document_id, user.user_id)
        except DocumentNotFound:
            raise HTTPException(status_code=404, detail="No such document") from None
        except DocumentsUnavailable:
            log.warning("document store unavailable", document_id=document_id)
            raise HTTPException(status_code=503, detail=UNAVAILABLE) from None
        try:
            # Audited before the first byte leaves: no download without its entry.
            async with ui.session_factory.begin() as session:
                await ui.audit.record(
                    session,
                    actor_id=user.user_id,
                    action="case.document_downloaded",
                    record_type="case",
                    record_id=case_id,
                    details={"document_id": document_id, "kind": str(document.get("kind", ""))},
                )
        except BaseException:
            await stream.chunks.aclose()
            raise
        headers = {
            "Content-Disposition": content_disposition(str(document.get("filename") or "document")),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        }
        if stream.content_length is not None:
            headers["Content-Length"] = str(stream.content_length)
        return StreamingResponse(stream.chunks, media_type=stream.content_type, headers=headers)
