"""Messages that really reach the social worker, through the suite's processes and the GOV.UK Notify stand-in.

A leaver return for a child in need opens a case: notify sends the named social worker one email through the
stand-in (the official client over HTTP), the stand-in's delivery receipts come back to notify's callback, and the
case's timeline shows the message and its statuses. A later return adding a child protection plan to the open
case sends the social worker an update. No personal data reaches notify's or the stand-in's logs.
Every person here is invented.
"""

from typing import Any

import asyncpg
import httpx
import pytest

from tests.e2e.test_walking_skeleton import submit, wait_for_case
from tests.support.submissions import leaver
from tests.support.suite import RunningSuite
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

SOCIAL_WORKER = {"name": "Sam Caseworker-e2e", "email": "sam.caseworker.e2e@example.org"}


async def sent_to(suite: RunningSuite, address: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(suite.url("gov_notify", "/_stand_in/sent"))
    response.raise_for_status()
    return [each for each in response.json()["notifications"] if each["email_address"] == address]


async def test_a_cin_case_opening_and_a_later_cp_flag_each_send_the_social_worker_one_email(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    first = leaver(safeguarding={"child_in_need": True, "social_worker": SOCIAL_WORKER})
    response = await submit(suite, first)
    assert response.status_code == 202, response.text
    child_id = response.json()["child_id"]
    [case] = await wait_for_case(suite, child_id)

    async def one_opening_email() -> list[dict[str, Any]] | None:
        return await sent_to(suite, SOCIAL_WORKER["email"]) or None

    [opening] = await eventually(one_opening_email, timeout=60, what="the case-opened email at the stand-in")
    assert opening["personalisation"]["social_worker_name"] == SOCIAL_WORKER["name"]
    assert opening["subject"].startswith("Children Missing Education case CME-")
    assert first["child"]["given_name"] not in str(opening) and first["child"]["family_name"] not in str(opening)

    async def delivered() -> Any:
        return await db["notify"].fetchrow(
            "SELECT notify_id, message_id::text AS reference FROM delivery_log "
            "WHERE child_id = $1::uuid AND status = 'delivered'",
            child_id,
        )

    row = await eventually(delivered, timeout=60, what="a delivery receipt marking the email delivered")
    assert (row["notify_id"], row["reference"]) == (opening["id"], opening["reference"])

    async def on_the_timeline() -> list[str] | None:
        kinds = [
            record["kind"]
            for record in await db["casework"].fetch(
                "SELECT kind FROM timeline WHERE case_id = $1::uuid AND source = 'notify' ORDER BY at, entry_id",
                case["case_id"],
            )
        ]
        return kinds if "message.delivered" in kinds else None

    kinds = await eventually(on_the_timeline, timeout=60, what="the message's statuses on the case timeline")
    assert kinds[0] == "message.pending" and "message.created" in kinds

    # A later return about the same child says the child is now on a child protection plan.
    later = leaver(
        child=first["child"],
        safeguarding={"child_in_need": True, "child_protection_plan": True, "social_worker": SOCIAL_WORKER},
    )
    assert (await submit(suite, later)).status_code == 202

    async def an_update_email() -> list[dict[str, Any]] | None:
        sent = await sent_to(suite, SOCIAL_WORKER["email"])
        return sent if len(sent) >= 2 else None

    sent = await eventually(an_update_email, timeout=60, what="the update email at the stand-in")
    assert len(sent) == 2  # the opening email was not sent again
    update = next(each for each in sent if each["id"] != opening["id"])
    assert "child protection plan" in update["personalisation"]["what_happened"]
    assert "updated" in update["subject"]
    assert len({each["reference"] for each in sent}) == 2

    # No personal data in the logs of the processes that handled the messages.
    secrets = [
        first["child"]["given_name"],
        first["child"]["family_name"],
        first["child"]["date_of_birth"],
        first["child"]["upn"],
        SOCIAL_WORKER["name"],
        SOCIAL_WORKER["email"],
    ]
    for name in ("notify", "gov_notify", "casework"):
        content = (suite.log_dir / f"{name}.log").read_text(errors="replace")
        assert not any(secret in content for secret in secrets), f"personal data in {name}.log"


async def test_notify_killed_mid_send_and_restarted_sends_the_social_worker_nothing_twice(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    """SIGKILL, not a cancelled task: the process dies holding its claim while Notify has recorded the email but
    not yet answered. The restarted notify must not send it again: the delivery receipt, or the restarted sender
    finding it at Notify by its reference once the lease has run out, makes it one email, delivered. (The
    take-over by reference is proven on its own in tests/integration/test_notify_delivery.py.)"""
    social_worker = {"name": "Kim Caseworker-kill", "email": "kim.caseworker.kill@example.org"}
    async with httpx.AsyncClient(timeout=10) as client:
        # Only this email hangs: other tests' messages still in flight pass untouched.
        scripted = await client.post(suite.url("gov_notify", "/_stand_in/script"),
                                     json={"next": ["hang"], "to": social_worker["email"]})
    assert scripted.status_code == 204
    response = await submit(suite, leaver(safeguarding={"child_in_need": True, "social_worker": social_worker}))
    assert response.status_code == 202, response.text
    child_id = response.json()["child_id"]

    async def recorded_by_notify() -> list[dict[str, Any]] | None:
        return await sent_to(suite, social_worker["email"]) or None

    [recorded] = await eventually(recorded_by_notify, timeout=60, what="the email recorded by Notify, unanswered")
    in_flight = await db["notify"].fetchrow(
        "SELECT status, lease_until FROM delivery_log WHERE child_id = $1::uuid", child_id)
    assert in_flight["status"] == "pending" and in_flight["lease_until"] is not None, "the send must be in flight"
    suite.supervisor.kill("notify")
    suite.restart("notify")

    async def delivered() -> Any:
        return await db["notify"].fetchrow(
            "SELECT notify_id, message_id::text AS reference, attempts FROM delivery_log "
            "WHERE child_id = $1::uuid AND status = 'delivered'",
            child_id,
        )

    # Delivered as the email Notify recorded: by its receipt, or by the restarted sender finding it by reference
    # once the dead process's lease ran out, whichever came first. Either way the row is no longer owed, so no
    # sender will claim it again, and Notify holds one email.
    row = await eventually(delivered, timeout=90, what="the killed send delivered")
    assert (row["notify_id"], row["reference"]) == (recorded["id"], recorded["reference"])
    assert [each["id"] for each in await sent_to(suite, social_worker["email"])] == [recorded["id"]]
