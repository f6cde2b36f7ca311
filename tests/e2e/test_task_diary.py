"""Issue 8 item 4 acceptance: the task diary's rules, end to end. Returns go in through intake's API; triage and
casework run as processes on real Kafka and PostgreSQL; the rules run through `python -m services.casework
run-due --as-of`, so nothing sleeps. Every person here is invented.

A permanently excluded pupil's day-6 alternative provision check, and the prompt for a child passing compulsory
school age, each appear on their day, not the day before, and once however often the rules run.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from contracts.reference.school_age import csa_end
from contracts.reference.school_days import SchoolCalendar
from tests.e2e.test_joiner_watch import run_due, submit_leaver, wait_for_case
from tests.support.submissions import leaver
from tests.support.suite import RunningSuite
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

# Triage's own school-day count (no term dates configured in the suite), to check casework's independently.
CALENDAR = SchoolCalendar()


def casework_run_due(as_of: date) -> list[str]:
    return ["-m", "services.casework", "run-due", "--as-of", f"{as_of.isoformat()}T09:00:00+00:00"]


async def tasks_of_child(db: dict[str, asyncpg.Connection], child_id: str, kind: str) -> list[asyncpg.Record]:
    return list(await db["casework"].fetch(
        "SELECT * FROM tasks WHERE child_id = $1::uuid AND kind = $2", child_id, kind
    ))


def a_recent_monday() -> date:
    today = datetime.now(UTC).date()
    return today - timedelta(days=today.weekday() + 14)


async def test_a_permanent_exclusion_raises_the_day_6_check_on_the_sixth_school_day(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    excluded_on = a_recent_monday()
    accepted = await submit_leaver(suite, leaver(leaving_reason="9(1)(o)", leaving_date=excluded_on.isoformat()))
    child_id = accepted["child_id"]

    async def recorded() -> asyncpg.Record | None:
        return await db["casework"].fetchrow("SELECT * FROM exclusion_leavers WHERE child_id = $1::uuid", child_id)

    leaver_row = await eventually(recorded, what="casework noting the exclusion leaver")
    assert leaver_row["excluded_on"] == excluded_on
    day_6 = CALENDAR.add_school_days(excluded_on, 6)

    summary: dict[str, Any] = await run_due(suite, *casework_run_due(day_6 - timedelta(days=1)))
    assert "tasks_created" in summary
    assert await tasks_of_child(db, child_id, "exclusion_ap_check") == []
    await run_due(suite, *casework_run_due(day_6))
    await run_due(suite, *casework_run_due(day_6))
    [task] = await tasks_of_child(db, child_id, "exclusion_ap_check")
    assert (task["due_on"], task["assignee_id"], task["case_id"], task["state"]) == (day_6, None, None, "open")


async def test_a_child_passing_compulsory_school_age_gets_a_closure_prompt_the_day_after_the_leaving_date(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    today = datetime.now(UTC).date()
    born = date(today.year - 15, 10, 1)  # of compulsory school age now; turns 16 next school year
    submission = leaver(leaving_date=(today - timedelta(days=2)).isoformat())
    submission["child"]["date_of_birth"] = born.isoformat()
    accepted = await submit_leaver(suite, submission)
    child_id = accepted["child_id"]
    [case] = await wait_for_case(suite, child_id)
    leaving_date = csa_end(born)

    await run_due(suite, *casework_run_due(leaving_date))
    assert await tasks_of_child(db, child_id, "past_compulsory_school_age") == []
    await run_due(suite, *casework_run_due(leaving_date + timedelta(days=1)))
    await run_due(suite, *casework_run_due(leaving_date + timedelta(days=1)))
    [task] = await tasks_of_child(db, child_id, "past_compulsory_school_age")
    assert (str(task["case_id"]), task["due_on"], task["state"]) == (
        case["case_id"], leaving_date + timedelta(days=1), "open",
    )
