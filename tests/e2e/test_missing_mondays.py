"""Issue 12 acceptance: Missing Mondays end to end on real Kafka, PostgreSQL and service processes.

Officers act through casework's UI (the running process, signed in through the sign-in form); the review forms
live in the review process, reached through its internal API; the signed-off decision reaches casework over Kafka.
The objection window runs a week of meeting time, which no test waits for: the one step that needs the following
meeting to have come (the chair passing the form on) runs review's own use case in this process with the clock
at that meeting, on the suite's database and topics; the time rules run through `cme run-due --as-of`.
Every person here is invented.
"""

import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import update

from contracts.events.common_v1 import Child, Safeguarding, School
from services.casework.adapters.accounts import hash_password
from services.casework.adapters.tables import users
from services.casework.app import build as build_casework
from services.casework.domain.access import Role
from services.casework.domain.case import Case
from services.casework.domain.checklist import STANDARD_CHECKS, WHEREABOUTS_UNKNOWN_CHECKS, CheckType
from services.casework.domain.records import CaseFlags, ChildSummary
from services.casework.domain.vocabulary import CheckStatus, Priority, Track
from services.casework.settings import CaseworkSettings
from services.review.domain.meeting import months_later, next_meeting_after
from tests.support.review_meeting import pass_at
from tests.support.suite import RunningSuite
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

API_TOKEN = "test-suite-token"
PASSWORD = "missing mondays e2e password"
PASSWORD_HASH = hash_password(PASSWORD)


@dataclass(frozen=True)
class Person:
    user_id: str
    email: str
    name: str


async def add_people(suite: RunningSuite, roles: dict[str, tuple[Role, ...]]) -> dict[str, Person]:
    settings = casework_settings(suite)
    components = build_casework(settings)
    people = {}
    try:
        async with components.runtime.session_factory.begin() as session:
            for key, held in roles.items():
                suffix = uuid4().hex[:8]
                person = Person(f"mm-{key}-{suffix}", f"mm-{key}-{suffix}@example.invalid", f"Invented {key} {suffix}")
                await components.accounts.add_user(session, user_id=person.user_id, email=person.email,
                                                   display_name=person.name, initials="MM", roles=list(held),
                                                   team_id=None, password=None)
                await session.execute(update(users).where(users.c.user_id == person.user_id)
                                      .values(password_hash=PASSWORD_HASH))
                people[key] = person
    finally:
        await components.runtime.engine.dispose()
    return people


def casework_settings(suite: RunningSuite) -> CaseworkSettings:
    env = suite.specs["casework"].env
    return CaseworkSettings(DATABASE_URL=env["DATABASE_URL"], KAFKA_BOOTSTRAP_SERVERS=env["KAFKA_BOOTSTRAP_SERVERS"],
                            topic_prefix=suite.topic_prefix, start_consumers=False, log_level="WARNING")


async def whereabouts_unknown_case(suite: RunningSuite, officer_id: str) -> str:
    """A case with the whole App. F checklist (whereabouts-unknown group included), stored through casework."""
    now = datetime.now(UTC)
    opened = now - timedelta(days=10)
    case = Case.open(
        case_id=str(uuid4()), child_id=str(uuid4()), referral_id=str(uuid4()), priority=Priority.P2,
        track=Track.CME_ENQUIRY, due_date=now.date() + timedelta(days=10), opened_at=opened,
        child_summary=ChildSummary(given_name="Invented", family_name=f"Mondays{uuid4().hex[:6]}",
                                   date_of_birth=date(now.year - 10, 4, 17), school_name="Fictional Primary",
                                   school_id="8852001"),
        flags=CaseFlags(whereabouts_unknown=True),
    )
    case.allocate(officer_id, "e2e", opened + timedelta(hours=1))
    worked = opened + timedelta(days=1)
    for check in (*STANDARD_CHECKS, *WHEREABOUTS_UNKNOWN_CHECKS):
        case.record_check(check, CheckStatus.DONE, on=worked.date(), officer_id=officer_id, officer_initials="MM",
                          outcome="No trace", note="", at=worked,
                          school_safeguarding_concern=False if check is CheckType.LEAVER_FORM_OR_SCHOOL_DISCUSSION
                          else None)
    components = build_casework(casework_settings(suite))
    try:
        async with components.runtime.session_factory.begin() as session:
            await components.service.open_case(session, case, Child(given_name="Invented", family_name="Child"),
                                               School(establishment_id="8852001", name="Fictional Primary"),
                                               Safeguarding())
    finally:
        await components.runtime.engine.dispose()
    return case.case_id


class Officer:
    """A person signed in to the running casework UI."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    @staticmethod
    def token_in(html: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert found, "no anti-forgery token on the page"
        return found.group(1)

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def post(self, path: str, form_page: str, fields: dict[str, str]) -> httpx.Response:
        page = await self.client.get(form_page)
        data = {"csrf_token": self.token_in(page.text), **fields}
        version = re.search(r'name="version" value="(\d+)"', page.text)
        if version:
            data.setdefault("version", version.group(1))
        return await self.client.post(path, data=data)


@asynccontextmanager
async def signed_in(suite: RunningSuite, person: Person) -> AsyncIterator[Officer]:
    async with httpx.AsyncClient(base_url=suite.url("casework"), timeout=30) as client:
        page = await client.get("/sign-in")
        response = await client.post("/sign-in", data={"email": person.email, "password": PASSWORD,
                                                        "csrf_token": Officer.token_in(page.text), "next": "/"})
        assert response.status_code == 303, response.text
        yield Officer(client)


async def api_case(suite: RunningSuite, case_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30, headers={"Authorization": f"Bearer {API_TOKEN}"}) as client:
        response = await client.get(suite.url("casework", f"/api/v1/cases/{case_id}"))
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def review_id_on(html: str) -> str:
    found = re.search(r'name="review_id" value="([^"]+)"', html)
    assert found, "no review form on the page"
    return found.group(1)


async def escalate(officer: Officer, case_id: str, cme: int, safeguarding: int) -> None:
    response = await officer.post(f"/cases/{case_id}/escalate", f"/cases/{case_id}/escalate", {
        "kind": "missing_mondays", "cme_score": str(cme), "safeguarding_score": str(safeguarding),
        "note": "Whereabouts unknown after every check"})
    assert response.status_code == 303, response.text


async def on_agenda(officer: Officer, case_id: str, meeting: date) -> str:
    async def probe() -> str | None:
        page = await officer.get(f"/missing-mondays?meeting={meeting.isoformat()}")
        return page.text if f"/missing-mondays/cases/{case_id}" in page.text else None

    return await eventually(probe, timeout=60, what=f"the case on the agenda of {meeting}")


async def score(chair: Officer, case_id: str, cme: int, safeguarding: int, recommendation: str) -> None:
    form_page = f"/missing-mondays/cases/{case_id}"
    page = await chair.get(form_page)
    response = await chair.post(f"{form_page}/score", form_page, {
        "review_id": review_id_on(page.text), "cme_score": str(cme), "safeguarding_score": str(safeguarding),
        "attendees": "Invented Lead (CME)\nInvented Worker (social care)", "comments": "Every check exhausted",
        "recommendation": recommendation})
    assert response.status_code == 303, response.text


async def wait_for_form(officer: Officer, case_id: str, text: str) -> str:
    async def probe() -> str | None:
        page = await officer.get(f"/missing-mondays/cases/{case_id}")
        return page.text if text in page.text else None

    return await eventually(probe, timeout=60, what=f"the review form showing {text!r}")


async def test_a_low_risk_case_goes_through_the_meeting_a_concern_and_sign_off_and_closes(suite: RunningSuite) -> None:
    people = await add_people(suite, {
        "manager": (Role.ENGAGEMENT_MANAGER, Role.SENIOR_OFFICER),  # escalates; also holds the senior role
        "lead": (Role.LEAD_OFFICER,), "senior": (Role.SENIOR_OFFICER,), "officer": (Role.CME_OFFICER,)})
    case_id = await whereabouts_unknown_case(suite, people["officer"].user_id)
    first = next_meeting_after(datetime.now(UTC).date())
    following = first + timedelta(days=7)

    async with (signed_in(suite, people["manager"]) as manager, signed_in(suite, people["lead"]) as lead,
                signed_in(suite, people["senior"]) as senior):
        await escalate(manager, case_id, 4, 1)
        agenda = await on_agenda(lead, case_id, first)
        assert "Escalated as whereabouts unknown" in agenda and "Not yet scored" in agenda

        await score(lead, case_id, 4, 1, "close")
        circulated = await wait_for_form(lead, case_id, "Circulated: open for concerns")
        assert "LO. Low risk" in circulated
        form_page = f"/missing-mondays/cases/{case_id}"
        concern = await senior.post(f"{form_page}/concerns", form_page, {
            "review_id": review_id_on(circulated), "team": "Social care", "text": "A sibling may have been seen"})
        assert concern.status_code == 303, concern.text
        agenda = await on_agenda(lead, case_id, following)
        assert "Concern raised" in agenda

        await score(lead, case_id, 4, 1, "close")
        refused = await lead.post(f"{form_page}/pass-to-senior-officer", form_page,
                                  {"review_id": review_id_on((await lead.get(form_page)).text)})
        assert refused.status_code == 400
        assert "open until the meeting of" in refused.text
        await pass_at(suite, case_id, people["lead"].user_id, following + timedelta(days=7))

        queue = await senior.get("/missing-mondays/sign-off")
        assert f"/missing-mondays/cases/{case_id}" in queue.text
        own = await manager.post(f"{form_page}/sign-off", form_page, {
            "review_id": review_id_on((await manager.get(form_page)).text), "decision": "close",
            "role": "Assistant Director"})
        assert own.status_code == 400
        assert "The officer who escalated the case cannot sign off its review" in own.text
        signed = await senior.post(f"{form_page}/sign-off", form_page, {
            "review_id": review_id_on((await senior.get(form_page)).text), "decision": "close",
            "role": "Assistant Director", "comments": "No concerns remain"})
        assert signed.status_code == 303, signed.text

    async def closed() -> dict[str, Any] | None:
        case = await api_case(suite, case_id)
        return case if case["status"] == "closed" else None

    case = await eventually(closed, timeout=60, what="casework closing the case after the sign-off")
    kinds = [entry["kind"] for entry in case["timeline"]]
    for step in ("case.escalated", "review.agenda_item_added", "review.scored", "review.concern_raised",
                 "review.passed_to_senior_officer", "case.review_decision_applied", "case.closed"):
        assert step in kinds, (step, kinds)
    assert kinds.count("review.scored") == 2
    closing = next(entry for entry in case["timeline"] if entry["kind"] == "case.closed")
    assert closing["summary"] == "Case closed: whereabouts unknown, closed after Missing Mondays review"


async def run_due(suite: RunningSuite, as_of: datetime) -> dict[str, Any]:
    """`cme run-due`, which runs each service's rules; returns review's summary line (logs are JSON lines too)."""
    command = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cme_cli", "run-due", "--as-of", as_of.isoformat(),
        env=dict(suite.specs["review"].env), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(command.communicate(), timeout=120)
    assert command.returncode == 0, stderr.decode()
    summaries = [json.loads(line) for line in stdout.decode().splitlines() if line.startswith('{"as_of"')]
    [review] = [summary for summary in summaries if "further_reviews" in summary]
    assert any("expired" in summary for summary in summaries), "triage's rules ran too"
    return review


async def test_a_high_risk_case_stays_open_is_rechecked_and_comes_back_a_year_on(suite: RunningSuite) -> None:
    people = await add_people(suite, {"manager": (Role.ENGAGEMENT_MANAGER,), "lead": (Role.LEAD_OFFICER,),
                                      "senior": (Role.SENIOR_OFFICER,), "officer": (Role.CME_OFFICER,)})
    case_id = await whereabouts_unknown_case(suite, people["officer"].user_id)
    first = next_meeting_after(datetime.now(UTC).date())

    async with (signed_in(suite, people["manager"]) as manager, signed_in(suite, people["lead"]) as lead,
                signed_in(suite, people["senior"]) as senior):
        await escalate(manager, case_id, 5, 5)
        await on_agenda(lead, case_id, first)
        await score(lead, case_id, 5, 5, "remain_open")
        await wait_for_form(lead, case_id, "HI. High risk")
        await pass_at(suite, case_id, people["lead"].user_id, first + timedelta(days=7))
        form_page = f"/missing-mondays/cases/{case_id}"
        page = await wait_for_form(senior, case_id, "Sign off the decision")
        assert 'value="close"' not in page, "a HI case is never offered closure"
        signed = await senior.post(f"{form_page}/sign-off", form_page, {
            "review_id": review_id_on(page), "decision": "remain_open", "role": "Assistant Director"})
        assert signed.status_code == 303, signed.text

        next_review = months_later(first, 12)

        async def kept_open() -> dict[str, Any] | None:
            case = await api_case(suite, case_id)
            return case if any(e["kind"] == "case.review_decision_applied" for e in case["timeline"]) else None

        case = await eventually(kept_open, timeout=60, what="casework applying the remain-open decision")
        assert case["status"] != "closed"
        assert case["officer_id"] == people["lead"].user_id
        applied = next(e for e in case["timeline"] if e["kind"] == "case.review_decision_applied")
        assert f"next review {next_review.isoformat()}" in applied["summary"]
        case_page = await lead.get(f"/cases/{case_id}")
        assert 'id="reviews"' in case_page.text and "Keep open" in case_page.text

        five_weeks_on = datetime.combine(datetime.now(UTC).date() + timedelta(weeks=5), time(9), UTC)
        review_run = await run_due(suite, five_weeks_on)
        assert (review_run["rechecks"], review_run["further_reviews"]) == (1, 0)
        year_on = datetime.combine(next_review + timedelta(days=1), time(9), UTC)
        review_run = await run_due(suite, year_on)
        assert review_run["further_reviews"] == 1
        assert review_run["rechecks"] >= 10
        agenda = await on_agenda(lead, case_id, next_meeting_after(year_on.date() - timedelta(days=1)))
        assert "Further review (12 months)" in agenda

        async def rechecks_on_timeline() -> list[str] | None:
            timeline = (await api_case(suite, case_id))["timeline"]
            found = [e["summary"] for e in timeline if e["kind"] == "case.recheck_due"]
            return found if len(found) >= 2 else None

        summaries = await eventually(rechecks_on_timeline, timeout=60, what="re-check tasks on the case timeline")
        assert summaries[0].startswith("Periodic re-check due")

        async def pending_again() -> dict[str, Any] | None:
            case = await api_case(suite, case_id)
            kinds = [entry["kind"] for entry in case["timeline"]]
            return case if "case.back_on_missing_mondays_agenda" in kinds else None

        # Casework hears the further review and holds the case as pending a Missing Mondays decision again.
        await eventually(pending_again, timeout=60, what="the case back on the Missing Mondays agenda")
