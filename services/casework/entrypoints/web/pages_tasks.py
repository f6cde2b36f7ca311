"""The task diary pages: My tasks, Team tasks, a task with "mark as done", "add a task" on a case, and the open
tasks section of the case page. Every list and task view is audited (a task names a child); so is every change.
"""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Final
from uuid import UUID

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.adapters.accounts import User
from services.casework.adapters.repository import reference_for
from services.casework.adapters.tasks import DiaryRow, officer_names
from services.casework.domain.access import Permission, Role
from services.casework.domain.case import Case
from services.casework.domain.errors import DomainError
from services.casework.domain.tasks import KIND_LABELS, MAX_NOTE_LENGTH, MAX_TITLE_LENGTH
from services.casework.entrypoints.web.context import Ui
from services.casework.entrypoints.web.pages_common import (
    VIEW_CASES,
    form_text,
    parse_date_fields,
    signed_in_user,
    today,
    valid_case_id,
)
from services.casework.entrypoints.web.security import GuardedRouter, requires
from services.casework.entrypoints.web.templating import render
from services.casework.service_layer.officer_actions import CaseNotFound, NotPermitted, OfficerActions
from services.casework.service_layer.tasks import TaskDiary, TaskNotFound, TaskNotPermitted

# Who works tasks: officers and the lead officer (they record contacts), and the team lead (allocates).
WORK_TASKS: Final = requires(Permission.RECORD_CONTACT, Permission.ALLOCATE)
SUCCESS: Final = {"added": "Task added", "completed": "Task marked as done"}


def valid_task_id(task_id: str) -> str:
    try:
        return str(UUID(task_id))
    except ValueError:
        raise HTTPException(status_code=404, detail="No such task") from None


def task_item(row: DiaryRow, names: Mapping[str, str], on: date) -> dict[str, Any]:
    """What the lists and the task page show of a task."""
    task = row.task
    return {
        "task_id": task.task_id,
        "kind": KIND_LABELS[task.kind],
        "title": task.title,
        "due_on": task.due_on,
        "priority": task.priority.value,
        "overdue": task.is_overdue(on),
        "due_today": task.is_open and task.due_on == on,
        "open": task.is_open,
        "case_id": task.case_id,
        "reference": row.reference,
        "child_name": row.child_name or "Child not named",
        "assignee": names.get(task.assignee_id, task.assignee_id) if task.assignee_id else "The team",
        "completed_at": task.completed_at,
        "completed_by": names.get(task.completed_by, task.completed_by) if task.completed_by else None,
        "outcome_note": task.outcome_note,
    }


async def task_items(session: AsyncSession, rows: Sequence[DiaryRow]) -> list[dict[str, Any]]:
    names = await officer_names(
        session, [each for row in rows for each in (row.task.assignee_id, row.task.completed_by)]
    )
    on = today()
    return [task_item(row, names, on) for row in rows]


async def case_tasks(session: AsyncSession, user: User, case_id: str) -> list[dict[str, Any]]:
    """The case page's open tasks section (the case page audits the view of the case)."""
    return await task_items(session, await TaskDiary.for_case(session, user, case_id))


def read_new_task(values: Mapping[str, str], on: date) -> tuple[tuple[str, date, str | None] | None, dict[str, str]]:
    errors: dict[str, str] = {}
    title = values.get("title", "")
    if not title:
        errors["title"] = "Enter what needs doing"
    elif len(title) > MAX_TITLE_LENGTH:
        errors["title"] = f"Enter no more than {MAX_TITLE_LENGTH} characters"
    due_on = due_date_field(values, "due", "date the task is due", on, errors)
    assignee = values.get("assignee", "")
    if not assignee:
        errors["assignee"] = "Select who the task is for"
    if errors or due_on is None:
        return None, errors
    return (title, due_on, None if assignee == "team" else assignee), {}


def due_date_field(values: Mapping[str, str], prefix: str, what: str, on: date, errors: dict[str, str]) -> date | None:
    """A date input for a day to come (today or later): a due date or a follow-up date."""
    day, month, year = (values.get(f"{prefix}-{part}", "") for part in ("day", "month", "year"))
    if not (day or month or year):
        errors[f"{prefix}-day"] = f"Enter the {what}"
        return None
    parsed = parse_date_fields(day, month, year)
    if parsed is None:
        errors[f"{prefix}-day"] = f"The {what} must be a real date, for example 27 3 2027"
        return None
    if parsed < on:
        errors[f"{prefix}-day"] = f"The {what} must be today or in the future"
        return None
    return parsed


def add_task_pages(router: GuardedRouter, ui: Ui, diary: TaskDiary, actions: OfficerActions) -> None:
    add_task_lists(router, ui, diary)
    add_task_page(router, ui, diary)
    add_new_task_form(router, ui, diary, actions)


def add_task_lists(router: GuardedRouter, ui: Ui, diary: TaskDiary) -> None:
    templates = ui.templates

    async def list_page(request: Request, which: str) -> Response:
        user = signed_in_user(request)
        async with ui.session_factory.begin() as session:
            rows = await (diary.my_tasks if which == "mine" else diary.team_tasks)(session, user)
            items = await task_items(session, rows)
        return render(templates, request, "tasks/list.html", active_nav="tasks", which=which, tasks=items,
                      today=today())

    @router.page("/tasks", access=VIEW_CASES)
    async def my_tasks(request: Request) -> Response:
        return await list_page(request, "mine")

    @router.page("/tasks/team", access=VIEW_CASES)
    async def team_tasks(request: Request) -> Response:
        return await list_page(request, "team")


def add_task_page(router: GuardedRouter, ui: Ui, diary: TaskDiary) -> None:
    templates = ui.templates
    async def show(request: Request, task_id: str, *, values: Mapping[str, str], errors: Mapping[str, str],
                   status_code: int, success: str | None = None) -> Response:
        user = signed_in_user(request)
        refused: TaskNotPermitted | None = None
        async with ui.session_factory.begin() as session:
            try:
                row = await diary.view(session, user, task_id)
                [item] = await task_items(session, [row])
            except TaskNotFound:
                raise HTTPException(status_code=404, detail="No such task") from None
            except TaskNotPermitted as error:
                refused = error  # commit the refusal's audit entry, then answer 403
        if refused is not None:
            raise HTTPException(status_code=403, detail=str(refused))
        return render(templates, request, "tasks/show.html", status_code=status_code, active_nav="tasks",
                      task=item, values=values, errors=errors, success=SUCCESS.get(success or ""),
                      may_complete=user.actor.may(Permission.RECORD_CONTACT) or user.actor.may(Permission.ALLOCATE),
                      max_note=MAX_NOTE_LENGTH)

    @router.page("/tasks/{task_id}", access=VIEW_CASES)
    async def task_page(request: Request, task_id: str, success: str | None = None) -> Response:
        return await show(request, valid_task_id(task_id), values={}, errors={}, status_code=200, success=success)

    @router.action("/tasks/{task_id}/complete", access=WORK_TASKS)
    async def complete(request: Request, task_id: str) -> Response:
        task_id = valid_task_id(task_id)
        user = signed_in_user(request)
        form = await request.form()
        note = form_text(form, "outcome")
        errors: dict[str, str] = {}
        if not note:
            errors["outcome"] = "Enter what was done"
        elif len(note) > MAX_NOTE_LENGTH:
            errors["outcome"] = f"Enter no more than {MAX_NOTE_LENGTH:,} characters"
        refused: TaskNotPermitted | None = None
        if not errors:
            try:
                async with ui.session_factory.begin() as session:
                    try:
                        await diary.complete(session, user, task_id, note)
                    except TaskNotPermitted as error:
                        refused = error  # keep the refusal's audit entry
                if refused is None:
                    return RedirectResponse(f"/tasks/{task_id}?success=completed", status_code=303)
            except TaskNotFound:
                raise HTTPException(status_code=404, detail="No such task") from None
            except DomainError as problem:
                errors["outcome"] = str(problem)[:1].upper() + str(problem)[1:]
        if refused is not None:
            raise HTTPException(status_code=403, detail=str(refused))
        return await show(request, task_id, values={"outcome": note}, errors=errors, status_code=400)


def add_new_task_form(router: GuardedRouter, ui: Ui, diary: TaskDiary, actions: OfficerActions) -> None:
    templates = ui.templates
    async def add_form(request: Request, case_id: str, *, values: Mapping[str, str], errors: Mapping[str, str],
                       status_code: int) -> Response:
        user = signed_in_user(request)
        refused: NotPermitted | None = None
        async with ui.session_factory.begin() as session:
            try:
                case = await actions.view(session, user, case_id, page="add-task")
                officers = [
                    officer for officer in await ui.accounts.all_users(session)
                    if {Role.CME_OFFICER, Role.LEAD_OFFICER} & officer.roles
                ]
            except CaseNotFound:
                raise HTTPException(status_code=404, detail="No such case") from None
            except NotPermitted as error:
                refused = error
        if refused is not None:
            raise HTTPException(status_code=403, detail=str(refused))
        return render(templates, request, "tasks/add.html", status_code=status_code, active_nav="tasks",
                      case=case, child_name=f"{case.child.given_name} {case.child.family_name}",
                      reference=reference_for(case.case_id), version=case.version, values=values, errors=errors,
                      today=today(), officers=officers)

    @router.page("/cases/{case_id}/add-task", access=WORK_TASKS)
    async def add_task_form(request: Request, case_id: str) -> Response:
        user = signed_in_user(request)
        return await add_form(request, valid_case_id(case_id), values={"assignee": user.user_id}, errors={},
                              status_code=200)

    @router.action("/cases/{case_id}/add-task", access=WORK_TASKS)
    async def add_task(request: Request, case_id: str) -> Response:
        case_id = valid_case_id(case_id)
        user = signed_in_user(request)
        form = await request.form()
        values = {name: form_text(form, name) for name in form if name != "csrf_token"}
        entry, errors = read_new_task(values, today())
        refused: Exception | None = None
        if entry is not None:
            title, due_on, assignee = entry
            try:
                async with ui.session_factory.begin() as session:
                    try:
                        case: Case = await actions.view(session, user, case_id, page="add-task")
                        task = await diary.add(session, user, case, title=title, due_on=due_on, assignee_id=assignee)
                    except (NotPermitted, TaskNotPermitted) as error:
                        refused = error
                if refused is None:
                    return RedirectResponse(f"/tasks/{task.task_id}?success=added", status_code=303)
            except CaseNotFound:
                raise HTTPException(status_code=404, detail="No such case") from None
            except DomainError as problem:
                errors = {"title": str(problem)[:1].upper() + str(problem)[1:]}
        if refused is not None:
            raise HTTPException(status_code=403, detail=str(refused))
        return await add_form(request, case_id, values=values, errors=errors, status_code=400)
