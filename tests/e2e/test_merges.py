"""Issue 8 item 3 acceptance: intake's merges reach casework, on real Kafka, PostgreSQL and service processes.

Two leaver returns for one child that intake first keeps apart (she is named by her middle name in one) open two
cases; the admin API decides "same child" and one open case remains, showing both timelines; the undo makes two
cases again. Then three returns on the intake topic whose permanent UPN proves two kept-apart records one child
merge automatically, leaving one open case. Every person here is invented.
"""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import update

from contracts import topics
from contracts.events.intake_v1 import LeaverSubmitted
from services.casework.adapters.accounts import hash_password
from services.casework.adapters.tables import users
from services.casework.app import build as build_casework
from services.casework.domain.access import Role
from services.casework.settings import CaseworkSettings
from tests.support.kafka import publish_event
from tests.support.submissions import leaver
from tests.support.suite import RunningSuite
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

API = {"Authorization": "Bearer test-suite-token"}
ADMIN = {"X-API-Key": "test-suite-admin-key"}
PASSWORD = "merges e2e password"


async def submit(suite: RunningSuite, submission: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(suite.url("intake", "/api/v1/submissions/leaver"), json=submission)
    assert response.status_code == 202, response.text
    accepted: dict[str, Any] = response.json()
    return accepted


async def cases_of(suite: RunningSuite, child_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=30, headers=API) as client:
        response = await client.get(suite.url("casework", "/api/v1/cases"), params={"child_id": child_id})
    response.raise_for_status()
    return list(response.json()["cases"])


async def case_detail(suite: RunningSuite, case_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30, headers=API) as client:
        response = await client.get(suite.url("casework", f"/api/v1/cases/{case_id}"))
    response.raise_for_status()
    found: dict[str, Any] = response.json()
    return found


async def open_cases(suite: RunningSuite, *child_ids: str) -> list[dict[str, Any]]:
    return [case for child_id in child_ids for case in await cases_of(suite, child_id) if case["status"] != "closed"]


async def one_case_each(suite: RunningSuite, *child_ids: str) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        found = [await cases_of(suite, child_id) for child_id in child_ids]
        return [cases[0] for cases in found] if all(len(cases) == 1 for cases in found) else None

    return await eventually(probe, timeout=90, what="a case for each child")


async def status_of(suite: RunningSuite, case_id: str, status: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        detail = await case_detail(suite, case_id)
        return detail if detail["status"] == status else None

    return await eventually(probe, timeout=90, what=f"case {status}")


async def review_for(suite: RunningSuite, child_id: str, status: str = "open") -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30, headers=ADMIN) as client:
        response = await client.get(
            suite.url("intake", "/api/v1/match-reviews"), params={"status": status, "limit": 500}
        )
    response.raise_for_status()
    found: dict[str, Any] = next(review for review in response.json()["reviews"] if review["child_id"] == child_id)
    return found


@asynccontextmanager
async def signed_in_manager(suite: RunningSuite) -> AsyncIterator[httpx.AsyncClient]:
    """A group manager (sees every case) signed in to the running casework UI."""
    env = suite.specs["casework"].env
    settings = CaseworkSettings(
        DATABASE_URL=env["DATABASE_URL"],
        KAFKA_BOOTSTRAP_SERVERS=env["KAFKA_BOOTSTRAP_SERVERS"],
        topic_prefix=suite.topic_prefix,
        start_consumers=False,
        log_level="WARNING",
    )
    components = build_casework(settings)
    suffix = uuid4().hex[:8]
    user_id, email = f"merges-{suffix}", f"merges-{suffix}@example.invalid"
    try:
        async with components.runtime.session_factory.begin() as session:
            await components.accounts.add_user(
                session,
                user_id=user_id,
                email=email,
                display_name=f"Invented {suffix}",
                initials="IM",
                roles=[Role.GROUP_MANAGER],
                team_id=None,
                password=None,
            )
            await session.execute(
                update(users).where(users.c.user_id == user_id).values(password_hash=hash_password(PASSWORD))
            )
    finally:
        await components.runtime.engine.dispose()
    async with httpx.AsyncClient(base_url=suite.url("casework"), timeout=30) as client:
        page = await client.get("/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        response = await client.post(
            "/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"}
        )
        assert response.status_code == 303, response.text
        yield client


async def test_a_confirmed_match_review_leaves_one_open_case_with_both_timelines_and_the_undo_splits_them(
    suite: RunningSuite,
) -> None:
    first = leaver()
    first["child"] |= {"given_name": "Grace", "middle_names": "Isla Grace"}
    second = leaver(child=first["child"] | {"given_name": "Isla", "middle_names": "Grace", "upn": None})
    existing = await submit(suite, first)
    provisional = await submit(suite, second)
    assert provisional["identity_decision"] == "needs_review"
    # The earliest-opened case survives, whichever child intake keeps.
    older, newer = sorted(
        await one_case_each(suite, existing["child_id"], provisional["child_id"]), key=lambda case: case["opened_at"]
    )
    assert len(await open_cases(suite, existing["child_id"], provisional["child_id"])) == 2
    review = await review_for(suite, provisional["child_id"])

    async with httpx.AsyncClient(timeout=30, headers=ADMIN) as client:
        decided = await client.post(
            suite.url("intake", f"/api/v1/match-reviews/{review['review_id']}/decision"),
            json={"decision": "confirm", "decided_by": "officer-7", "reason": "Same child: school records agree"},
        )
    assert decided.status_code == 200, decided.text
    merged = await status_of(suite, newer["case_id"], "closed")

    survivor = await case_detail(suite, older["case_id"])
    assert [case["case_id"] for case in await open_cases(suite, existing["child_id"], provisional["child_id"])] == [
        older["case_id"]
    ]
    assert f"Case {newer['reference']} merged into this case" in [
        entry["summary"].split(":")[0] for entry in survivor["timeline"]
    ]
    assert f"Merged into case {older['reference']}" in [entry["summary"].split(":")[0] for entry in merged["timeline"]]
    # The merged case keeps its own entries, and the surviving case's page shows them under the merged reference.
    assert any(entry["kind"] == "case.opened" for entry in merged["timeline"])
    async with signed_in_manager(suite) as officer:
        survivor_page = (await officer.get(f"/cases/{older['case_id']}")).text
        merged_page = (await officer.get(f"/cases/{newer['case_id']}")).text
    assert "Also known as" in survivor_page
    assert f"Timeline of merged case {newer['reference']}" in survivor_page
    assert f"Case {newer['reference']}," in survivor_page  # each merged entry says which case it came from
    assert 'id="merged-banner"' in merged_page
    assert older["reference"] in merged_page

    async with httpx.AsyncClient(timeout=30, headers=ADMIN) as client:
        undone = await client.post(
            suite.url("intake", f"/api/v1/merges/{decided.json()['merge_id']}/undo"),
            json={"reason": "Twins after all", "decided_by": "officer-9"},
        )
    assert undone.status_code == 200, undone.text
    reopened = await status_of(suite, newer["case_id"], newer["status"])

    assert reopened["closed_at"] is None
    assert len(await open_cases(suite, existing["child_id"], provisional["child_id"])) == 2
    assert any(entry["summary"].startswith("Merge with case") for entry in reopened["timeline"])


async def test_a_permanent_upn_proving_two_records_one_child_merges_them_through_kafka_into_one_open_case(
    suite: RunningSuite,
) -> None:
    first = leaver()
    child = first["child"]
    mistyped = child | {
        "date_of_birth": (date.fromisoformat(child["date_of_birth"]) - timedelta(days=800)).isoformat(),
        "sex": "M",
    }
    submissions = [first, leaver(child=mistyped), leaver(child=child | {"sex": "M"})]
    for submission in submissions[:2]:
        event = LeaverSubmitted.model_validate(submission)
        await publish_event(suite.kafka, suite.topic(topics.INTAKE_LEAVER), event, key=event.submission_id)

    async def two_children() -> list[str] | None:
        async with httpx.AsyncClient(timeout=30, headers=ADMIN) as client:
            response = await client.get(suite.url("intake", "/api/v1/match-reviews"), params={"limit": 500})
        reviews = [
            review
            for review in response.json()["reviews"]
            if review["submission_id"] == submissions[1]["submission_id"]
        ]
        return [reviews[0]["proposed_child_id"], reviews[0]["child_id"]] if reviews else None

    kept, apart = await eventually(two_children, timeout=90, what="two children kept apart")
    older, _ = sorted(await one_case_each(suite, kept, apart), key=lambda case: case["opened_at"])
    assert len(await open_cases(suite, kept, apart)) == 2

    bridging = LeaverSubmitted.model_validate(submissions[2])
    await publish_event(suite.kafka, suite.topic(topics.INTAKE_LEAVER), bridging, key=bridging.submission_id)

    async def merged() -> list[dict[str, Any]] | None:
        remaining = await open_cases(suite, kept, apart)
        return remaining if len(remaining) == 1 else None

    [remaining] = await eventually(merged, timeout=90, what="one open case")
    assert remaining["case_id"] == older["case_id"]
    assert (await review_for(suite, apart, status="confirmed"))["decided_by"] == "automatic"
