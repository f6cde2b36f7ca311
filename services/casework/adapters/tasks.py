"""The task diary in PostgreSQL: tasks, the exclusion leavers the day-6 rule watches, and the reads the diary
pages need. Ports (abstract) and their SQL implementations side by side; the tables sit on casework's MetaData.
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.adapters.repository import CaseRepository, reference_for
from services.casework.adapters.tables import cases, metadata, users
from services.casework.domain.case import Case
from services.casework.domain.tasks import ExclusionLeaver, Task, TaskKind, TaskState
from services.casework.domain.vocabulary import Priority, Status

tasks = Table(
    "tasks",
    metadata,
    Column("task_id", PgUUID(as_uuid=True), primary_key=True),
    Column("natural_key", Text, nullable=False, comment="Rule or form, case or child, due date: one task per key"),
    Column("kind", Text, nullable=False),
    Column("title", Text, nullable=False, comment="Free text an officer may type; may hold personal data"),
    Column("due_on", Date, nullable=False),
    Column("priority", Text, nullable=False),
    Column("child_id", PgUUID(as_uuid=True), nullable=False),
    Column("case_id", PgUUID(as_uuid=True), ForeignKey("cases.case_id")),
    Column("assignee_id", Text, comment="The officer the task is for; null: for the team"),
    Column("child_label", Text, comment="The child's name for a task with no case (personal data)"),
    Column("state", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("completed_at", DateTime(timezone=True)),
    Column("completed_by", Text),
    Column("outcome_note", Text, nullable=False, server_default="", comment="May hold personal data"),
    UniqueConstraint("natural_key", name="uq_tasks_natural_key"),
    Index("ix_tasks_open_due", "state", "due_on"),
    Index("ix_tasks_assignee_state_due", "assignee_id", "state", "due_on"),
    Index("ix_tasks_case_state", "case_id", "state"),
)

# Pupils deleted on the permanent-exclusion ground: triage sends them down the exclusion track (not CME), so no
# case opens; the day-6 alternative provision check needs to know when they were excluded.
exclusion_leavers = Table(
    "exclusion_leavers",
    metadata,
    Column("referral_id", PgUUID(as_uuid=True), primary_key=True),
    Column("child_id", PgUUID(as_uuid=True), nullable=False),
    Column("excluded_on", Date, nullable=False),
    Column("child_label", Text, nullable=False, server_default="", comment="The child's name; personal data"),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("child_id", "excluded_on", name="uq_exclusion_leavers_child_day"),
)


def _task(row: Any) -> Task:
    return Task(
        task_id=str(row.task_id),
        natural_key=row.natural_key,
        kind=TaskKind(row.kind),
        title=row.title,
        due_on=row.due_on,
        priority=Priority(row.priority),
        child_id=str(row.child_id),
        case_id=str(row.case_id) if row.case_id is not None else None,
        assignee_id=row.assignee_id,
        child_label=row.child_label or "",
        created_at=row.created_at,
        created_by=row.created_by,
        state=TaskState(row.state),
        completed_at=row.completed_at,
        completed_by=row.completed_by,
        outcome_note=row.outcome_note,
    )


def _values(task: Task) -> dict[str, Any]:
    return {
        "task_id": UUID(task.task_id),
        "natural_key": task.natural_key,
        "kind": task.kind.value,
        "title": task.title,
        "due_on": task.due_on,
        "priority": task.priority.value,
        "child_id": UUID(task.child_id),
        "case_id": UUID(task.case_id) if task.case_id else None,
        "assignee_id": task.assignee_id,
        "child_label": task.child_label or None,
        "state": task.state.value,
        "created_at": task.created_at,
        "created_by": task.created_by,
        "completed_at": task.completed_at,
        "completed_by": task.completed_by,
        "outcome_note": task.outcome_note,
    }


# ---------------------------------------------------------------------- ports


class TaskRepository(ABC):
    @abstractmethod
    async def add_if_new(self, session: AsyncSession, task: Task) -> bool:
        """Store the task unless one with its natural key exists; True when stored."""

    @abstractmethod
    async def get(self, session: AsyncSession, task_id: str) -> Task | None: ...

    @abstractmethod
    async def save_completion(self, session: AsyncSession, task: Task) -> bool:
        """Record a completed task; False when it was already completed (someone else finished it first)."""

    @abstractmethod
    async def open_for_case(self, session: AsyncSession, case_id: str) -> list[Task]: ...


class TaskSources(ABC):
    """What the task rules read of casework's other records, and the timeline they write to."""

    @abstractmethod
    async def open_cases(self, session: AsyncSession) -> list[Case]: ...

    @abstractmethod
    async def get_case(self, session: AsyncSession, case_id: str) -> Case | None: ...

    @abstractmethod
    async def open_case_of_child(self, session: AsyncSession, child_id: str) -> Case | None: ...

    @abstractmethod
    async def record_exclusion(self, session: AsyncSession, referral_id: str, leaver: ExclusionLeaver) -> None: ...

    @abstractmethod
    async def exclusion_leavers(self, session: AsyncSession) -> list[ExclusionLeaver]: ...

    @abstractmethod
    async def add_timeline(self, session: AsyncSession, entry: dict[str, Any]) -> None: ...


# ---------------------------------------------------------------------- SQL


class SqlTaskRepository(TaskRepository):
    async def add_if_new(self, session: AsyncSession, task: Task) -> bool:
        result = await session.execute(
            insert(tasks).values(**_values(task)).on_conflict_do_nothing(constraint="uq_tasks_natural_key")
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get(self, session: AsyncSession, task_id: str) -> Task | None:
        row = (await session.execute(select(tasks).where(tasks.c.task_id == UUID(task_id)))).first()
        return _task(row) if row else None

    async def save_completion(self, session: AsyncSession, task: Task) -> bool:
        result = await session.execute(
            update(tasks)
            .where(tasks.c.task_id == UUID(task.task_id), tasks.c.state == TaskState.OPEN.value)
            .values(
                state=task.state.value,
                completed_at=task.completed_at,
                completed_by=task.completed_by,
                outcome_note=task.outcome_note,
            )
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def open_for_case(self, session: AsyncSession, case_id: str) -> list[Task]:
        rows = await session.execute(
            select(tasks).where(tasks.c.case_id == UUID(case_id), tasks.c.state == TaskState.OPEN.value)
        )
        return [_task(row) for row in rows]


class SqlTaskSources(TaskSources):
    def __init__(self, cases_repository: CaseRepository) -> None:
        self.cases = cases_repository

    async def open_cases(self, session: AsyncSession) -> list[Case]:
        rows = await session.execute(
            select(cases.c.state, cases.c.version).where(cases.c.status != Status.CLOSED.value)
        )
        return [self.cases._case(state, version) for state, version in rows]

    async def get_case(self, session: AsyncSession, case_id: str) -> Case | None:
        return await self.cases.get(session, case_id)

    async def open_case_of_child(self, session: AsyncSession, child_id: str) -> Case | None:
        return next((case for case in await self.cases.for_child(session, child_id) if case.is_open), None)

    async def record_exclusion(self, session: AsyncSession, referral_id: str, leaver: ExclusionLeaver) -> None:
        await session.execute(
            insert(exclusion_leavers)
            .values(
                referral_id=UUID(referral_id),
                child_id=UUID(leaver.child_id),
                excluded_on=leaver.excluded_on,
                child_label=leaver.child_label,
            )
            .on_conflict_do_nothing()
        )

    async def exclusion_leavers(self, session: AsyncSession) -> list[ExclusionLeaver]:
        rows = await session.execute(
            select(
                exclusion_leavers.c.child_id,
                exclusion_leavers.c.excluded_on,
                exclusion_leavers.c.child_label,
                cases.c.case_id,
            )
            .select_from(
                exclusion_leavers.outerjoin(
                    cases,
                    (cases.c.child_id == exclusion_leavers.c.child_id) & (cases.c.status != Status.CLOSED.value),
                )
            )
        )
        return [
            ExclusionLeaver(str(child_id), excluded_on, str(case_id) if case_id else None, label)
            for child_id, excluded_on, label, case_id in rows
        ]

    async def add_timeline(self, session: AsyncSession, entry: dict[str, Any]) -> None:
        await self.cases.add_timeline(session, [entry])


# ---------------------------------------------------------------------- reads for the diary pages


@dataclass(frozen=True)
class DiaryRow:
    """A task as the diary lists it, with its case's reference and child (personal data: kept out of repr) and
    the case officer and their team, which decide who may see it."""

    task: Task
    reference: str | None
    child_name: str = field(repr=False)
    case_officer_id: str | None
    case_team_id: str | None


async def diary(
    session: AsyncSession,
    *,
    assignee_id: str | None = None,
    case_id: str | None = None,
    task_ids: Sequence[str] = (),
    open_only: bool = True,
) -> list[DiaryRow]:
    """Tasks with their case, due date then priority order; filtered by assignee, case or ids when given."""
    officers = users.alias("case_officer")
    query = select(
        tasks,
        cases.c.child.label("case_child"),
        cases.c.officer_id.label("case_officer_id"),
        officers.c.team_id.label("case_team_id"),
    ).select_from(tasks.outerjoin(cases, cases.c.case_id == tasks.c.case_id).outerjoin(
        officers, officers.c.user_id == cases.c.officer_id
    ))
    if open_only:
        query = query.where(tasks.c.state == TaskState.OPEN.value)
    if assignee_id is not None:
        query = query.where(tasks.c.assignee_id == assignee_id)
    if case_id is not None:
        query = query.where(tasks.c.case_id == UUID(case_id))
    if task_ids:
        query = query.where(tasks.c.task_id.in_([UUID(each) for each in task_ids]))
    query = query.order_by(tasks.c.due_on, tasks.c.priority, tasks.c.created_at, tasks.c.task_id)
    rows = await session.execute(query)
    result = []
    for row in rows:
        task = _task(row)
        child = row.case_child or {}
        name = f"{child.get('given_name', '')} {child.get('family_name', '')}".strip() or task.child_label
        result.append(
            DiaryRow(
                task=task,
                reference=reference_for(task.case_id) if task.case_id else None,
                child_name=name,
                case_officer_id=row.case_officer_id,
                case_team_id=row.case_team_id,
            )
        )
    return result


async def officer_names(session: AsyncSession, user_ids: Sequence[str | None]) -> dict[str, str]:
    wanted = sorted({each for each in user_ids if each})
    if not wanted:
        return {}
    rows = await session.execute(select(users.c.user_id, users.c.display_name).where(users.c.user_id.in_(wanted)))
    return {user_id: name for user_id, name in rows}
