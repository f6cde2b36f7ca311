"""The dashboard: my cases, the allocation queue, cases past their due date, open-case counts and workloads."""

from typing import Final

from fastapi import Request
from fastapi.responses import Response

from services.casework.adapters.queries import (
    CaseRow,
    OfficerWorkload,
    my_cases,
    officer_workloads,
    open_counts,
    overdue,
    scope_for,
    unallocated_queue,
)
from services.casework.domain.access import Permission
from services.casework.entrypoints.web.pages_common import VIEW_CASES, CasePages, audit_list_view, signed_in_user, today
from services.casework.entrypoints.web.security import GuardedRouter
from services.casework.entrypoints.web.templating import render

DASHBOARD_ROWS: Final = 10


def add_dashboard(router: GuardedRouter, pages: CasePages) -> None:
    @router.page("/", access=VIEW_CASES)
    async def dashboard(request: Request) -> Response:
        user = signed_in_user(request)
        actor = user.actor
        on = today()
        async with pages.session_factory.begin() as session:
            scope = await scope_for(session, actor)
            mine, mine_total = await my_cases(session, user.user_id, DASHBOARD_ROWS)
            queue: list[CaseRow] = []
            queue_total = 0
            if scope.sees_all:
                queue, queue_total = await unallocated_queue(session, scope, DASHBOARD_ROWS)
            late, late_total = await overdue(session, scope, on, DASHBOARD_ROWS)
            counts = await open_counts(session, scope)
            workloads: list[OfficerWorkload] = []
            if actor.may(Permission.ALLOCATE) or actor.may(Permission.VIEW_REPORTS):
                workloads = await officer_workloads(session)
            await audit_list_view(session, pages.audit, user, [*mine, *queue, *late], "dashboard")
        return render(
            pages.templates,
            request,
            "dashboard.html",
            active_nav="dashboard",
            today=on,
            mine=mine,
            mine_total=mine_total,
            shows_queue=scope.sees_all,
            queue=queue,
            queue_total=queue_total,
            late=late,
            late_total=late_total,
            counts=counts,
            workloads=workloads,
            may_allocate=actor.may(Permission.ALLOCATE),
        )
