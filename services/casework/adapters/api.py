"""The casework JSON API, for the `cme` command and other authorised systems."""

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.casework.adapters.tables import cases, timeline


class CaseListItem(BaseModel):
    case_id: UUID
    reference: str
    child_id: UUID
    status: str
    priority: str
    track: str
    due_date: date
    officer_id: str | None
    opened_at: datetime
    closed_at: datetime | None


class CaseList(BaseModel):
    cases: list[CaseListItem]
    total: int
    page: int
    page_size: int


class TimelineEntry(BaseModel):
    at: datetime
    kind: str
    actor: str
    summary: str
    source: str


class CaseDetail(CaseListItem):
    child: dict[str, Any]
    timeline: list[TimelineEntry]


def bearer_user(tokens: dict[str, str]) -> Any:
    async def authenticate(request: Request) -> str:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        user = tokens.get(token) if scheme.lower() == "bearer" and token else None
        if user is None:
            raise HTTPException(
                status_code=401, detail="A valid bearer token is required", headers={"WWW-Authenticate": "Bearer"}
            )
        request.state.api_user = user
        return user

    return authenticate


def add_api_routes(app: FastAPI, session_factory: async_sessionmaker[AsyncSession], tokens: dict[str, str]) -> None:
    router = APIRouter(prefix="/api/v1", tags=["cases"], dependencies=[Depends(bearer_user(tokens))])

    @router.get("/cases", response_model=CaseList, summary="List cases")
    async def list_cases(
        child_id: UUID | None = None,
        status: str | None = None,
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> CaseList:
        query = select(cases)
        if child_id is not None:
            query = query.where(cases.c.child_id == child_id)
        if status is not None:
            query = query.where(cases.c.status == status)
        async with session_factory() as session:
            total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
            rows = (
                (
                    await session.execute(
                        query.order_by(cases.c.opened_at.desc(), cases.c.case_id)
                        .limit(page_size)
                        .offset((page - 1) * page_size)
                    )
                )
                .mappings()
                .all()
            )
        return CaseList(
            cases=[CaseListItem.model_validate(dict(row)) for row in rows], total=total, page=page, page_size=page_size
        )

    @router.get("/cases/{case_id}", response_model=CaseDetail, summary="Show one case with its timeline")
    async def show_case(case_id: UUID) -> CaseDetail:
        async with session_factory() as session:
            row = (await session.execute(select(cases).where(cases.c.case_id == case_id))).mappings().first()
            if row is None:
                raise HTTPException(status_code=404, detail="No such case")
            entries = (
                (
                    await session.execute(
                        select(timeline)
                        .where(timeline.c.case_id == case_id)
                        .order_by(timeline.c.at, timeline.c.entry_id)
                    )
                )
                .mappings()
                .all()
            )
        return CaseDetail.model_validate({**row, "timeline": [dict(entry) for entry in entries]})

    app.include_router(router)
