"""Reporting's internal HTTP API for the schools' reporting habits, off-rolling signals and the DfE termly return.

For casework's officers' UI only (it checks App. E permissions and audits each view), with the same service token
as the pack's API (CME_INTERNAL_API_TOKEN); with no token configured the API is not there (404). JSON, except the
DfE return, which is its CSV. School ids and counts only: no child is named.
"""

import hmac
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request, Response
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.reporting.domain.dfe_return import to_csv
from services.reporting.domain.schools import Signal, TermHabits, ground_label
from services.reporting.service_layer.schools import SchoolsService, UnknownCensusDate

PREFIX = "/internal/v1"
SCHOOL_ID = r"^\d{7}$"


def _signal(signal: Signal) -> dict[str, Any]:
    return {
        "kind": signal.kind.value, "title": signal.title, "count": signal.count,
        "severity": round(signal.severity, 3), "off_rolling": signal.off_rolling, "explanation": signal.explanation,
    }


def _habits(habits: TermHabits) -> dict[str, Any]:
    return {
        "term": habits.term.label,
        "joiners_on_time": habits.joiners_on_time,
        "joiners_late": habits.joiners_late,
        "joiners_standard_transition": habits.joiners_standard_transition,
        "leavers_on_time": habits.leavers_on_time,
        "leavers_late": habits.leavers_late,
        "leavers_standard_transition": habits.leavers_standard_transition,
        "deletions_without_return": habits.deletions_without_return,
        "leavers_by_ground": [[code, ground_label(code), count] for code, count in habits.leavers_by_ground],
        "rejected": habits.rejected,
        "rejected_by_problem": [[problem, count] for problem, count in habits.rejected_by_problem],
    }


def add_schools_api(
    app: FastAPI,
    session_factory: async_sessionmaker[AsyncSession],
    schools: SchoolsService,
    token: SecretStr | None,
    la_code: str,
) -> None:
    def authenticate(request: Request) -> None:
        if token is None:
            raise HTTPException(status_code=404)
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.encode(), token.get_secret_value().encode()):
            raise HTTPException(status_code=401, detail="A valid service token is required")

    router = APIRouter(prefix=PREFIX, dependencies=[Depends(authenticate)], include_in_schema=False)

    def period(first: date | None, last: date | None) -> tuple[date, date]:
        default = schools.default_period()
        first, last = first or default.first, last or default.last
        if first > last:
            raise HTTPException(status_code=422, detail="The period's first day must not be after its last day")
        return first, last

    @router.get("/schools")
    async def ranked(
        first: Annotated[date | None, Query()] = None, last: Annotated[date | None, Query()] = None
    ) -> dict[str, Any]:
        start, end = period(first, last)
        async with session_factory() as session:
            report = await schools.report(session, start, end)
        return {
            "first": report.first.isoformat(),
            "last": report.last.isoformat(),
            "ranked": [
                {"rank": entry.rank, "school_id": entry.school_id, "signals": [_signal(s) for s in entry.signals]}
                for entry in report.ranked
            ],
            "schools": sorted(report.schools),
        }

    @router.get("/schools/{school_id}")
    async def school(
        school_id: Annotated[str, Path(pattern=SCHOOL_ID)],
        first: Annotated[date | None, Query()] = None,
        last: Annotated[date | None, Query()] = None,
    ) -> dict[str, Any]:
        start, end = period(first, last)
        async with session_factory() as session:
            view = await schools.school(session, school_id, start, end)
        return {
            "school_id": view.school_id,
            "first": start.isoformat(),
            "last": end.isoformat(),
            "rank": view.rank,
            "terms": [_habits(habits) for habits in view.terms],
            "totals": _habits(view.totals),
            "signals": [_signal(s) for s in view.signals],
        }

    @router.get("/dfe-returns/latest")
    async def latest() -> dict[str, str]:
        return {"census_date": schools.latest_census_day().isoformat()}

    @router.get("/dfe-returns/{census_date}/csv")
    async def dfe_csv(census_date: date) -> Response:
        try:
            async with session_factory() as session:
                report = await schools.dfe_return(session, census_date, la_code)
        except UnknownCensusDate as error:
            raise HTTPException(status_code=422, detail=str(error)) from None
        return Response(
            to_csv(report), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="dfe-return-{census_date.isoformat()}.csv"'},
        )

    app.include_router(router)
