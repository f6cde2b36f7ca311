"""The task diary's use cases on in-memory ports: `run_due` raises each rule's task once, events raise theirs,
and completing a task puts it on the case's timeline."""

from datetime import UTC, date, datetime

import pytest

from cme_runtime.testing import TRANSACTION, FixedClock
from services.casework.domain.case import Case
from services.casework.domain.errors import InvalidRecord
from services.casework.domain.tasks import ExclusionLeaver, TaskKind, TaskState
from services.casework.service_layer.tasks import TaskService
from services.casework.tests.factories import OFFICER, allocated_case
from services.casework.tests.task_fakes import FakeTaskRepository, FakeTaskSources

NOW = datetime(2026, 3, 25, 9, tzinfo=UTC)


def service_with(*cases: Case) -> tuple[TaskService, FakeTaskRepository, FakeTaskSources]:
    repository, sources = FakeTaskRepository(), FakeTaskSources(list(cases))
    return TaskService(repository, sources, FixedClock(NOW)), repository, sources


def at_nine(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


async def test_run_due_raises_each_rule_s_task_on_its_day_and_never_twice() -> None:
    case = allocated_case(due_date=date(2026, 3, 30))
    service, repository, _ = service_with(case)
    await service.exclusion_leaver(TRANSACTION, "referral-9", ExclusionLeaver("child-9", date(2026, 3, 17), None,
                                                                               "Test Child"))

    before = await service.run_due(TRANSACTION, at_nine(date(2026, 3, 24)))
    assert before.total == 0 and repository.tasks == {}

    on_the_day = await service.run_due(TRANSACTION, at_nine(date(2026, 3, 25)))
    assert on_the_day.created == {TaskKind.ENQUIRY_DEADLINE.value: 1, TaskKind.EXCLUSION_AP_CHECK.value: 1}

    again = await service.run_due(TRANSACTION, at_nine(date(2026, 3, 25)))
    assert again.total == 0
    assert sorted(task.kind for task in repository.tasks.values()) == [
        TaskKind.ENQUIRY_DEADLINE, TaskKind.EXCLUSION_AP_CHECK,
    ]
    exclusion = next(t for t in repository.tasks.values() if t.kind is TaskKind.EXCLUSION_AP_CHECK)
    assert (exclusion.assignee_id, exclusion.due_on, exclusion.child_label) == (None, date(2026, 3, 25), "Test Child")


async def test_run_due_reads_the_day_in_england() -> None:
    # 23:30 UTC on 24 March is still the 24th in London (GMT): the deadline task is not owed yet.
    case = allocated_case(due_date=date(2026, 3, 30))
    service, _, _ = service_with(case)
    assert (await service.run_due(TRANSACTION, datetime(2026, 3, 24, 23, 30, tzinfo=UTC))).total == 0
    assert (await service.run_due(TRANSACTION, datetime(2026, 3, 25, 0, 30, tzinfo=UTC))).total == 1


async def test_a_recheck_and_a_failed_message_each_become_one_task_for_the_case_s_officer() -> None:
    case = allocated_case()
    service, repository, _ = service_with(case)
    assert await service.recheck_due(TRANSACTION, case.case_id, date(2026, 4, 13)) is not None
    assert await service.recheck_due(TRANSACTION, case.case_id, date(2026, 4, 13)) is None  # redelivered
    failed = await service.message_failed(TRANSACTION, case.case_id, message_key="message-1", who="social worker",
                                          reason="retries_exhausted", at=NOW)
    assert failed is not None and (failed.kind, failed.assignee_id, failed.due_on) == (
        TaskKind.MESSAGE_FAILED, OFFICER, date(2026, 3, 25),
    )
    assert await service.message_failed(TRANSACTION, case.case_id, message_key="message-1", who="social worker",
                                        reason="retries_exhausted", at=NOW) is None
    assert len(repository.tasks) == 2


async def test_completing_a_task_writes_the_case_timeline_once() -> None:
    case = allocated_case()
    service, _, sources = service_with(case)
    task = await service.follow_up(TRANSACTION, case, kind=TaskKind.FOLLOW_UP_CONTACT, due_on=date(2026, 3, 27),
                                   officer_id=OFFICER, what="Phone contact (no answer)")
    assert task is not None
    done = await service.complete(TRANSACTION, task.task_id, OFFICER, "Rang again: spoke to the parent")
    assert done.state is TaskState.COMPLETED and done.completed_at == NOW
    [entry] = sources.timeline
    assert entry["kind"] == "task.completed" and entry["case_id"] == case.case_id
    assert entry["summary"] == (
        f"Task completed: Follow up a contact, by {OFFICER}. Rang again: spoke to the parent"
    )
    with pytest.raises(InvalidRecord, match="already done"):
        await service.complete(TRANSACTION, task.task_id, OFFICER, "again")
    assert len(sources.timeline) == 1


async def test_a_lost_pupil_ctf_raises_one_check_on_the_child_s_open_case() -> None:
    case = allocated_case()
    service, repository, _ = service_with(case)
    first = await service.lost_pupil_file(TRANSACTION, case.child_id, "Test Child", NOW)
    again = await service.lost_pupil_file(TRANSACTION, case.child_id, "Test Child", NOW)  # redelivered
    assert first is not None and again is None
    assert (first.kind, first.case_id, first.assignee_id, first.due_on) == (
        TaskKind.LOST_PUPIL_CTF, case.case_id, OFFICER, date(2026, 3, 25),
    )
    assert list(repository.tasks) == [first.task_id]
