"""The JSON API's changes to a case: closing it, under the same rules as the officers' pages (issue 12).

A closure the case's rules refuse answers 422 with the reason in plain words (never a child's details); the
refusal is audited like the officers' refused changes.
"""

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.casework.adapters.accounts import Accounts, User
from services.casework.adapters.audit import AuditLog
from services.casework.adapters.repository import ConcurrentChange
from services.casework.domain.access import Permission
from services.casework.domain.errors import DomainError
from services.casework.domain.records import ClosureDetails
from services.casework.domain.vocabulary import ClosureReason
from services.casework.entrypoints.api import bearer_user
from services.casework.entrypoints.web.security import AccessRule, requires
from services.casework.service_layer.officer_actions import CaseNotFound, ClosureEntry, NotPermitted, OfficerActions

CLOSE_CASE = requires(Permission.CLOSE_CASE)


class ClosureRequest(BaseModel):
    reason: ClosureReason
    expected_version: int | None = Field(default=None, description="Refuse (409) if the case changed since")
    school_id: str | None = None
    la_name: str | None = None
    la_code: str | None = None
    destination_country: str | None = None
    acknowledged: bool = False
    duplicate_of: UUID | None = None
    details: str | None = Field(default=None, max_length=10_000)


class ClosureResult(BaseModel):
    case_id: UUID
    status: str
    version: int


def add_api_action_routes(
    app: FastAPI,
    *,
    session_factory: async_sessionmaker[AsyncSession],
    tokens: dict[str, str],
    accounts: Accounts,
    audit: AuditLog,
    actions: OfficerActions,
) -> None:
    authenticate = bearer_user(tokens, session_factory, accounts)
    router = APIRouter(prefix="/api/v1", tags=["cases"])

    def allowed(rule: AccessRule) -> Callable[[User], User]:
        def check(user: Annotated[User, Depends(authenticate)]) -> User:
            if not rule.allows(user):
                raise HTTPException(status_code=403, detail="This token's user may not do this")
            return user

        return check

    async def close_case(
        user: Annotated[User, Depends(allowed(CLOSE_CASE))], case_id: UUID, request: ClosureRequest
    ) -> ClosureResult:
        entry = ClosureEntry(
            request.reason,
            ClosureDetails(
                school_id=request.school_id,
                la_name=request.la_name,
                la_code=request.la_code,
                destination_country=request.destination_country,
                acknowledged=request.acknowledged,
                duplicate_of=str(request.duplicate_of) if request.duplicate_of else None,
                text=request.details,
            ),
        )
        refusal: str | None = None
        try:
            async with session_factory.begin() as session:
                case = await actions.close(session, user, str(case_id), request.expected_version, entry)
                return ClosureResult(case_id=case_id, status=case.status.value, version=case.version)
        except CaseNotFound:
            raise HTTPException(status_code=404, detail="No such case") from None
        except NotPermitted:
            # A case the user may not see looks like no case at all (as GET /cases/{id} does).
            raise HTTPException(status_code=404, detail="No such case") from None
        except ConcurrentChange:
            raise HTTPException(status_code=409, detail="The case changed since you read it") from None
        except DomainError as refused:
            refusal = str(refused).replace(f"case {case_id}", "this case")
        async with session_factory.begin() as session:
            await audit.record(session, actor_id=user.user_id, action="case.close_refused", record_type="case",
                               record_id=str(case_id), details={"reason": request.reason.value, "view": "api"})
        raise HTTPException(status_code=422, detail=refusal)

    close_case.__access__ = CLOSE_CASE  # type: ignore[attr-defined]
    responses: dict[int | str, dict[str, Any]] = {422: {"description": "The case's closure rules refuse it"}}
    router.add_api_route("/cases/{case_id}/close", close_case, methods=["POST"], response_model=ClosureResult,
                         summary="Close a case, under the same closure rules as the officers' pages",
                         responses=responses)
    app.include_router(router)
