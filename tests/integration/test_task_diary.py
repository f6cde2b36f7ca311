"""The officer's task diary on real PostgreSQL: casework's app in-process, signed in through the real sign-in form,
and `python -m services.casework run-due --as-of` as a real process against the same database.

A contact with a follow-up date, a permanent-exclusion leaver and a child reaching the end of compulsory school
age each produce the right task as of the right date (and only once); completing one shows on the case's
timeline and in the audit log. Other tests share the database, so each asserts only on its own records.
"""

import asyncio
import os
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cme_runtime.clock import utc_now
from contracts.envelope import CloudEventAttributes
from contracts.events.common_v1 import Child, School
from contracts.events.referral_v1 import LeavingGround, LegalSource, ReferralKind
from contracts.events.triage_v1 import Priority as ContractPriority
from contracts.events.triage_v1 import Track as ContractTrack
from contracts.events.triage_v1 import TriageDecided
from services.casework.adapters.repository import CaseRepository
from services.casework.adapters.tables import timeline
from services.casework.adapters.tasks import SqlTaskRepository, SqlTaskSources, tasks
from services.casework.domain.case import Case
from services.casework.domain.records import CaseFlags, ChildSummary
from services.casework.domain.tasks import TaskKind, TaskState
from services.casework.domain.vocabulary import Priority, Track
from services.casework.service_layer.cases import CaseworkService
from services.casework.service_layer.tasks import TaskService
from tests.integration.test_casework_pages import (
    ROOT,
    Team,
    app,
    audit_actions,
    browser_for,
    by_id,
    make_case,
    school_name,
    sessions_of,
    team,
    text_of,
)
from tests.support.infrastructure import Infrastructure

pytestmark = [pytest.mark.integration]
__all__ = ["app", "browser_for", "team"]  # fixtures shared with the case pages' tests


def task_service() -> TaskService:
    return TaskService(SqlTaskRepository(), SqlTaskSources(CaseRepository()), utc_now)


async def tasks_where(app: FastAPI, **equal: Any) -> list[Any]:
    query = select(tasks)
    for column, value in equal.items():
        query = query.where(tasks.c[column] == value)
    async with sessions_of(app)() as session:
        return list((await session.execute(query)).mappings())


async def run_due_process(migrated: Infrastructure, as_of: str) -> str:
    env = {**os.environ, "DATABASE_URL": migrated.database_url,
           "KAFKA_BOOTSTRAP_SERVERS": migrated.kafka_bootstrap_servers}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.casework", "run-due", "--as-of", as_of, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_a_contact_with_a_follow_up_date_puts_a_task_in_my_tasks_and_completing_it_timelines_it(
    app: FastAPI, team: Team, browser_for: Any
) -> None:
    made = await make_case(app, school_name(), officer_id=team.officer.user_id)
    browser = await browser_for(team.officer)
    follow_up_on = datetime.now(UTC).date() + timedelta(days=3)
    contacted = datetime.now(UTC) - timedelta(days=1)

    recorded = await browser.submit(f"/cases/{made.case_id}/record-contact", {
        "method": "phone", "result": "no_response",
        "when-day": str(contacted.day), "when-month": str(contacted.month), "when-year": str(contacted.year),
        "time": "10:00", "note": "",
        "follow_up-day": str(follow_up_on.day), "follow_up-month": str(follow_up_on.month),
        "follow_up-year": str(follow_up_on.year),
    })
    assert recorded.status_code == 303, recorded.text

    [task] = await tasks_where(app, case_id=UUID(made.case_id))
    assert (task["kind"], task["due_on"], task["assignee_id"], task["state"]) == (
        TaskKind.FOLLOW_UP_CONTACT.value, follow_up_on, team.officer.user_id, TaskState.OPEN.value,
    )
    _, mine = await browser.get("/tasks")
    listed = text_of(by_id(mine, "tasks"))
    assert "Follow up a contact" in listed and made.given_name in listed
    _, case_page = await browser.get(f"/cases/{made.case_id}")
    assert "Follow up a contact" in text_of(by_id(case_page, "case-tasks"))

    # The teammate sees it among the team's tasks; an officer of another team does not.
    teammate = await browser_for(team.teammate)
    _, team_page = await teammate.get("/tasks/team")
    assert str(task["task_id"]) in [a.attrib.get("href", "").removeprefix("/tasks/")
                                    for a in by_id(team_page, "tasks").iter("a")]
    outsider = await browser_for(team.outsider)
    refused, _ = await outsider.get(f"/tasks/{task['task_id']}")
    assert refused.status_code == 403

    done = await browser.submit(f"/tasks/{task['task_id']}/complete", {"outcome": "Rang again: spoke to mum"},
                                form_path=f"/tasks/{task['task_id']}")
    assert done.status_code == 303, done.text
    async with sessions_of(app)() as session:
        entries = (await session.execute(
            select(timeline.c.kind, timeline.c.summary).where(timeline.c.case_id == UUID(made.case_id))
        )).all()
    completed = [summary for kind, summary in entries if kind == "task.completed"]
    assert completed == [f"Task completed: Follow up a contact, by {team.officer.user_id}. Rang again: spoke to mum"]
    _, case_page = await browser.get(f"/cases/{made.case_id}")
    assert "Task completed: Follow up a contact" in text_of(by_id(case_page, "timeline"))
    assert "task.completed" in await audit_actions(app, team.officer.user_id, str(task["task_id"]))
    assert "case.task_completed" in await audit_actions(app, team.officer.user_id, made.case_id)
    _, mine_after = await browser.get("/tasks")
    assert f"/tasks/{task['task_id']}" not in [a.attrib.get("href") for a in mine_after.iter("a")]


async def test_run_due_raises_the_exclusion_check_and_the_end_of_school_age_prompt_on_their_days(
    app: FastAPI, migrated: Infrastructure
) -> None:
    service = task_service()
    cases = CaseworkService(app.state.runtime.outbox, CaseRepository(), utc_now, tasks=service)

    # A pupil permanently excluded on Monday 2 March 2026 (2024 ground 9(1)(o)): the exclusion track, no case.
    excluded_child = uuid4()
    decision = TriageDecided(
        decision_id=uuid4(), referral_id=uuid4(), child_id=excluded_child, decided_at=datetime(2026, 3, 3, tzinfo=UTC),
        is_cme=False, track=ContractTrack.EXCLUSION_AP, priority=ContractPriority.P2, rules_version="test",
        kind=ReferralKind.LEAVER, referral_date=date(2026, 3, 2),
        child=Child(given_name="Excluded", family_name=f"Pupil{uuid4().hex[:6]}", date_of_birth=date(2013, 2, 2)),
        school=School(establishment_id="8851234", name="Test High"),
        leaving_ground=LeavingGround(code="9(1)(o)", legal_source=LegalSource.REGS_2024),
    )
    attributes = CloudEventAttributes(id=str(uuid4()), source="tests", type=TriageDecided.event_type,
                                      time=datetime.now(UTC))
    # A child born 15 October 2010: school leaving date Friday 25 June 2027.
    ageing = Case.open(
        case_id=str(uuid4()), child_id=str(uuid4()), referral_id=str(uuid4()), priority=Priority.P2,
        track=Track.CME_ENQUIRY, due_date=date(2028, 1, 1), opened_at=datetime(2026, 3, 1, tzinfo=UTC),
        child_summary=ChildSummary(given_name="Ageing", family_name="Child", date_of_birth=date(2010, 10, 15)),
        flags=CaseFlags(),
    )
    async with sessions_of(app).begin() as session:
        await cases.on_triage_decided(session, attributes, decision)
        await CaseRepository().add(session, ageing)

    async def run(day: date) -> None:
        async with sessions_of(app).begin() as session:
            await service.run_due(session, datetime(day.year, day.month, day.day, 9, tzinfo=UTC))

    await run(date(2026, 3, 9))
    assert await tasks_where(app, child_id=excluded_child) == []
    await run(date(2026, 3, 10))
    await run(date(2026, 3, 10))
    [check] = await tasks_where(app, child_id=excluded_child)
    assert (check["kind"], check["due_on"], check["assignee_id"], check["case_id"]) == (
        TaskKind.EXCLUSION_AP_CHECK.value, date(2026, 3, 10), None, None,
    )

    ageing_id = UUID(ageing.case_id)
    await run(date(2027, 6, 25))
    assert await tasks_where(app, case_id=ageing_id) == []  # the leaving date itself is still of school age
    # The command itself, as `cme run-due` runs it: the day after the leaving date raises the prompt, once.
    printed = await run_due_process(migrated, "2027-06-26T09:00:00+01:00")
    assert '"tasks_created"' in printed
    await run_due_process(migrated, "2027-06-26T09:00:00+01:00")
    past = [t for t in await tasks_where(app, case_id=ageing_id)
            if t["kind"] == TaskKind.PAST_COMPULSORY_SCHOOL_AGE.value]
    assert [(t["due_on"], t["state"]) for t in past] == [(date(2027, 6, 26), TaskState.OPEN.value)]


async def test_a_lost_pupil_ctf_decision_puts_a_check_in_the_team_s_tasks_once(app: FastAPI) -> None:
    cases = CaseworkService(app.state.runtime.outbox, CaseRepository(), utc_now, tasks=task_service())
    child_id = uuid4()
    decision = TriageDecided(
        decision_id=uuid4(), referral_id=uuid4(), child_id=child_id, decided_at=datetime(2026, 3, 4, 8, tzinfo=UTC),
        is_cme=False, track=ContractTrack.NO_ACTION, priority=ContractPriority.P3, rules_version="test",
        kind=ReferralKind.CTF_BULK, referral_date=date(2026, 3, 3), lost_pupil_file=True,
        child=Child(given_name="Lost", family_name=f"Pupil{uuid4().hex[:6]}", date_of_birth=date(2014, 2, 2)),
    )
    attributes = CloudEventAttributes(id=str(uuid4()), source="tests", type=TriageDecided.event_type,
                                      time=datetime.now(UTC))
    for _ in range(2):  # redelivered: the inbox would drop it; the natural key holds even without it
        async with sessions_of(app).begin() as session:
            await cases.on_triage_decided(session, attributes, decision)

    [task] = await tasks_where(app, child_id=child_id)
    assert (task["kind"], task["due_on"], task["assignee_id"], task["case_id"], task["child_label"]) == (
        TaskKind.LOST_PUPIL_CTF.value, date(2026, 3, 4), None, None, decision.child.given_name + " "
        + decision.child.family_name,
    )
