"""Issue 13: personal data stays out of every service's logs and spans in the flows added since the first scan
(tests/e2e/test_tracing.py), even where a client puts it where it should not be.

Against the whole suite as processes, with canary children whose name, date of birth, UPN and address appear
nowhere else: an officer enters a referral with the form (casework -> intake's internal API), first with a
mistyped UPN that intake refuses; a school sends a leaver with two PDFs whose file names and submission id carry
the child's name, and an officer downloads both; a match review is decided "same child" in the officers' UI with
the child's name in the reason, then undone; reporting's read model is rebuilt from the topics (the command's
output kept with the logs), and the pack (page, PDF, CSV) and the DfE return are fetched through the UI. Then no
canary may be in any process's log file or any exported span. Every person here is invented.
"""

import asyncio
import json
import random
import re
import string
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.casework.domain.access import Role
from tests.e2e.test_merges import review_for
from tests.e2e.test_missing_mondays import Officer, add_people, signed_in
from tests.e2e.test_submission_types import open_case
from tests.support.documents import pdf_bytes
from tests.support.otlp import OtlpReceiver
from tests.support.personal_data import personal_data_found
from tests.support.submissions import leaver, valid_upn
from tests.support.suite import RunningSuite
from tests.support.waiting import eventually

# Four flows and a rebuild replaying every topic of the package's suite (after the fault matrix's stream), and,
# run alone, the suite's start: longer than the default 300 s on a loaded 2-core machine.
pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(900)]


def canary_word() -> str:
    """Letters only (the form's name rules), and unlikely anywhere but in this test's records."""
    return "Canary" + "".join(random.choices(string.ascii_lowercase, k=8))


def canary_child() -> dict[str, Any]:
    """A child whose every identifying detail is a canary: no other test (or log line) can carry it."""
    today = datetime.now(UTC).date()
    return {
        "given_name": canary_word(),
        "family_name": canary_word(),
        "date_of_birth": (today.replace(year=today.year - 9) - timedelta(days=random.randint(0, 300))).isoformat(),
        "sex": "F",
        "upn": valid_upn(),
        "address": {"line1": f"{random.randint(1, 99)} {canary_word()} Row", "town": "Worcester",
                    "postcode": "WR5 2NP"},
    }


def secrets_of(child: dict[str, Any]) -> list[str]:
    return [child["given_name"], child["family_name"], child["date_of_birth"], child["upn"] or "",
            child["address"]["line1"]]


def mistyped(upn: str) -> str:
    """The UPN with another check letter: the right shape, which intake's check refuses."""
    return ("B" if upn[0] != "B" else "C") + upn[1:]


async def enter_referral(officer: Officer, child: dict[str, Any]) -> str:
    """The officers' referral form, page by page, first with a mistyped UPN; the submission id intake gave."""
    born = datetime.fromisoformat(child["date_of_birth"])
    answers: list[tuple[str, dict[str, Any]]] = [
        ("how-received", {"received_by": "phone"}),
        ("referrer", {"referrer_type": "police"}),
        ("referrer-details", {"referrer_name": "PC Invented", "referrer_organisation": "West Mercia Police",
                              "referrer_phone": "01905 000222"}),
        ("child-name", {"given_name": child["given_name"], "family_name": child["family_name"]}),
        ("child-dob", {"dob_day": str(born.day), "dob_month": str(born.month), "dob_year": str(born.year)}),
        ("child-gender", {"sex": "F"}),
        ("child-address", {"address_line1": child["address"]["line1"], "town": "Worcester", "postcode": "WR5 2NP"}),
        ("child-upn", {"upn": mistyped(child["upn"])}),
        ("child-school", {"school_id": "", "school_name": ""}),
        # Free text where an officer writes the child's name and UPN again: a place they should not be, logged or not.
        ("concern", {"concern": f"{child['given_name']} {child['family_name']} ({child['upn']}) has no school place"}),
        ("safeguarding", {"safeguarding": ["safeguarding_concern"]}),
    ]
    started = await officer.post("/referrals/new", "/referrals/new", {})
    assert started.status_code == 303, started.text
    location = started.headers["location"]
    draft = location.rsplit("/", 1)[0]
    for step, given in answers:
        assert location == f"{draft}/{step}"
        answered = await officer.post(location, location, given)
        assert answered.status_code == 303, (step, answered.text)
        location = answered.headers["location"]
    assert location == f"{draft}/check"
    refused = await officer.post(f"{draft}/check", f"{draft}/check", {})
    assert refused.headers["location"] == f"{draft}/child-upn"  # intake refused the check letter
    corrected = await officer.post(f"{draft}/child-upn", f"{draft}/child-upn", {"upn": child["upn"]})
    assert corrected.headers["location"] == f"{draft}/check"
    sent = await officer.post(f"{draft}/check", f"{draft}/check", {})
    assert sent.status_code == 303 and "/referrals/submitted/" in sent.headers["location"], sent.text
    assert (await officer.get(sent.headers["location"])).status_code == 200
    return str(sent.headers["location"].rsplit("/", 1)[1])


async def send_leaver_with_named_documents(suite: RunningSuite, child: dict[str, Any]) -> dict[str, Any]:
    """A leaver whose submission id and document file names carry the child's name, as careless systems do."""
    submission = leaver(child=child, leaving_reason="8(1)(e)")
    submission["submission_id"] = f"{child['family_name']}-{child['upn']}-{random.randint(0, 10**6)}"
    del submission["documents"]
    named = f"{child['given_name']}_{child['family_name']}_{child['date_of_birth']}"
    parts: list[tuple[str, tuple[str, bytes, str]]] = [
        ("submission", ("leaver.json", json.dumps(submission).encode(), "application/json")),
        ("derolling_checklist", (f"{named}_checklist.pdf", pdf_bytes(pages=1), "application/pdf")),
        ("learner_profile", (f"{named}_profile.pdf", pdf_bytes(pages=2), "application/pdf")),
    ]
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(suite.url("intake", "/api/v1/submissions/leaver/with-documents"), files=parts)
    assert response.status_code == 202, response.text
    accepted: dict[str, Any] = response.json()
    return accepted


async def submit(suite: RunningSuite, submission: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(suite.url("intake", "/api/v1/submissions/leaver"), json=submission)
    assert response.status_code == 202, response.text
    accepted: dict[str, Any] = response.json()
    return accepted


async def rebuild_reporting(suite: RunningSuite) -> None:
    """`python -m services.reporting rebuild` as an operator runs it (the service stopped), its output kept beside
    the processes' logs so the scan reads it too."""
    suite.supervisor.stop("reporting")
    try:
        with (suite.log_dir / "reporting-rebuild.log").open("wb") as output:
            command = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "services.reporting", "rebuild",
                env=suite.specs["reporting"].env, stdout=output, stderr=output,
            )
            assert await asyncio.wait_for(command.wait(), timeout=600) == 0
    finally:
        suite.supervisor.start("reporting")
        suite.supervisor.wait_ready(["reporting"])


async def test_no_personal_data_in_logs_or_spans_through_the_referral_form_documents_merges_and_reports(
    suite: RunningSuite, otlp: OtlpReceiver
) -> None:
    people = await add_people(suite, {"officer": (Role.LEAD_OFFICER, Role.ENGAGEMENT_MANAGER)})
    entered_child, documented_child, reviewed = canary_child(), canary_child(), canary_child()
    # Named by her middle name in the second return, with no UPN: intake keeps the two apart for review.
    reviewed["middle_names"] = canary_word()
    renamed = reviewed | {"given_name": reviewed["middle_names"], "middle_names": reviewed["given_name"],
                          "upn": None}

    async with signed_in(suite, people["officer"]) as officer:
        # 1. The officers' referral form, through intake's internal API.
        entered_id = await enter_referral(officer, entered_child)

        # 2. A leaver with documents, listed on the case and downloaded.
        accepted = await send_leaver_with_named_documents(suite, documented_child)
        case_id = (await open_case(suite, accepted["child_id"]))["case_id"]
        page = await officer.get(f"/cases/{case_id}")
        assert page.status_code == 200
        links = re.findall(rf'href="(/cases/{case_id}/documents/[0-9a-f-]+)"', page.text)
        assert len(links) == 2, page.text
        assert [(await officer.get(link)).status_code for link in links] == [200, 200]

        # 3. An identity match decided "same child" in the UI (the reason naming her), then undone.
        await submit(suite, leaver(child=reviewed))
        provisional = await submit(suite, leaver(child=renamed))
        assert provisional["identity_decision"] == "needs_review"
        review_id = (await review_for(suite, provisional["child_id"]))["review_id"]
        review_page = f"/match-reviews/{review_id}"
        assert (await officer.get(review_page)).status_code == 200
        reason = f"Same child: {reviewed['given_name']} {reviewed['family_name']}, born {reviewed['date_of_birth']}"
        decided = await officer.post(f"{review_page}/decision", review_page, {"same_child": "yes", "reason": reason})
        assert decided.status_code == 303, decided.text
        undone = await officer.post(f"{review_page}/undo", review_page,
                                    {"undo_reason": f"Twins: {renamed['given_name']} is her sister"})
        assert undone.status_code == 303, undone.text

        # 4. Reporting rebuilt from the topics (every canary's events replayed), then its reports fetched.
        await rebuild_reporting(suite)
        this_week = datetime.now(UTC).date().isoformat()
        reports = [await officer.get(path) for path in
                   ("/reports", f"/reports?week={this_week}", f"/reports/{this_week}/pdf",
                    f"/reports/{this_week}/csv")]
        assert [response.status_code for response in reports] == [200, 200, 200, 200]
        form = await officer.get("/reports/dfe-return")
        census = re.search(r'value="(\d{4}-\d{2}-\d{2})"', form.text)
        assert form.status_code == 200 and census, form.text
        dfe_return = await officer.get(f"/reports/dfe-return?census_date={census.group(1)}")
        assert dfe_return.status_code == 200, dfe_return.text

    async with httpx.AsyncClient(timeout=30) as client:
        entered = await client.get(
            suite.url("intake", f"/internal/v1/officer-referrals/{entered_id}"),
            headers={"Authorization": f"Bearer {suite.specs['casework'].env['CME_INTERNAL_API_TOKEN']}"},
        )
    assert entered.status_code == 200, entered.text  # the referral form's submission did reach intake

    secrets = [*secrets_of(entered_child), mistyped(entered_child["upn"]), *secrets_of(documented_child),
               *secrets_of(reviewed), renamed["given_name"]]

    last_requests = {("casework", "/reports/dfe-return"), ("reporting", "/internal/v1/dfe-returns/{census_date}/csv")}

    async def last_flow_exported() -> bool:
        # The DfE return's request was the last: once its spans are out (each process exports in order), so are the
        # earlier spans of these flows.
        return last_requests <= {(span.service, span.attributes.get("http.route")) for span in otlp.snapshot()}

    await eventually(last_flow_exported, timeout=30, what="the spans of the last request")
    # The scan read these flows' own lines: each flow logged (with identifiers only) where the scan looks.
    logged = {name: (suite.log_dir / f"{name}.log").read_text(errors="replace")
              for name in ("intake", "casework", "reporting-rebuild")}
    for event in ("submission rejected", "document stored", "document served", "match review decided",
                  "merge undone"):
        assert f'"event": "{event}"' in logged["intake"], event
    assert '"event": "children merged"' in logged["casework"] and '"applied"' in logged["reporting-rebuild"]
    found = personal_data_found(secrets, otlp.snapshot(), [suite.log_dir])
    assert found == [], f"personal data in {found}"
