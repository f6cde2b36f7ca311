"""The casework JSON API, for the `cme` command and other authorised systems.

A bearer token stands for a user in `users` (settings.api_tokens maps tokens to user ids; `python -m
services.casework ensure-service-user` creates a service user), and the API applies that user's permissions just
as the UI does: their role decides which routes they may use and which cases they see, and every read is audited.
"""

import hmac
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cme_runtime.logging import get_logger
from services.casework.adapters.accounts import Accounts, User
from services.casework.adapters.audit import AuditedAction, AuditLog
from services.casework.adapters.queries import api_case_list, case_row, scope_for, team_of, timeline_rows
from services.casework.domain.access import Permission, can_view_case
from services.casework.entrypoints.web.security import AccessRule, requires

VIEW_CASES = requires(Permission.VIEW_OWN_AND_TEAM_CASES, Permission.VIEW_ALL_CASES)
log = get_logger(__name__)


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


def token_user_id(tokens: Mapping[str, str], presented: str) -> str | None:
    """The user id a presented token stands for, comparing in constant time against every configured token."""
    found = None
    for token, user_id in tokens.items():
        if hmac.compare_digest(token.encode(), presented.encode()):
            found = user_id
    return found


def bearer_user(
    tokens: Mapping[str, str], session_factory: async_sessionmaker[AsyncSession], accounts: Accounts
) -> Callable[[Request], Awaitable[User]]:
    async def authenticate(request: Request) -> User:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        user_id = token_user_id(tokens, presented) if scheme.lower() == "bearer" and presented else None
        user = None
        if user_id is not None:
            async with session_factory() as session:
                user = await accounts.get(session, user_id)
        if user is None:
            # The same answer for an unknown token and for a token whose user is missing or switched off.
            raise HTTPException(
                status_code=401, detail="A valid bearer token is required", headers={"WWW-Authenticate": "Bearer"}
            )
        request.state.api_user = user.user_id
        return user

    return authenticate


def add_api_routes(app: FastAPI, session_factory: async_sessionmaker[AsyncSession], tokens: dict[str, str],
                   accounts: Accounts, audit: AuditLog) -> None:
    authenticate = bearer_user(tokens, session_factory, accounts)
    router = APIRouter(prefix="/api/v1", tags=["cases"])

    def allowed(rule: AccessRule) -> Callable[[User], User]:
        def check(user: Annotated[User, Depends(authenticate)]) -> User:
            if not rule.allows(user):
                log.warning("api access refused", user_id=user.user_id)
                raise HTTPException(status_code=403, detail="This token's user may not do this")
            return user

        return check

    def route(path: str, rule: AccessRule, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """A GET route that states its access rule, as GuardedRouter routes do, for the route access test."""

        def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
            endpoint.__access__ = rule  # type: ignore[attr-defined]
            router.add_api_route(path, endpoint, methods=["GET"], **kwargs)
            return endpoint

        return register

    @route("/cases", VIEW_CASES, response_model=CaseList, summary="List the cases the token's user may see")
    async def list_cases(
        user: Annotated[User, Depends(allowed(VIEW_CASES))],
        child_id: UUID | None = None,
        status: str | None = None,
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> CaseList:
        async with session_factory.begin() as session:
            rows, total = await api_case_list(
                session, await scope_for(session, user.actor), child_id=child_id, status=status, page=page,
                page_size=page_size,
            )
            await audit.record_many(session, [
                AuditedAction(user.user_id, "case.list_viewed", "case", str(row["case_id"]), {"view": "api"})
                for row in rows
            ])
        return CaseList(
            cases=[CaseListItem.model_validate(dict(row)) for row in rows], total=total, page=page, page_size=page_size
        )

    @route("/cases/{case_id}", VIEW_CASES, response_model=CaseDetail, summary="Show one case with its timeline")
    async def show_case(user: Annotated[User, Depends(allowed(VIEW_CASES))], case_id: UUID) -> CaseDetail:
        async with session_factory.begin() as session:
            row = await case_row(session, case_id)
            visible = row is not None and can_view_case(
                user.actor, row["officer_id"], await team_of(session, row["officer_id"])
            )
            if row is not None and not visible:
                await audit.record(session, actor_id=user.user_id, action="case.view_refused", record_type="case",
                                   record_id=str(case_id), details={"view": "api"})
            if row is None or not visible:
                entries = None
            else:
                entries = await timeline_rows(session, case_id)
                await audit.record(session, actor_id=user.user_id, action="case.viewed", record_type="case",
                                   record_id=str(case_id), details={"view": "api"})
        if row is None or entries is None:
            # A case the user may not see looks like no case at all, so ids cannot be probed.
            raise HTTPException(status_code=404, detail="No such case")
        return CaseDetail.model_validate({**row, "timeline": [dict(entry) for entry in entries]})

    app.include_router(router)
