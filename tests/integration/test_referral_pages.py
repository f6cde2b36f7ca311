"""The officers' referral form and match-review pages, in casework's app, talking over HTTP to a real intake (served
on a local port, with the service token) on the real PostgreSQL: every POST carries the session's anti-forgery
token, intake's problems land on the question they are about, the referral is recorded as the officer's, a match
review is decided "same child" and undone, and every view and decision is in the audit log."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from services.casework.adapters.tables import audit_log
from services.casework.domain.access import Role
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from tests.browser.intake_records import invented_surname
from tests.integration.casework_security_support import (
    add_user,
    casework_settings,
    client_for,
    running_app,
    session_factory,
    start_session,
)
from tests.integration.test_intake_api import uncertain_review
from tests.support.infrastructure import Infrastructure
from tests.support.submissions import valid_upn
from tests.support.suite import free_port
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

TOKEN = f"pages-token-{uuid4().hex}"
SESSION_COOKIE = "__Host-cme-session"


@pytest.fixture(scope="module")
async def intake_url(migrated: Infrastructure) -> AsyncIterator[str]:
    port = free_port()
    app = create_intake(IntakeSettings(DATABASE_URL=migrated.database_url, internal_api_token=TOKEN))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())

    async def started() -> bool | None:
        return server.started or None

    await eventually(started, timeout=30, what="intake listening")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture(scope="module")
async def app(migrated: Infrastructure, intake_url: str) -> AsyncIterator[FastAPI]:
    settings = casework_settings(migrated, intake_api_url=intake_url, internal_api_token=TOKEN)
    async with running_app(settings) as running:
        yield running


class Officer:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient, user_id: str, csrf: str) -> None:
        self.app, self.client, self.user_id, self.csrf = app, client, user_id, csrf

    async def post(self, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
        return await self.client.post(path, data={"csrf_token": self.csrf, **(data or {})})


async def officer(app: FastAPI, role: Role = Role.CME_OFFICER) -> Officer:
    user = await add_user(app, role, team_id="pages-team")
    token, csrf = await start_session(app, user)
    client = client_for(app)
    client.cookies.set(SESSION_COOKIE, token)
    return Officer(app, client, user.user_id, csrf)


async def audited(app: FastAPI, actor: str) -> list[tuple[str, str, str]]:
    async with session_factory(app)() as session:
        rows = await session.execute(
            select(audit_log.c.action, audit_log.c.record_type, audit_log.c.record_id)
            .where(audit_log.c.actor_id == actor).order_by(audit_log.c.seq)
        )
    return [(action, kind, record) for action, kind, record in rows]


def answers(family_name: str, upn: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("how-received", {"received_by": "phone"}),
        ("referrer", {"referrer_type": "police"}),
        ("referrer-details", {"referrer_name": "PC Invented", "referrer_organisation": "West Mercia Police",
                              "referrer_phone": "01905 000222"}),
        ("child-name", {"given_name": "Mia", "family_name": family_name}),
        ("child-dob", {"dob_day": "2", "dob_month": "11", "dob_year": "2013"}),
        ("child-gender", {"sex": "F"}),
        ("child-address", {"address_line1": "5 Invented Lane", "town": "Worcester", "postcode": "WR2 4AB"}),
        ("child-upn", {"upn": upn}),
        ("child-school", {"school_id": "", "school_name": ""}),
        ("concern", {"concern": "Found during a welfare visit; says she has no school place"}),
        ("safeguarding", {"safeguarding": ["safeguarding_concern", "child_in_need"]}),
    ]


async def test_an_officer_enters_a_referral_page_by_page_and_intake_records_it_as_theirs(
    app: FastAPI, intake_url: str
) -> None:
    me = await officer(app)
    upn = valid_upn()
    wrong_check_letter = ("B" if upn[0] != "B" else "C") + upn[1:]
    started = await me.post("/referrals/new")
    draft = started.headers["location"].rsplit("/", 1)[0]
    without_token = await me.client.post(f"{draft}/how-received", data={"received_by": "phone"})
    empty = await me.post(f"{draft}/how-received")
    location = started.headers["location"]
    for step, given in answers(invented_surname(), wrong_check_letter):
        assert location == f"{draft}/{step}"
        assert (await me.client.get(location)).status_code == 200
        answered = await me.post(location, given)
        assert answered.status_code == 303, (step, answered.text)
        location = answered.headers["location"]
    assert location == f"{draft}/check"
    check_page = await me.client.get(location)
    rejected = await me.post(f"{draft}/check")
    upn_page = await me.client.get(rejected.headers["location"])
    corrected = await me.post(f"{draft}/child-upn", {"upn": upn})
    sent = await me.post(f"{draft}/check")
    confirmation = await me.client.get(sent.headers["location"])
    another = await officer(app)
    not_theirs = await another.client.get(sent.headers["location"])
    draft_after = await me.client.get(f"{draft}/check")
    submission_id = sent.headers["location"].rsplit("/", 1)[1]
    async with httpx.AsyncClient(base_url=intake_url, headers={"Authorization": f"Bearer {TOKEN}"}) as intake:
        entered = (await intake.get(f"/internal/v1/officer-referrals/{submission_id}")).json()

    assert started.status_code == 303
    assert without_token.status_code == 403
    assert empty.status_code == 400 and "Select how the referral was received" in empty.text
    assert "PC Invented; West Mercia Police; 01905 000222" in check_page.text
    assert rejected.headers["location"] == f"{draft}/child-upn"
    assert 'class="govuk-error-summary' in upn_page.text and 'href="#upn"' in upn_page.text
    assert corrected.headers["location"] == f"{draft}/check"
    assert sent.status_code == 303 and submission_id.startswith("officer-")
    assert confirmation.status_code == 200 and submission_id in confirmation.text
    assert not_theirs.status_code == 404
    assert draft_after.status_code == 404  # the draft, with the child's details, is gone once sent
    assert (entered["entered_by"], entered["received_by_channel"], entered["referrer_type"]) == (
        me.user_id, "phone", "police")
    actions = [action for action, _, _ in await audited(app, me.user_id)]
    assert actions[0] == "referral.draft_started"
    assert {"referral.draft_viewed", "referral.draft_answered", "referral.rejected_by_intake",
            "referral.entered", "referral.confirmation_viewed"} <= set(actions)
    assert ("referral.entered", "child", entered["child_id"]) in await audited(app, me.user_id)


async def test_a_match_review_is_decided_same_child_then_undone_and_audited_as_both_children(
    app: FastAPI, intake_url: str, migrated: Infrastructure
) -> None:
    intake_app = create_intake(IntakeSettings(DATABASE_URL=migrated.database_url))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=intake_app), base_url="http://i") as client:
            existing, provisional = await uncertain_review(client)
    finally:
        await intake_app.state.runtime.engine.dispose()
    me = await officer(app, Role.ENGAGEMENT_MANAGER)
    listing = await me.client.get("/match-reviews")
    async with httpx.AsyncClient(base_url=intake_url, headers={"Authorization": f"Bearer {TOKEN}"}) as intake:
        reviews = (await intake.get("/internal/v1/match-reviews")).json()
    review_id = next(item["review_id"] for item in reviews if item["child_id"] == provisional["child_id"])
    page = f"/match-reviews/{review_id}"
    shown = await me.client.get(page)
    incomplete = await me.post(f"{page}/decision", {"same_child": "yes"})
    decided = await me.post(f"{page}/decision", {"same_child": "yes", "reason": "Same school, same family"})
    after_decision = await me.client.get(decided.headers["location"])
    undone = await me.post(f"{page}/undo", {"undo_reason": "Twins"})
    after_undo = await me.client.get(undone.headers["location"])
    lead = await officer(app, Role.LEAD_OFFICER)
    not_allowed = await lead.client.get(page)

    # The queue is oldest first (the database holds other tests' reviews too): every one intake lists is a row.
    assert listing.status_code == 200
    assert [f'href="/match-reviews/{item["review_id"]}"' in listing.text for item in reviews] == [True] * len(reviews)
    assert shown.status_code == 200 and "Is this the same child?" in shown.text
    assert incomplete.status_code == 400 and "Enter the reason for your decision" in incomplete.text
    assert decided.status_code == 303
    assert '<strong id="status">Same child</strong>' in after_decision.text
    assert "Undo this decision" in after_decision.text
    assert undone.status_code == 303
    assert '<strong id="status">To decide</strong>' in after_undo.text
    assert not_allowed.status_code == 403
    entries = await audited(app, me.user_id)
    both = {("child", existing["child_id"]), ("child", provisional["child_id"])}
    for action in ("match_review.viewed", "match_review.decided", "match_review.undone"):
        assert {(kind, record) for done, kind, record in entries if done == action} == both
