"""In-memory stand-ins for the task diary's ports (subclasses of the ports), for fast service-layer tests."""

from dataclasses import replace
from typing import Any

from services.casework.adapters.tasks import TaskRepository, TaskSources
from services.casework.domain.case import Case
from services.casework.domain.tasks import ExclusionLeaver, Task


class FakeTaskRepository(TaskRepository):
    def __init__(self) -> None:
        self.tasks: dict[str, Task] = {}

    async def add_if_new(self, session: Any, task: Task) -> bool:
        if any(each.natural_key == task.natural_key for each in self.tasks.values()):
            return False
        self.tasks[task.task_id] = task
        return True

    async def get(self, session: Any, task_id: str) -> Task | None:
        return self.tasks.get(task_id)

    async def save_completion(self, session: Any, task: Task) -> bool:
        if not self.tasks[task.task_id].is_open:
            return False
        self.tasks[task.task_id] = task
        return True

    async def open_for_case(self, session: Any, case_id: str) -> list[Task]:
        return [task for task in self.tasks.values() if task.case_id == case_id and task.is_open]


class FakeTaskSources(TaskSources):
    def __init__(self, cases: list[Case] | None = None) -> None:
        self.cases = {case.case_id: case for case in cases or []}
        self.leavers: dict[str, ExclusionLeaver] = {}
        self.timeline: list[dict[str, Any]] = []

    async def open_cases(self, session: Any) -> list[Case]:
        return [case for case in self.cases.values() if case.is_open]

    async def get_case(self, session: Any, case_id: str) -> Case | None:
        return self.cases.get(case_id)

    async def open_case_of_child(self, session: Any, child_id: str) -> Case | None:
        return next((c for c in self.cases.values() if c.child_id == child_id and c.is_open), None)

    async def record_exclusion(self, session: Any, referral_id: str, leaver: ExclusionLeaver) -> None:
        self.leavers.setdefault(referral_id, leaver)

    async def exclusion_leavers(self, session: Any) -> list[ExclusionLeaver]:
        result = []
        for leaver in self.leavers.values():
            case = await self.open_case_of_child(None, leaver.child_id)
            result.append(replace(leaver, case_id=case.case_id if case else None))
        return result

    async def add_timeline(self, session: Any, entry: dict[str, Any]) -> None:
        if all(each["event_id"] != entry["event_id"] for each in self.timeline):
            self.timeline.append(entry)
