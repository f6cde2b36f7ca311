"""Intake's batch endpoint in-process against the real PostgreSQL: many submissions in one request and one
transaction, each with the outcome it would have alone; what is not a batch is refused whole; batches about the
same children, sent at once in opposite orders, never deadlock."""

import asyncio
import json
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from tests.support.infrastructure import Infrastructure
from tests.support.intake import intake_client as intake
from tests.support.submissions import leaver

pytestmark = pytest.mark.integration

BATCH = "/api/v1/submissions/batch"
SCHOOL_KEY = "school-mis-key-for-tests"




def absence_about(return_: dict[str, Any]) -> dict[str, Any]:
    """An absence return about the child of `return_`."""
    return {
        "submission_type": "absence",
        "submission_id": f"test-{uuid4().hex}",
        "submitted_at": return_["submitted_at"],
        "school": {"establishment_id": "8852001"},
        "child": return_["child"],
        "reason": "continuous_10_days",
        "first_day_of_absence": return_["leaving_date"],
    }


async def test_each_submission_of_a_batch_gets_its_own_outcome_and_all_are_stored_in_one_transaction(
    migrated: Infrastructure, intake_db: asyncpg.Connection
) -> None:
    first, second = leaver(), leaver()
    broken = leaver(child=first["child"] | {"date_of_birth": "2016-02-30"})
    same_child = absence_about(first)
    batch = [first, broken, second, same_child, first]

    async with intake(migrated, intake_api_keys={SCHOOL_KEY: "school-mis"}) as client:
        response = await client.post(BATCH, json={"submissions": batch}, headers={"X-API-Key": SCHOOL_KEY})

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (4, 1)
    results = body["results"]
    assert [(each["index"], each["submission_id"], each["status"], each["duplicate"]) for each in results] == [
        (0, first["submission_id"], "accepted", False),
        (1, broken["submission_id"], "rejected", False),
        (2, second["submission_id"], "accepted", False),
        (3, same_child["submission_id"], "accepted", False),
        (4, first["submission_id"], "accepted", True),
    ]
    assert [problem["field"] for problem in results[1]["problems"]] == ["child.date_of_birth"]
    assert results[3]["child_id"] == results[0]["child_id"]
    assert results[3]["identity_decision"] == "matched_existing"
    assert results[4]["referral_id"] == results[0]["referral_id"]
    ids = [each["submission_id"] for each in batch[:4]]
    stored = await intake_db.fetch(
        "SELECT submission_id, status, client, xmin::text AS transaction FROM submissions "
        "WHERE submission_id = ANY($1)",
        ids,
    )
    assert {row["submission_id"]: (row["status"], row["client"]) for row in stored} == {
        first["submission_id"]: ("accepted", "school-mis"),
        broken["submission_id"]: ("rejected", "school-mis"),
        second["submission_id"]: ("accepted", "school-mis"),
        same_child["submission_id"]: ("accepted", "school-mis"),
    }
    assert len({row["transaction"] for row in stored}) == 1
    referral_ids = [each["referral_id"] for each in results[:4] if each["referral_id"]]
    published = await intake_db.fetch(
        "SELECT type, xmin::text AS transaction FROM outbox WHERE subject = ANY($1) ORDER BY seq",
        [*referral_ids, broken["submission_id"]],
    )
    assert [row["type"] for row in published] == [
        "cme.referral.received.v1",
        "cme.intake.rejected.v1",
        "cme.referral.received.v1",
        "cme.referral.received.v1",
    ]
    assert {row["transaction"] for row in published} == {stored[0]["transaction"]}


async def test_a_batch_sent_again_gives_the_first_outcomes_and_stores_nothing_more(
    migrated: Infrastructure, intake_db: asyncpg.Connection
) -> None:
    batch = [leaver(), leaver(submitted_at="not a time"), leaver()]

    async with intake(migrated) as client:
        first = (await client.post(BATCH, json={"submissions": batch})).json()["results"]
        again = (await client.post(BATCH, json={"submissions": batch})).json()["results"]

    assert [each["duplicate"] for each in again] == [True, False, True]
    assert [(each["status"], each["referral_id"], each["child_id"]) for each in again] == [
        (each["status"], each["referral_id"], each["child_id"]) for each in first
    ]
    referral_ids = [each["referral_id"] for each in first if each["referral_id"]]
    assert await intake_db.fetchval("SELECT count(*) FROM outbox WHERE subject = ANY($1)", referral_ids) == 2
    assert (
        await intake_db.fetchval("SELECT count(*) FROM referrals WHERE referral_id::text = ANY($1)", referral_ids) == 2
    )


async def test_an_entry_of_no_known_form_or_a_ctf_file_is_rejected_on_its_own_naming_the_fix(
    migrated: Infrastructure,
) -> None:
    kept = leaver()
    unknown, ctf = leaver(submission_type="transfer"), {"submission_type": "ctf", "submission_id": f"t-{uuid4().hex}"}
    untyped = {"submission_id": f"test-{uuid4().hex}"}

    async with intake(migrated) as client:
        response = await client.post(BATCH, json={"submissions": [unknown, kept, ctf, untyped]})

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [each["status"] for each in results] == ["rejected", "accepted", "rejected", "rejected"]
    messages = [each["problems"][0]["message"] for each in (results[0], results[2], results[3])]
    assert messages[0].startswith("Select a valid option for submission type: one of absence, joiner, la_enquiry")
    assert messages[1] == "Send a CTF file on its own, to /api/v1/submissions/ctf"
    assert messages[2] == messages[0]
    assert [results[index]["submission_id"] for index in (0, 2, 3)] == [
        unknown["submission_id"],
        ctf["submission_id"],
        untyped["submission_id"],
    ]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"submissions": []}, "submissions", "Send at least one submission"),
        ({"submissions": [{}] * 501}, "submissions", "Send at most 500 submissions a batch"),
        ({"returns": [{}]}, "submissions", "Enter submissions"),
        ([{"submission_type": "leaver"}], "submission", "Send submission as a JSON object"),
        ({"submissions": [{}, "leaver"]}, "submissions.1", "Send submissions 1 as a JSON object"),
    ],
)
async def test_a_body_that_is_not_a_batch_is_refused_whole_and_nothing_is_stored(
    migrated: Infrastructure, intake_db: asyncpg.Connection, body: Any, field: str, message: str
) -> None:
    before = await intake_db.fetchval("SELECT count(*) FROM submissions")

    async with intake(migrated) as client:
        response = await client.post(BATCH, json=body)

    assert response.status_code == 422, response.text
    assert response.json() == {
        "status": "rejected",
        "submission_id": None,
        "problems": [{"field": field, "message": message}],
    }
    assert await intake_db.fetchval("SELECT count(*) FROM submissions") == before


async def test_unreadable_json_and_a_batch_without_a_key_are_refused_before_anything_is_stored(
    migrated: Infrastructure,
) -> None:
    async with intake(migrated, intake_api_keys={SCHOOL_KEY: "school-mis"}) as client:
        broken = await client.post(
            BATCH, content=b'{"submissions": [', headers={"Content-Type": "application/json", "X-API-Key": SCHOOL_KEY}
        )
        without_key = await client.post(BATCH, json={"submissions": [leaver()]})
        broken_without_key = await client.post(
            BATCH, content=b'{"submissions": [', headers={"Content-Type": "application/json"}
        )

    assert broken.status_code == 422
    assert broken.json()["problems"] == [{"field": "submissions", "message": "Send the batch as valid JSON"}]
    assert (without_key.status_code, broken_without_key.status_code) == (401, 401)


async def test_a_batch_has_its_own_size_limit_above_a_single_submissions(migrated: Infrastructure) -> None:
    body = json.dumps({"submissions": [leaver() for _ in range(8)]}).encode()
    size, as_json = len(body), {"Content-Type": "application/json"}

    async with intake(migrated, submission_max_bytes=size // 4, submission_batch_max_bytes=size + 100) as client:
        within = await client.post(BATCH, content=body, headers=as_json)
    async with intake(migrated, submission_batch_max_bytes=size - 100) as client:
        over = await client.post(BATCH, content=body, headers=as_json)
        not_json = await client.post(BATCH, content=b"<batch/>", headers={"Content-Type": "application/xml"})

    assert within.status_code == 200, within.text
    assert within.json()["accepted"] == 8
    assert over.status_code == 413
    assert over.json()["problems"][0]["message"].startswith("The submission is larger than the limit")
    assert not_json.status_code == 415


async def test_batches_about_the_same_children_in_opposite_orders_never_deadlock(
    migrated: Infrastructure, intake_db: asyncpg.Connection
) -> None:
    """Each batch takes all its locks first, in one order: without that, two batches resolving the same children
    in opposite orders each hold a child the other waits for, and PostgreSQL ends one as a deadlock."""
    returns = [leaver() for _ in range(30)]
    forward = [absence_about(each) for each in returns]
    backward = [absence_about(each) for each in reversed(returns)]
    deadlocks_before = await intake_db.fetchval(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    )

    async with intake(migrated) as client:
        opened = await client.post(BATCH, json={"submissions": returns})
        answers = await asyncio.gather(
            *(
                client.post(BATCH, json={"submissions": each})
                for each in (forward, backward, forward[::2], backward[::3])
            )
        )

    assert opened.status_code == 200
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200]
    children = {
        result["submission_id"]: result["child_id"] for answer in answers for result in answer.json()["results"]
    }
    child_of = [result["child_id"] for result in opened.json()["results"]]
    expected = {absence["submission_id"]: child_id for absence, child_id in zip(forward, child_of, strict=True)}
    expected |= {absence["submission_id"]: child_id for absence, child_id in zip(backward, child_of[::-1], strict=True)}
    assert children == expected
    # pg_stat_database is reported asynchronously by each backend: ask for it to be read afresh.
    await intake_db.execute("SELECT pg_stat_clear_snapshot()")
    deadlocks_after = await intake_db.fetchval(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    )
    assert deadlocks_after == deadlocks_before
