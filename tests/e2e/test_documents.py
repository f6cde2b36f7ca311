"""Issue 8: a school's leaver return sent with two PDF documents, through the whole suite as processes, on the
real Kafka and PostgreSQL. The case page lists the return (ground, its 2024 equivalent, school, who sent it) and
both documents; an officer who may see the case downloads each, byte for byte, as an attachment that is never
sniffed, and each download is in the audit log; a role that may not see the case gets 403 and no file.
"""

import json
import re
from typing import Any

import asyncpg
import httpx
import pytest

from services.casework.domain.access import Role
from tests.e2e.test_missing_mondays import add_people, signed_in
from tests.e2e.test_submission_types import open_case
from tests.support.documents import pdf_bytes
from tests.support.submissions import leaver
from tests.support.suite import RunningSuite

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


async def send_leaver_with_documents(suite: RunningSuite, files: list[tuple[str, bytes]]) -> dict[str, Any]:
    submission = leaver(leaving_reason="8(1)(e)", submitter={"name": "Invented Headteacher",
                                                             "organisation": "Test School"})
    del submission["documents"]
    parts: list[tuple[str, tuple[str, bytes, str]]] = [
        ("submission", ("leaver.json", json.dumps(submission).encode(), "application/json")),
        *[(kind, (f"{kind}.pdf", content, "application/pdf")) for kind, content in files],
    ]
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(suite.url("intake", "/api/v1/submissions/leaver/with-documents"), files=parts)
    assert response.status_code == 202, response.text
    accepted: dict[str, Any] = response.json()
    return accepted


async def test_a_leavers_documents_are_listed_on_the_case_and_downloaded_with_an_audit_entry(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    checklist, profile = pdf_bytes(pages=1), pdf_bytes(pages=2)
    accepted = await send_leaver_with_documents(suite, [("derolling_checklist", checklist),
                                                        ("learner_profile", profile)])
    case = await open_case(suite, accepted["child_id"])
    case_id = case["case_id"]
    people = await add_people(suite, {"lead": (Role.LEAD_OFFICER,), "admin": (Role.ADMINISTRATOR,),
                                      "officer": (Role.CME_OFFICER,)})

    async with signed_in(suite, people["lead"]) as lead:
        page = await lead.get(f"/cases/{case_id}")
        assert page.status_code == 200
        assert "8(1)(e) (2006 regulations)" in page.text and "9(1)(g): moved away" in page.text
        assert "Invented Headteacher" in page.text
        links = re.findall(rf'href="(/cases/{case_id}/documents/[0-9a-f-]+)"', page.text)
        assert len(links) == 2, page.text
        assert "De-rolling checklist: derolling_checklist.pdf (PDF" in page.text
        assert "Learner profile: learner_profile.pdf (PDF" in page.text
        downloads = [await lead.get(link) for link in links]

    for download, content, name in zip(downloads, (checklist, profile),
                                       ("derolling_checklist.pdf", "learner_profile.pdf"), strict=True):
        assert download.status_code == 200
        assert download.content == content
        assert download.headers["content-type"] == "application/pdf"
        assert download.headers["x-content-type-options"] == "nosniff"
        assert download.headers["content-disposition"].startswith(f'attachment; filename="{name}"')
    audited = await db["casework"].fetch(
        "SELECT actor_id FROM audit_log WHERE record_id = $1 AND action = 'case.document_downloaded'", case_id)
    assert [row["actor_id"] for row in audited] == [people["lead"].user_id] * 2

    async with signed_in(suite, people["admin"]) as admin:
        refused_by_role = await admin.get(links[0])
    async with signed_in(suite, people["officer"]) as officer:
        # A CME officer sees only cases allocated to them or their team: this one is not.
        refused_for_the_case = await officer.get(links[0])
    assert (refused_by_role.status_code, refused_for_the_case.status_code) == (403, 403)
    assert checklist not in refused_by_role.content and checklist not in refused_for_the_case.content
    assert await db["casework"].fetchval(
        "SELECT count(*) FROM audit_log WHERE record_id = $1 AND action = 'case.document_downloaded'", case_id) == 2
    assert await db["casework"].fetchval(
        "SELECT count(*) FROM audit_log WHERE record_id = $1 AND action = 'case.view_refused' AND actor_id = $2",
        case_id, people["officer"].user_id) == 1
