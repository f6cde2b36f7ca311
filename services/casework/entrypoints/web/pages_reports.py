"""The Reports pages (policy §8.2, §8.3): the weekly Missing Mondays pack, for App. E roles with VIEW_REPORTS only.

Reporting (its own service, a read model of the suite's events) makes the pack; these pages fetch it through
reporting's internal API (`adapters.reporting_client`) and show it inside casework's layout, with downloads of
the PDF and the CSV files, for the team (with the agenda, which names children) or counts-only (for sharing
outside the team). Every view and download is written to casework's audit log.

The Schools pages (App. E: the lead officer "monitors the contact and reporting habits of schools"; managers) show
the schools' reporting habits and off-rolling signals reporting works out from the returns, for VIEW_SCHOOL_SIGNALS
only; the DfE termly return's CSV is a download for VIEW_REPORTS. Both audited.
"""

import re
from datetime import date, timedelta
from typing import Final

from fastapi import HTTPException, Request
from fastapi.responses import Response
from markupsafe import Markup

from services.casework.adapters.audit import AuditedAction
from services.casework.adapters.reporting_client import (
    CensusDateRefused,
    PackDocument,
    PackFormat,
    Reports,
    ReportsUnavailable,
)
from services.casework.domain.access import Permission
from services.casework.entrypoints.web.context import Ui
from services.casework.entrypoints.web.pages_common import signed_in_user
from services.casework.entrypoints.web.security import GuardedRouter, requires
from services.casework.entrypoints.web.templating import render

VIEW = requires(Permission.VIEW_REPORTS)
VIEW_SCHOOLS = requires(Permission.VIEW_SCHOOL_SIGNALS)
SCHOOL_ID: Final = re.compile(r"\d{7}")
UNAVAILABLE: Final = "The reporting service is not available. Try again in a few minutes"
DOWNLOADS: Final[dict[str, tuple[PackFormat, str, str]]] = {
    "pdf": ("pdf", "application/pdf", "pdf"),
    "csv": ("csv", "application/zip", "zip"),
}


def _week(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise HTTPException(status_code=404, detail="No such week") from None
    return day - timedelta(days=day.weekday())


def add_school_pages(router: GuardedRouter, ui: Ui, reports: Reports) -> None:
    """The Schools pages and the DfE return download. Registered before the pack's `/reports/{week}/{download}`,
    which would otherwise take `/reports/schools/{school_id}`."""

    async def audit(user_id: str, action: str, record_type: str, record_id: str, details: dict[str, str]) -> None:
        async with ui.session_factory.begin() as session:
            await ui.audit.record_many(session, [AuditedAction(user_id, action, record_type, record_id, details)])

    def unavailable(request: Request) -> Response:
        return render(ui.templates, request, "reports/unavailable.html", status_code=503, active_nav="reports",
                      message=UNAVAILABLE)

    @router.page("/reports/schools", access=VIEW_SCHOOLS)
    async def schools_page(request: Request) -> Response:
        user = signed_in_user(request)
        try:
            listing = await reports.schools(user_id=user.user_id)
        except ReportsUnavailable:
            return unavailable(request)
        period = f"{listing.first.isoformat()}..{listing.last.isoformat()}"
        await audit(user.user_id, "report.schools_viewed", "report", f"schools:{period}", {"period": period})
        return render(ui.templates, request, "reports/schools.html", active_nav="reports", listing=listing)

    @router.page("/reports/schools/{school_id}", access=VIEW_SCHOOLS)
    async def school_page(request: Request, school_id: str) -> Response:
        user = signed_in_user(request)
        if not SCHOOL_ID.fullmatch(school_id):
            raise HTTPException(status_code=404, detail="No such school")
        try:
            school = await reports.school(school_id, user_id=user.user_id)
        except ReportsUnavailable:
            return unavailable(request)
        period = f"{school.first.isoformat()}..{school.last.isoformat()}"
        await audit(user.user_id, "report.school_viewed", "school", school_id, {"period": period})
        return render(ui.templates, request, "reports/school.html", active_nav="reports", school=school)

    @router.page("/reports/dfe-return", access=VIEW)
    async def dfe_return_download(request: Request, census_date: str | None = None) -> Response:
        user = signed_in_user(request)
        chosen: date | None = None
        if census_date:
            try:
                chosen = date.fromisoformat(census_date.strip())
            except ValueError:
                return render(ui.templates, request, "reports/dfe_return.html", status_code=422,
                              active_nav="reports", census_date=census_date,
                              error="Enter the census date as a date, like 2025-01-16")
        try:
            if chosen is None:
                # No date asked for: the form, with the latest census day filled in.
                latest = await reports.latest_census_date()
                return render(ui.templates, request, "reports/dfe_return.html", active_nav="reports",
                              census_date=latest.isoformat(), error=None)
            document = await reports.dfe_return(chosen, user_id=user.user_id)
        except CensusDateRefused as refused:
            return render(ui.templates, request, "reports/dfe_return.html", status_code=422, active_nav="reports",
                          census_date=census_date, error=str(refused))
        except ReportsUnavailable:
            return unavailable(request)
        await audit(user.user_id, "report.dfe_return_downloaded", "report", f"dfe-return:{chosen.isoformat()}",
                    {"census_date": chosen.isoformat()})
        disposition = f'attachment; filename="dfe-return-{chosen.isoformat()}.csv"'
        return Response(document.body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": disposition})


def add_report_pages(router: GuardedRouter, ui: Ui, reports: Reports) -> None:
    add_school_pages(router, ui, reports)

    async def audit(user_id: str, action: str, week: date, counts_only: bool, document: PackDocument) -> None:
        """The report, and each case whose child the agenda names (a view of that child's record)."""
        details: dict[str, str | bool] = {"week": week.isoformat(), "counts_only": counts_only}
        async with ui.session_factory.begin() as session:
            await ui.audit.record_many(session, [
                AuditedAction(user_id, action, "report", f"missing-mondays-pack:{week.isoformat()}", details),
                *(AuditedAction(user_id, action, "case", case_id, details) for case_id in document.agenda_case_ids),
            ])

    @router.page("/reports", access=VIEW)
    async def pack_page(request: Request, week: str | None = None, counts_only: bool = False) -> Response:
        user = signed_in_user(request)
        chosen = _week(week)
        try:
            chosen = chosen or await reports.last_week()
            document = await reports.pack(chosen, "fragment", counts_only=counts_only, user_id=user.user_id)
        except ReportsUnavailable:
            return render(ui.templates, request, "reports/unavailable.html", status_code=503, active_nav="reports",
                          message=UNAVAILABLE)
        await audit(user.user_id, "report.pack_viewed", chosen, counts_only, document)
        # The fragment is reporting's own rendering of the pack (autoescaped there), trusted like a template.
        return render(ui.templates, request, "reports/pack.html", active_nav="reports", week=chosen,
                      counts_only=counts_only, pack_html=Markup(document.body.decode()),  # noqa: S704
                      previous_week=chosen - timedelta(days=7), next_week=chosen + timedelta(days=7))

    @router.page("/reports/{week}/{download}", access=VIEW)
    async def pack_download(request: Request, week: str, download: str, counts_only: bool = False) -> Response:
        user = signed_in_user(request)
        chosen = _week(week)
        if chosen is None or download not in DOWNLOADS:
            raise HTTPException(status_code=404, detail="No such report")
        fmt, media_type, extension = DOWNLOADS[download]
        try:
            document = await reports.pack(chosen, fmt, counts_only=counts_only, user_id=user.user_id)
        except ReportsUnavailable:
            return render(ui.templates, request, "reports/unavailable.html", status_code=503, active_nav="reports",
                          message=UNAVAILABLE)
        await audit(user.user_id, f"report.pack_downloaded_{download}", chosen, counts_only, document)
        name = f"missing-mondays-pack-{chosen.isoformat()}{'-counts-only' if counts_only else ''}.{extension}"
        disposition = f'attachment; filename="{name}"'
        return Response(document.body, media_type=media_type, headers={"Content-Disposition": disposition})
