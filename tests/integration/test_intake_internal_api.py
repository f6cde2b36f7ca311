"""Intake's internal API for casework's officers' UI, in-process against the real PostgreSQL: the service token,
referrals officers enter (through the same checks as the public API, recorded with who entered them), the form's
drafts, and match reviews decided and undone. Kafka is not needed: the outbox is read from the database."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from tests.integration.test_intake_api import uncertain_review
from tests.support.infrastructure import Infrastructure
from tests.support.intake import intake_client as intake
from tests.support.submissions import fictional_postcode, fictional_surname, leaver, valid_upn

pytestmark = pytest.mark.integration

TOKEN = f"internal-token-{uuid4().hex}"
SERVICE = {"Authorization": f"Bearer {TOKEN}"}



def phone_referral(**changes: Any) -> dict[str, Any]:
    """A member of the public's referral as the officer's form sends it; every person here is invented."""
    child = {
        "given_name": "Ivy",
        "family_name": fictional_surname(),
        "date_of_birth": "2015-05-17",
        "sex": "F",
        "upn": valid_upn(),
        "address": {
            "line1": f"{uuid4().int % 900 + 1} Example Row",
            "town": "Worcester",
            "postcode": fictional_postcode(),
        },
    }
    return {
        "submission_type": "professional_referral",
        "submission_id": f"officer-{uuid4()}",
        "submitted_at": datetime.now(UTC).isoformat(),
        "referrer": {"organisation_type": "member_of_public", "name": "A Neighbour", "phone": "07700 900123"},
        "child": child | changes.pop("child", {}),
        "concern": "Not seen going to school since the family moved in",
    } | changes


async def test_the_internal_api_answers_only_to_the_service_token_and_is_absent_without_one(
    migrated: Infrastructure,
) -> None:
    body = {"acting_user": "officer-1", "received_by_channel": "phone", "submission": phone_referral()}
    async with intake(migrated) as unconfigured:
        absent = await unconfigured.post("/internal/v1/officer-referrals", json=body, headers=SERVICE)
        absent_reviews = await unconfigured.get("/internal/v1/match-reviews", headers=SERVICE)
    async with intake(migrated, internal_api_token=TOKEN) as client:
        without = await client.post("/internal/v1/officer-referrals", json=body)
        wrong = await client.post(
            "/internal/v1/officer-referrals", json=body, headers={"Authorization": f"Bearer {TOKEN}x"}
        )
        other_scheme = await client.get("/internal/v1/match-reviews", headers={"Authorization": f"Basic {TOKEN}"})
        right = await client.get("/internal/v1/match-reviews", headers=SERVICE)

    assert (absent.status_code, absent_reviews.status_code) == (404, 404)
    assert (without.status_code, wrong.status_code, other_scheme.status_code) == (401, 401, 401)
    assert right.status_code == 200


async def test_a_referral_an_officer_entered_is_accepted_and_recorded_with_who_took_it_and_how(
    migrated: Infrastructure, intake_db: asyncpg.Connection
) -> None:
    submission = phone_referral()
    body = {"acting_user": "officer-entered-1", "received_by_channel": "phone", "submission": submission}
    async with intake(migrated, internal_api_token=TOKEN) as client:
        accepted = await client.post("/internal/v1/officer-referrals", json=body, headers=SERVICE)
        again = await client.post("/internal/v1/officer-referrals", json=body, headers=SERVICE)
        entered = await client.get(f"/internal/v1/officer-referrals/{submission['submission_id']}", headers=SERVICE)

    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["identity_decision"] == "new_child"
    assert (again.status_code, again.json()["duplicate"], again.json()["child_id"]) == (
        200,
        True,
        accepted.json()["child_id"],
    )
    assert entered.json() | {"entered_at": None} == {
        "submission_id": submission["submission_id"],
        "entered_by": "officer-entered-1",
        "received_by_channel": "phone",
        "referrer_type": "member_of_public",
        "entered_at": None,
        "child_id": accepted.json()["child_id"],
        "referral_id": accepted.json()["referral_id"],
    }
    stored = await intake_db.fetchrow(
        "SELECT s.channel, s.status, e.entered_by, e.received_by_channel FROM submissions s "
        "JOIN officer_entries e USING (submission_id) WHERE s.submission_id = $1",
        submission["submission_id"],
    )
    assert dict(stored) == {
        "channel": "officer",
        "status": "accepted",
        "entered_by": "officer-entered-1",
        "received_by_channel": "phone",
    }
    # Intake's one use case made its referral, as for every other route.
    referral = await intake_db.fetchval(
        "SELECT count(*) FROM referrals WHERE submission_id = $1", submission["submission_id"]
    )
    assert referral == 1


async def test_an_officer_entered_referral_gets_the_same_problems_as_the_public_api(
    migrated: Infrastructure,
) -> None:
    broken_rules = {
        "child": {
            "upn": "A123",
            "address": {"line1": "1 Example Row", "postcode": "NOT A CODE"},
            "date_of_birth": "2099-01-01",
        }
    }
    broken_contract = {"concern": "", "referrer": {"organisation_type": "space_agency"}}
    async with intake(migrated, internal_api_token=TOKEN) as client:
        outcomes = []
        for changes in (broken_rules, broken_contract):
            public = await client.post("/api/v1/submissions/professional_referral", json=phone_referral(**changes))
            internal = await client.post(
                "/internal/v1/officer-referrals",
                headers=SERVICE,
                json={
                    "acting_user": "officer-2",
                    "received_by_channel": "letter",
                    "submission": phone_referral(**changes),
                },
            )
            outcomes.append((public, internal))

    for public, internal in outcomes:
        assert (public.status_code, internal.status_code) == (422, 422)
        assert internal.json()["problems"] == public.json()["problems"]
        assert internal.json()["problems"]
    fields = {problem["field"] for problem in outcomes[0][1].json()["problems"]}
    assert {"child.upn", "child.address.postcode", "child.date_of_birth"} <= fields


async def test_only_the_internal_api_may_say_an_officer_entered_a_submission(migrated: Infrastructure) -> None:
    claimed = phone_referral(submitter={"name": "Someone", "entered_by": "officer-1", "received_by_channel": "phone"})
    async with intake(migrated, internal_api_token=TOKEN) as client:
        public = await client.post("/api/v1/submissions/professional_referral", json=claimed)

    assert public.status_code == 422
    assert {problem["field"] for problem in public.json()["problems"]} == {
        "submitter.entered_by",
        "submitter.received_by_channel",
    }


async def test_a_draft_is_kept_for_its_officer_only_until_deleted(migrated: Infrastructure) -> None:
    draft = f"/internal/v1/referral-drafts/{uuid4()}"
    answers = {"given_name": "Ivy", "_completed": ["how-received"]}
    async with intake(migrated, internal_api_token=TOKEN) as client:
        saved = await client.put(draft, json={"acting_user": "officer-3", "answers": answers}, headers=SERVICE)
        read = await client.get(draft, params={"acting_user": "officer-3"}, headers=SERVICE)
        by_another = await client.get(draft, params={"acting_user": "officer-4"}, headers=SERVICE)
        overwritten_by_another = await client.put(
            draft, json={"acting_user": "officer-4", "answers": {}}, headers=SERVICE
        )
        deleted = await client.delete(draft, params={"acting_user": "officer-3"}, headers=SERVICE)
        after = await client.get(draft, params={"acting_user": "officer-3"}, headers=SERVICE)

    assert saved.status_code == 200
    assert read.json()["answers"] == answers
    assert (by_another.status_code, overwritten_by_another.status_code) == (404, 404)
    assert (deleted.status_code, after.status_code) == (200, 404)


async def test_an_officer_decides_same_child_and_undoes_it_and_not_the_same_and_undoes_that(
    migrated: Infrastructure, intake_db: asyncpg.Connection
) -> None:
    async with intake(migrated, internal_api_token=TOKEN) as client:
        existing, provisional = await uncertain_review(client)
        listed = (await client.get("/internal/v1/match-reviews", headers=SERVICE)).json()
        review = next(item for item in listed if item["child_id"] == provisional["child_id"])
        path = f"/internal/v1/match-reviews/{review['review_id']}"
        shown = (await client.get(path, headers=SERVICE)).json()
        same = await client.post(
            f"{path}/decision",
            headers=SERVICE,
            json={"acting_user": "officer-5", "same_child": True, "reason": "School confirmed"},
        )
        twice = await client.post(
            f"{path}/decision",
            headers=SERVICE,
            json={"acting_user": "officer-5", "same_child": False, "reason": "Changed mind"},
        )
        undone = await client.post(
            f"{path}/undo", headers=SERVICE, json={"acting_user": "officer-6", "reason": "Twins after all"}
        )
        not_same = await client.post(
            f"{path}/decision",
            headers=SERVICE,
            json={"acting_user": "officer-6", "same_child": False, "reason": "Twins"},
        )
        reopened = await client.post(
            f"{path}/undo", headers=SERVICE, json={"acting_user": "officer-5", "reason": "Asked the school again"}
        )
        nothing_to_undo = await client.post(
            f"{path}/undo", headers=SERVICE, json={"acting_user": "officer-5", "reason": "Again"}
        )

    assert review["status"] == "open" and review["score"] is not None and review["reasons"]
    assert shown["child"]["child_id"] == provisional["child_id"]
    assert shown["proposed_child"]["child_id"] == existing["child_id"]
    assert shown["child"]["family_name"] == shown["proposed_child"]["family_name"]
    assert (same.status_code, same.json()["status"], same.json()["decided_by"]) == (200, "confirmed", "officer-5")
    assert twice.status_code == 422
    assert undone.status_code == 200
    assert (undone.json()["status"], undone.json()["decided_by"], undone.json()["merge_id"]) == ("open", None, None)
    merges = await intake_db.fetch(
        "SELECT action, decided_by FROM merges WHERE merge_id = $1 OR reverses_merge_id = $1 ORDER BY decided_at",
        UUID(same.json()["merge_id"]),
    )
    assert [tuple(row) for row in merges] == [("merge", "officer-5"), ("unmerge", "officer-6")]
    assert (not_same.json()["status"], not_same.json()["decided_by"]) == ("rejected", "officer-6")
    assert (reopened.status_code, reopened.json()["status"]) == (200, "open")
    assert nothing_to_undo.status_code == 422


async def test_another_authoritys_question_is_answered_with_the_minimum_and_creates_no_child(
    migrated: Infrastructure, intake_db: asyncpg.Connection
) -> None:
    """Notify's exchange asks whether a child is known here (policy §4.1): on roll at the school of the latest
    on-roll return, known but on no roll after a leaver return, or not known at all; asking changes nothing."""
    on_roll = phone_referral()["child"]
    left = phone_referral()["child"]
    stranger = phone_referral()["child"]
    absence = {
        "submission_type": "absence",
        "submission_id": f"lookup-{uuid4()}",
        "submitted_at": datetime.now(UTC).isoformat(),
        "school": {"establishment_id": "8852001", "name": "Test School"},
        "child": on_roll,
        "reason": "continuous_10_days",
        "first_day_of_absence": datetime.now(UTC).date().isoformat(),
    }
    departure = leaver(child=left)
    async with intake(migrated, internal_api_token=TOKEN) as client:
        for path, body in (("absence", absence), ("leaver", departure)):
            assert (await client.post(f"/api/v1/submissions/{path}", json=body)).status_code == 202
        children_before = await intake_db.fetchval("SELECT count(*) FROM children")

        def ask(child: dict[str, Any]) -> Any:
            return client.post(
                "/internal/v1/children/lookup", headers=SERVICE, json={"acting_user": "exchange:884", "child": child}
            )

        answers = [(await ask(child)).json() for child in (on_roll, left, stranger)]
        unauthenticated = await client.post(
            "/internal/v1/children/lookup", json={"acting_user": "exchange:884", "child": stranger}
        )

    assert answers == [
        {"outcome": "known_on_roll", "school": {"establishment_id": "8852001", "name": "Test School"}},
        {"outcome": "known_not_on_roll", "school": None},
        {"outcome": "not_known", "school": None},
    ]
    assert unauthenticated.status_code == 401
    assert await intake_db.fetchval("SELECT count(*) FROM children") == children_before
