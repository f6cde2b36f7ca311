"""Issue 5 acceptance: the joiner/leaver watch, both ways, and a joiner return closing an open CME case.

Real Kafka, PostgreSQL and service processes. Time-based rules run through `run-due --as-of`, so nothing sleeps.
Every person here is invented.
"""

import asyncio
import json
import random
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from contracts import topics
from contracts.events.intake_v1 import JoinerSubmitted
from contracts.reference.school_days import SchoolCalendar
from tests.support.kafka import Record, publish_event, read_until
from tests.support.submissions import leaver
from tests.support.suite import RunningSuite
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

API_TOKEN = "test-suite-token"
UK_TIME = ZoneInfo("Europe/London")
LEAVING_SCHOOL = {"establishment_id": "8852003", "name": "Tumbledown Lane Primary School (fictional)"}
NAMED_SCHOOL = {"establishment_id": "8852001", "name": "Puddleby Brook Primary School (fictional)"}
# The suite configures no term dates and no overrides: the rule tables' school-day counts apply.
CALENDAR = SchoolCalendar()
CME_ENQUIRY_DUE_SCHOOL_DAYS = 20


def transfer(**overrides: Any) -> dict[str, Any]:
    """A leaver return under 9(1)(a): registered at a named in-county school, which should send a joiner return."""
    return leaver(
        school=LEAVING_SCHOOL,
        leaving_reason="9(1)(a)",
        destination={"school_id": NAMED_SCHOOL["establishment_id"]},
        documents=[],
        **overrides,
    )


async def submit_leaver(suite: RunningSuite, submission: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(suite.url("intake", "/api/v1/submissions/leaver"), json=submission)
    assert response.status_code == 202, response.text
    accepted: dict[str, Any] = response.json()
    return accepted


async def send_joiner(suite: RunningSuite, child: Mapping[str, Any], start_date: date) -> str:
    """The named school's joiner return for the same child, as a school system publishes it."""
    joiner = JoinerSubmitted.model_validate(
        {
            "submission_id": f"test-joiner-{uuid4().hex}",
            "submitted_at": datetime.now(UTC).isoformat(),
            "school": NAMED_SCHOOL,
            "child": child,
            "start_date": start_date.isoformat(),
        }
    )
    await publish_event(suite.kafka, suite.topic(topics.INTAKE_JOINER), joiner, key=joiner.submission_id)
    return joiner.submission_id


async def api_get(suite: RunningSuite, path: str, params: Mapping[str, str] | None = None) -> Any:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(
            suite.url("casework", path), params=params, headers={"Authorization": f"Bearer {API_TOKEN}"}
        )
    response.raise_for_status()
    return response.json()


async def cases_for_child(suite: RunningSuite, child_id: str) -> list[dict[str, Any]]:
    return list((await api_get(suite, "/api/v1/cases", {"child_id": child_id}))["cases"])


async def wait_for_case(suite: RunningSuite, child_id: str) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        return await cases_for_child(suite, child_id) or None

    return await eventually(probe, what="a case for the child")


async def wait_for_watch(db: dict[str, asyncpg.Connection], referral_id: str, status: str = "open") -> asyncpg.Record:
    async def probe() -> asyncpg.Record | None:
        return await db["triage"].fetchrow(
            "SELECT * FROM watches WHERE referral_id = $1::uuid AND status = $2", referral_id, status
        )

    return await eventually(probe, what=f"a {status} watch for the referral")


async def triage_decision(suite: RunningSuite, child_id: str, kind: str, *, is_cme: bool = False) -> Record:
    """The child's TriageDecided event of that kind once it is on the topic."""

    def is_wanted(record: Record) -> bool:
        if record.key != child_id.encode():
            return False
        payload = json.loads(record.value)
        return bool(payload["kind"] == kind and payload["is_cme"] is is_cme)

    records = await read_until(
        suite.kafka, suite.topic(topics.TRIAGE_DECIDED), lambda records: any(map(is_wanted, records))
    )
    (wanted,) = filter(is_wanted, records)
    return wanted


async def stored_decision(db: dict[str, asyncpg.Connection], referral_id: str) -> asyncpg.Record:
    return await db["triage"].fetchrow("SELECT * FROM decisions WHERE referral_id = $1::uuid", referral_id)


async def wait_until_casework_applied(db: dict[str, asyncpg.Connection], events: Sequence[Record]) -> None:
    event_ids = [record.headers["ce_id"] for record in events]

    async def probe() -> bool:
        applied = await db["casework"].fetchval("SELECT count(*) FROM inbox WHERE event_id = ANY($1)", event_ids)
        return bool(applied == len(event_ids))

    await eventually(probe, what="casework applying the child's triage decisions")


async def run_due(suite: RunningSuite, *argv: str) -> dict[str, Any]:
    """Run a scheduler command as the triage process would (same database, same topics) and read its summary
    (triage's, when `cme run-due` runs every service's)."""
    command = await asyncio.create_subprocess_exec(
        sys.executable,
        *argv,
        env=dict(suite.specs["triage"].env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(command.communicate(), timeout=120)
    assert command.returncode == 0, stderr.decode()
    # A service's `run-due` prints one summary line; `cme run-due` runs every service's, and this reads triage's.
    summaries = [json.loads(line) for line in stdout.decode().splitlines() if line.startswith('{"as_of"')]
    [summary] = summaries if len(summaries) == 1 else [each for each in summaries if "expired" in each]
    return summary


def past_leaving_date() -> date:
    """A random weekday long enough ago that its watch is past its deadline today, under the 2024 regulations.

    Expiring watches "as of" just after this one's deadline leaves the watches of today's returns (other tests',
    other sessions') alone: their deadlines are later.
    """
    earliest, latest = date(2024, 9, 2), datetime.now(UTC).date() - timedelta(days=90)
    day = earliest + timedelta(days=random.randint(0, (latest - earliest).days))
    return day - timedelta(days=max(0, day.weekday() - 4))


async def test_a_joiner_return_in_time_satisfies_the_watch_and_no_case_opens(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    submission = transfer()
    accepted = await submit_leaver(suite, submission)
    child_id = accepted["child_id"]

    watch = await wait_for_watch(db, accepted["referral_id"])
    leaving_date = date.fromisoformat(submission["leaving_date"])
    assert watch["school_id"] == NAMED_SCHOOL["establishment_id"]
    assert watch["started_on"] == leaving_date
    assert watch["deadline"] == CALENDAR.add_school_days(leaving_date, 10)

    await send_joiner(suite, submission["child"], start_date=leaving_date + timedelta(days=1))

    satisfied = await wait_for_watch(db, accepted["referral_id"], status="satisfied")
    assert satisfied["joined_school_id"] == NAMED_SCHOOL["establishment_id"]
    assert satisfied["satisfied_by"] is not None
    assert satisfied["expiry_decision_id"] is None

    transfer_decision = await stored_decision(db, accepted["referral_id"])
    assert (transfer_decision["track"], transfer_decision["is_cme"]) == ("watch_for_joiner", False)
    joiner_decision = await triage_decision(suite, child_id, "joiner")
    joined = json.loads(joiner_decision.value)
    assert joined["track"] == "no_action"
    assert joined["school"]["establishment_id"] == NAMED_SCHOOL["establishment_id"]
    # The joiner's decision is the child's last: once casework has applied it, no case is still to come.
    await wait_until_casework_applied(db, [joiner_decision])
    assert await cases_for_child(suite, child_id) == []


async def test_a_joiner_return_that_arrives_before_the_leaver_return_satisfies_its_watch(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    submission = transfer()
    leaving_date = date.fromisoformat(submission["leaving_date"])
    # The new school registered the pupil, and sent its return, before the old school sent the deletion.
    joiner_id = await send_joiner(suite, submission["child"], start_date=leaving_date - timedelta(days=1))
    joiner_child_id = await eventually(
        lambda: db["intake"].fetchval("SELECT child_id FROM submissions WHERE submission_id = $1", joiner_id),
        what="intake accepting the joiner return",
    )
    await eventually(
        lambda: db["triage"].fetchval(
            "SELECT decision_id FROM decisions WHERE child_id = $1 AND referral_kind = 'joiner'", joiner_child_id
        ),
        what="triage deciding the joiner return",
    )

    accepted = await submit_leaver(suite, submission)

    assert accepted["child_id"] == str(joiner_child_id)
    satisfied = await wait_for_watch(db, accepted["referral_id"], status="satisfied")
    assert satisfied["joined_school_id"] == NAMED_SCHOOL["establishment_id"]
    assert satisfied["joined_on"] == leaving_date - timedelta(days=1)
    transfer_decision = await triage_decision(suite, accepted["child_id"], "leaver")
    assert json.loads(transfer_decision.value)["track"] == "watch_for_joiner"
    await wait_until_casework_applied(db, [transfer_decision])
    assert await cases_for_child(suite, accepted["child_id"]) == []


async def test_no_joiner_return_by_the_deadline_opens_one_cme_case(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    leaving_date = past_leaving_date()
    submission = transfer(leaving_date=leaving_date.isoformat())
    submission["child"]["date_of_birth"] = (
        leaving_date - timedelta(days=random.randint(7 * 365, 11 * 365))
    ).isoformat()
    accepted = await submit_leaver(suite, submission)
    child_id = accepted["child_id"]
    watch = await wait_for_watch(db, accepted["referral_id"])
    deadline: date = watch["deadline"]

    # The deadline day still running: nothing is due for this watch yet.
    on_deadline_day = datetime.combine(deadline, time(23, 30), UK_TIME)
    await run_due(suite, "-m", "services.triage", "run-due", "--as-of", on_deadline_day.isoformat())
    assert (await wait_for_watch(db, accepted["referral_id"]))["status"] == "open"

    after_deadline = datetime.combine(deadline + timedelta(days=1), time(9, 0), UK_TIME)
    first = await run_due(suite, "-m", "services.triage", "run-due", "--as-of", after_deadline.isoformat())
    assert first["expired"] >= 1
    assert first["left_open"] == 0

    expired = await wait_for_watch(db, accepted["referral_id"], status="expired")
    assert expired["expiry_decision_id"] is not None
    cases = await wait_for_case(suite, child_id)
    assert len(cases) == 1
    assert cases[0]["track"] == "cme_enquiry"
    assert cases[0]["status"] == "triaged"
    assert date.fromisoformat(cases[0]["due_date"]) == CALENDAR.add_school_days(deadline, CME_ENQUIRY_DUE_SCHOOL_DAYS)

    cme_decision = await triage_decision(suite, child_id, "leaver", is_cme=True)
    cme = json.loads(cme_decision.value)
    assert cme["track"] == "cme_enquiry"
    assert cme["decision_id"] == str(expired["expiry_decision_id"])
    assert cme["referral_id"] == accepted["referral_id"]
    assert cme["reasons"][0].startswith("No joiner return from the named school within 10 school days")

    # The same instant again, through the `cme` command with UK local time: nothing more is due.
    naive_uk_time = after_deadline.replace(tzinfo=None).isoformat()
    second = await run_due(suite, "-m", "cme_cli", "run-due", "--as-of", naive_uk_time)
    assert second == {"as_of": after_deadline.isoformat(), "expired": 0, "left_open": 0}
    unchanged = await db["triage"].fetchrow("SELECT * FROM watches WHERE watch_id = $1", expired["watch_id"])
    assert dict(unchanged) == dict(expired)
    assert [case["case_id"] for case in await cases_for_child(suite, child_id)] == [cases[0]["case_id"]]


async def test_a_joiner_return_closes_an_open_cme_case_as_registered_into_provision(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    submission = leaver()  # moved away, no school known: a CME case opens at once
    accepted = await submit_leaver(suite, submission)
    (case,) = await wait_for_case(suite, accepted["child_id"])
    assert case["status"] == "triaged"

    await send_joiner(suite, submission["child"], start_date=datetime.now(UTC).date())

    async def closed() -> bool:
        status = await db["casework"].fetchval("SELECT status FROM cases WHERE case_id = $1::uuid", case["case_id"])
        return bool(status == "closed")

    await eventually(closed, what="the case closed")
    detail = await api_get(suite, f"/api/v1/cases/{case['case_id']}")
    assert detail["status"] == "closed"
    assert detail["closed_at"] is not None
    assert [entry["summary"] for entry in detail["timeline"] if entry["kind"] == "case.closed"] == [
        "Case closed: registered into provision"
    ]
