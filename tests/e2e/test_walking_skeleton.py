"""Issue 2 acceptance: referrals travel through all five services on real Kafka and PostgreSQL."""

import asyncio
import json
import os
import sys
from typing import Any

import asyncpg
import httpx
import pytest

from contracts import topics
from contracts.envelope import new_attributes
from contracts.events.intake_v1 import LeaverSubmitted
from tests.support.kafka import Record, publish_event, publish_raw, read_until
from tests.support.submissions import leaver
from tests.support.suite import RunningSuite
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

API_TOKEN = "test-suite-token"


async def submit(suite: RunningSuite, submission: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(suite.url("intake", "/api/v1/submissions/leaver"), json=submission)


async def cases_for_child(suite: RunningSuite, child_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(
            suite.url("casework", "/api/v1/cases"),
            params={"child_id": child_id},
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        )
    response.raise_for_status()
    return list(response.json()["cases"])


async def wait_for_case(suite: RunningSuite, child_id: str) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        return await cases_for_child(suite, child_id) or None

    return await eventually(probe, what="a case for the child")


async def test_a_moved_away_leaver_becomes_exactly_one_open_case(suite: RunningSuite) -> None:
    response = await submit(suite, leaver())
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "accepted"

    cases = await wait_for_case(suite, accepted["child_id"])
    assert len(cases) == 1
    assert cases[0]["status"] == "triaged"
    assert cases[0]["track"] == "cme_enquiry"

    command = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cme_cli",
        "cases",
        "--json",
        env={**os.environ, "CME_CASEWORK_URL": suite.url("casework"), "CME_API_TOKEN": API_TOKEN},
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(command.communicate(), timeout=60)
    assert command.returncode == 0
    listed_cases = json.loads(stdout)["cases"]
    assert [case["case_id"] for case in listed_cases if case["child_id"] == accepted["child_id"]] == [
        cases[0]["case_id"]
    ]


async def test_the_same_submission_delivered_twice_still_gives_one_case(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    submission = leaver()
    first = await submit(suite, submission)
    second = await submit(suite, submission)
    await publish_event(
        suite.kafka,
        suite.topic(topics.INTAKE_LEAVER),
        LeaverSubmitted.model_validate(submission),
        key=submission["submission_id"],
    )
    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json()["duplicate"] is True
    assert second.json()["referral_id"] == first.json()["referral_id"]
    child_id = first.json()["child_id"]
    await wait_for_case(suite, child_id)
    # A later submission through the same topic is a barrier: once its case exists, the duplicate was consumed.
    barrier = leaver()
    await publish_event(
        suite.kafka,
        suite.topic(topics.INTAKE_LEAVER),
        LeaverSubmitted.model_validate(barrier),
        key=barrier["submission_id"],
    )
    barrier_child = await eventually(
        lambda: db["intake"].fetchval(
            "SELECT child_id FROM submissions WHERE submission_id = $1", barrier["submission_id"]
        )
    )
    await wait_for_case(suite, str(barrier_child))

    assert len(await cases_for_child(suite, child_id)) == 1
    assert (
        await db["intake"].fetchval(
            "SELECT count(*) FROM referrals WHERE submission_id = $1", submission["submission_id"]
        )
        == 1
    )


async def test_a_submission_missing_a_required_document_is_rejected_by_name(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    submission = leaver()
    submission["documents"] = [d for d in submission["documents"] if d["kind"] != "derolling_checklist"]

    response = await submit(suite, submission)

    assert response.status_code == 422
    problems = response.json()["problems"]
    assert {"field": "documents.derolling_checklist", "message": "Attach the de-rolling checklist"} in problems

    def has_rejection(records: list[Record]) -> bool:
        return any(json.loads(r.value).get("submission_id") == submission["submission_id"] for r in records)

    records = await read_until(suite.kafka, suite.topic(topics.INTAKE_REJECTED), has_rejection)
    event = next(
        json.loads(r.value) for r in records if json.loads(r.value)["submission_id"] == submission["submission_id"]
    )
    assert "documents.derolling_checklist" in [problem["field"] for problem in event["problems"]]

    assert (
        await db["intake"].fetchval(
            "SELECT count(*) FROM referrals WHERE submission_id = $1", submission["submission_id"]
        )
        == 0
    )
    assert await db["intake"].fetchval("SELECT count(*) FROM children WHERE upn = $1", submission["child"]["upn"]) == 0
    assert (
        await db["casework"].fetchval(
            "SELECT count(*) FROM cases WHERE child ->> 'upn' = $1", submission["child"]["upn"]
        )
        == 0
    )


async def test_malformed_messages_are_dead_lettered_and_the_next_good_message_is_processed(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    topic = suite.topic(topics.INTAKE_LEAVER)
    not_json = new_attributes(LeaverSubmitted.model_validate(leaver()), source="/tests", subject=None)
    await publish_raw(suite.kafka, topic, b'{"submission_type": "leaver", ', not_json.to_headers(), b"bad-1")
    schema_failure = leaver()
    del schema_failure["child"]["date_of_birth"]
    schema_failure["leaving_date"] = "not a date"
    fails_schema = new_attributes(LeaverSubmitted.model_validate(leaver()), source="/tests", subject=None)
    await publish_raw(suite.kafka, topic, json.dumps(schema_failure).encode(), fails_schema.to_headers(), b"bad-2")
    good = leaver()
    await publish_event(suite.kafka, topic, LeaverSubmitted.model_validate(good), key=good["submission_id"])

    def both_dead_lettered(records: list[Record]) -> bool:
        ids = {r.headers.get("ce_id") for r in records}
        return {not_json.id, fails_schema.id} <= ids

    dead = await read_until(suite.kafka, suite.topic(topics.DEAD_LETTER), both_dead_lettered)
    by_id = {r.headers["ce_id"]: r for r in dead}
    assert by_id[not_json.id].value == b'{"submission_type": "leaver", '
    assert by_id[not_json.id].headers["dlq_reason"].startswith("invalid data: ")
    assert "json_invalid" in by_id[not_json.id].headers["dlq_reason"]
    reason = by_id[fails_schema.id].headers["dlq_reason"]
    assert "child.date_of_birth: missing" in reason
    assert "leaving_date: date_from_datetime_parsing" in reason or "leaving_date: date_parsing" in reason
    assert by_id[fails_schema.id].headers["dlq_topic"] == topic
    assert schema_failure["child"]["family_name"] not in reason

    child_id = await eventually(
        lambda: db["intake"].fetchval(
            "SELECT child_id FROM submissions WHERE submission_id = $1", good["submission_id"]
        )
    )
    await wait_for_case(suite, str(child_id))


async def test_killing_triage_mid_stream_loses_and_duplicates_nothing(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    topic = suite.topic(topics.INTAKE_LEAVER)
    submissions = [leaver() for _ in range(200)]
    ids = [s["submission_id"] for s in submissions]

    async def publish_all() -> None:
        for submission in submissions:
            await publish_event(
                suite.kafka, topic, LeaverSubmitted.model_validate(submission), key=submission["submission_id"]
            )

    publishing = asyncio.create_task(publish_all())

    async def referral_ids() -> list[Any]:
        rows = await db["intake"].fetch("SELECT referral_id FROM referrals WHERE submission_id = ANY($1)", ids)
        return [row["referral_id"] for row in rows]

    async def some_triaged() -> int | None:
        count = await db["triage"].fetchval(
            "SELECT count(*) FROM decisions WHERE referral_id = ANY($1::uuid[])", await referral_ids()
        )
        return count if count >= 20 else None

    await eventually(some_triaged, timeout=120, what="triage under way")
    suite.supervisor.kill("triage")
    await publishing
    suite.restart("triage")

    async def all_cased() -> bool:
        known = await referral_ids()
        if len(known) < len(ids):
            return False
        cme = await db["triage"].fetchval(
            "SELECT count(*) FROM decisions WHERE referral_id = ANY($1::uuid[]) AND is_cme", known
        )
        opened = await db["casework"].fetchval(
            "SELECT count(*) FROM case_referrals WHERE referral_id = ANY($1::uuid[])", known
        )
        return cme == len(ids) and opened == len(ids)

    await eventually(all_cased, timeout=240, interval=1, what="every submission cased")

    assert await db["intake"].fetchval("SELECT count(*) FROM referrals WHERE submission_id = ANY($1)", ids) == 200
    assert (
        await db["intake"].fetchval(
            "SELECT count(DISTINCT submission_id) FROM referrals WHERE submission_id = ANY($1)", ids
        )
        == 200
    )
    child_ids = [
        r["child_id"]
        for r in await db["intake"].fetch("SELECT child_id FROM referrals WHERE submission_id = ANY($1)", ids)
    ]
    assert (
        await db["triage"].fetchval(
            "SELECT count(*) FROM decisions WHERE referral_id = ANY($1::uuid[])", await referral_ids()
        )
        == 200
    )
    per_child = await db["casework"].fetch(
        "SELECT child_id, count(*) AS n FROM cases WHERE child_id = ANY($1::uuid[]) GROUP BY child_id", child_ids
    )
    assert len(per_child) == 200
    assert all(row["n"] == 1 for row in per_child)
