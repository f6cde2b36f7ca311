"""The task diary's use cases: tasks raised by rules as of an instant (`run-due`), by officers (follow-up dates, a
free task on a case), by events (re-checks due, messages not delivered), and completed with an outcome note.

`TaskService` talks only to its ports (tests run it on in-memory fakes). `TaskDiary` is what the officers' pages
call: it checks who may see or change a task (a task on a case follows the case's access rule; a task with no
case is for the team) and audits every view and completion, then hands on to `TaskService`.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

from cme_runtime.clock import Clock, utc_now
from cme_runtime.db import Transaction
from services.casework.adapters.accounts import Accounts, User
from services.casework.adapters.audit import AuditedAction, AuditLog
from services.casework.adapters.tasks import DiaryRow, TaskRepository, TaskSources, diary
from services.casework.domain import tasks as rules
from services.casework.domain.access import Actor, Permission, Role, can_view_case
from services.casework.domain.case import SYSTEM_ACTOR, Case
from services.casework.domain.errors import InvalidRecord
from services.casework.domain.tasks import KIND_LABELS, ExclusionLeaver, Task, TaskDraft, TaskKind

LONDON = ZoneInfo("Europe/London")


class TaskNotFound(LookupError):
    """No task has that id."""


class TaskNotPermitted(PermissionError):
    """The user may not see or change this task. The message names no child."""


@dataclass(frozen=True)
class RunDueResult:
    """How many tasks each rule raised: counts only, never personal data."""

    created: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.created.values())


class TaskService:
    def __init__(self, tasks: TaskRepository, sources: TaskSources, clock: Clock = utc_now) -> None:
        self.tasks = tasks
        self.sources = sources
        self.clock = clock

    async def _store(self, session: Transaction, draft: TaskDraft, created_by: str) -> Task | None:
        task = draft.as_task(str(uuid4()), self.clock(), created_by)
        return task if await self.tasks.add_if_new(session, task) else None

    async def run_due(self, session: Transaction, as_of: datetime) -> RunDueResult:
        """Raise every task the rules say is owed as of `as_of` (its day in England). Safe to repeat: a task
        already raised (same natural key) is not raised again."""
        today = as_of.astimezone(LONDON).date()
        drafts: list[TaskDraft] = []
        for case in await self.sources.open_cases(session):
            drafts.extend(rules.case_tasks_due(case, today))
        for leaver in await self.sources.exclusion_leavers(session):
            if (draft := rules.exclusion_ap_task(leaver, today)) is not None:
                drafts.append(draft)
        created: Counter[str] = Counter()
        for draft in drafts:
            if await self._store(session, draft, SYSTEM_ACTOR) is not None:
                created[draft.kind.value] += 1
        return RunDueResult(dict(created))

    # ------------------------------------------------------------------ officers' tasks

    async def follow_up(
        self, session: Transaction, case: Case, *, kind: TaskKind, due_on: date, officer_id: str, what: str
    ) -> Task | None:
        """A follow-up date set on a contact or check. Keyed by the case version the record made, so the
        same record never raises two tasks."""
        draft = rules.follow_up(case, kind=kind, due_on=due_on, officer_id=officer_id, what=what,
                                key=f"v{case.version}")
        return await self._store(session, draft, officer_id)

    async def add(
        self, session: Transaction, case: Case, *, title: str, due_on: date, assignee_id: str | None, by: str
    ) -> Task:
        draft = rules.officer_task(case, title=title, due_on=due_on, assignee_id=assignee_id, key=str(uuid4()))
        task = await self._store(session, draft, by)
        if task is None:  # a fresh uuid4 key cannot already exist
            raise InvalidRecord("the task could not be added")
        return task

    # ------------------------------------------------------------------ tasks from events

    async def recheck_due(self, session: Transaction, case_id: str, due_on: date) -> Task | None:
        case = await self.sources.get_case(session, case_id)
        if case is None or (draft := rules.recheck_task(case, due_on)) is None:
            return None
        return await self._store(session, draft, "review")

    async def message_failed(
        self, session: Transaction, case_id: str, *, message_key: str, who: str, reason: str, at: datetime
    ) -> Task | None:
        case = await self.sources.get_case(session, case_id)
        if case is None:
            return None
        draft = rules.message_failed_task(case, message_key, who, reason, at.astimezone(LONDON).date())
        return await self._store(session, draft, "notify")

    async def lost_pupil_file(self, session: Transaction, child_id: str, child_label: str, at: datetime) -> Task | None:
        """A CTF sent to the Lost Pupil Database: a check for the child's officer, or the team."""
        case = await self.sources.open_case_of_child(session, child_id)
        draft = rules.lost_pupil_ctf_task(child_id, case, at.astimezone(LONDON).date(), child_label)
        return await self._store(session, draft, SYSTEM_ACTOR)

    async def exclusion_leaver(self, session: Transaction, referral_id: str, leaver: ExclusionLeaver) -> None:
        """Remember a permanent exclusion so `run_due` raises the day-6 check when it falls due."""
        await self.sources.record_exclusion(session, referral_id, leaver)

    # ------------------------------------------------------------------ completing

    async def complete(self, session: Transaction, task_id: str, by: str, note: str) -> Task:
        """Mark the task done; a task on a case puts "task completed" on the case's timeline."""
        task = await self.tasks.get(session, task_id)
        if task is None:
            raise TaskNotFound(task_id)
        done = task.complete(by, self.clock(), note)
        if not await self.tasks.save_completion(session, done):
            raise InvalidRecord("this task is already done")
        if done.case_id is not None:
            await self.sources.add_timeline(
                session,
                {
                    "case_id": done.case_id,
                    "at": done.completed_at,
                    "kind": "task.completed",
                    "actor": by,
                    "summary": f"Task completed: {KIND_LABELS[done.kind]}, by {by}. {done.outcome_note}",
                    "source": "casework",
                    "event_id": f"task-completed:{done.task_id}",
                },
            )
        return done


class TaskDiary:
    """The officers' side: access rules and the audit log around `TaskService`."""

    def __init__(self, service: TaskService, accounts: Accounts, audit: AuditLog) -> None:
        self.service = service
        self.accounts = accounts
        self.audit = audit

    @staticmethod
    def may_see(actor: Actor, row: DiaryRow) -> bool:
        """A task on a case: whoever may see the case. A task with no case: the whole CME team (officers,
        managers and the lead officer), never an administrator."""
        if row.task.assignee_id == actor.user_id:
            return True
        if row.task.case_id is not None:
            return can_view_case(actor, row.case_officer_id, row.case_team_id)
        return actor.may(Permission.VIEW_ALL_CASES) or actor.may(Permission.VIEW_OWN_AND_TEAM_CASES)

    async def _audit_rows(self, session: Transaction, user: User, rows: Sequence[DiaryRow], view: str) -> None:
        await self.audit.record_many(
            session,
            [
                AuditedAction(user.user_id, "task.viewed", "task", row.task.task_id, {"view": view})
                for row in rows
            ]
            + [
                AuditedAction(user.user_id, "case.list_viewed", "case", case_id, {"view": view})
                for case_id in dict.fromkeys(row.task.case_id for row in rows if row.task.case_id)
            ],
        )

    async def my_tasks(self, session: Transaction, user: User) -> list[DiaryRow]:
        rows = [row for row in await diary(session, assignee_id=user.user_id) if self.may_see(user.actor, row)]
        await self._audit_rows(session, user, rows, "my_tasks")
        return rows

    async def team_tasks(self, session: Transaction, user: User) -> list[DiaryRow]:
        """Every open task the user may see: their own, their team's cases' (everyone's for managers and the
        lead officer), and the team's tasks with no case."""
        rows = [row for row in await diary(session) if self.may_see(user.actor, row)]
        await self._audit_rows(session, user, rows, "team_tasks")
        return rows

    @staticmethod
    async def for_case(session: Transaction, user: User, case_id: str) -> list[DiaryRow]:
        """A case page's open tasks; the case page itself audits the view of the case."""
        return [row for row in await diary(session, case_id=case_id) if TaskDiary.may_see(user.actor, row)]

    async def view(self, session: Transaction, user: User, task_id: str) -> DiaryRow:
        rows = await diary(session, task_ids=[task_id], open_only=False)
        if not rows:
            raise TaskNotFound(task_id)
        row = rows[0]
        if not self.may_see(user.actor, row):
            await self.audit.record(session, actor_id=user.user_id, action="task.view_refused", record_type="task",
                                    record_id=task_id)
            raise TaskNotPermitted("You can only see tasks on cases you can see")
        await self._audit_rows(session, user, rows, "task")
        return row

    async def complete(self, session: Transaction, user: User, task_id: str, note: str) -> Task:
        rows = await diary(session, task_ids=[task_id], open_only=False)
        if not rows:
            raise TaskNotFound(task_id)
        if not (self.may_see(user.actor, rows[0]) and _may_work_tasks(user.actor)):
            await self.audit.record(session, actor_id=user.user_id, action="task.complete_refused",
                                    record_type="task", record_id=task_id)
            raise TaskNotPermitted("You can only complete tasks on cases you work")
        done = await self.service.complete(session, task_id, user.user_id, note)
        await self.audit.record(session, actor_id=user.user_id, action="task.completed", record_type="task",
                                record_id=task_id, details={"kind": done.kind.value, "case_id": done.case_id})
        if done.case_id is not None:
            await self.audit.record(session, actor_id=user.user_id, action="case.task_completed", record_type="case",
                                    record_id=done.case_id, details={"task_id": task_id})
        return done

    async def add(
        self, session: Transaction, user: User, case: Case, *, title: str, due_on: date, assignee_id: str | None
    ) -> Task:
        """A free task on a case the user may change (the case page has already checked they may see it)."""
        if not _may_work_tasks(user.actor):
            raise TaskNotPermitted("You do not have permission to add tasks")
        if assignee_id is not None:
            officer = await self.accounts.get(session, assignee_id)
            if officer is None or not ({Role.CME_OFFICER, Role.LEAD_OFFICER} & officer.roles):
                raise InvalidRecord("a task can only be for an active CME officer or the lead officer")
        task = await self.service.add(session, case, title=title, due_on=due_on, assignee_id=assignee_id,
                                      by=user.user_id)
        await self.audit.record(session, actor_id=user.user_id, action="case.task_added", record_type="case",
                                record_id=case.case_id, details={"task_id": task.task_id})
        return task


def _may_work_tasks(actor: Actor) -> bool:
    """Who does the work tasks ask for: officers and the lead officer (they record contacts), and the team lead
    (engagement manager: allocates and escalates). The group manager and the senior officer only read."""
    return actor.may(Permission.RECORD_CONTACT) or actor.may(Permission.ALLOCATE)
