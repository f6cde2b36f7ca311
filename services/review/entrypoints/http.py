"""Review's internal HTTP API: what casework's officers' UI reads and asks of the Missing Mondays meeting.

Officers sign in to one UI (casework's), which checks each user's App. E permissions and audits every view and
decision; it then calls this API with a service token (CME_INTERNAL_API_TOKEN), naming the acting user. The API
is not for browsers: it answers JSON, and only to that token. A rule of the meeting that refuses a command
answers 422 with the rule in words (never a child's details).
"""

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field, SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cme_runtime.snapshots import to_json
from services.review.adapters.meetings import ConcurrentReviewChange
from services.review.domain.meeting import Decision, MissingMondaysReview, ReviewRuleBroken
from services.review.service_layer.meetings import MeetingService, ReviewNotFound

PREFIX = "/internal/v1"


class Scores(BaseModel):
    chair_id: str
    cme_score: int = Field(ge=1, le=5)
    safeguarding_score: int = Field(ge=1, le=5)
    attendees: list[str]
    comments: str = Field(max_length=10_000)
    recommendation: Decision


class ConcernRequest(BaseModel):
    by: str
    team: str = Field(max_length=200)
    text: str = Field(max_length=10_000)


class ActorRequest(BaseModel):
    by: str


class SignOffRequest(BaseModel):
    senior_officer_id: str
    name: str = Field(max_length=200)
    role: str = Field(max_length=200)
    decision: Decision
    comments: str = Field(default="", max_length=10_000)


class WithdrawRequest(BaseModel):
    by: str
    reason: str = Field(max_length=10_000)


def form_json(review: MissingMondaysReview) -> dict[str, Any]:
    data: dict[str, Any] = to_json(review)
    data["window_closes"] = review.window_closes.isoformat() if review.window_closes else None
    data["open_concerns"] = len(review.open_concerns)
    return data


def add_internal_api(
    app: FastAPI,
    session_factory: async_sessionmaker[AsyncSession],
    service: MeetingService,
    token: SecretStr | None,
) -> None:
    def authenticate(request: Request) -> None:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if token is None:
            raise HTTPException(status_code=503, detail="The internal API has no token configured")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.encode(), token.get_secret_value().encode()):
            raise HTTPException(status_code=401, detail="A valid service token is required")

    router = APIRouter(prefix=PREFIX, dependencies=[Depends(authenticate)], include_in_schema=False)

    @asynccontextmanager
    async def command() -> AsyncIterator[AsyncSession]:
        try:
            async with session_factory.begin() as session:
                yield session
        except ReviewNotFound:
            raise HTTPException(status_code=404, detail="No such review") from None
        except ReviewRuleBroken as refused:
            raise HTTPException(status_code=422, detail=str(refused)) from None
        except ConcurrentReviewChange:
            raise HTTPException(status_code=409, detail="The review changed meanwhile") from None

    @router.get("/meetings/next")
    async def next_meeting(today: date) -> dict[str, str]:
        return {"meeting_date": service.next_meeting(today).isoformat()}

    @router.get("/meetings/{meeting_date}/agenda")
    async def agenda(meeting_date: date) -> list[dict[str, Any]]:
        async with session_factory() as session:
            return [form_json(review) for review in await service.agenda(session, meeting_date)]

    @router.get("/sign-off-queue")
    async def sign_off_queue() -> list[dict[str, Any]]:
        async with session_factory() as session:
            return [form_json(review) for review in await service.awaiting_sign_off(session)]

    @router.get("/cases/{case_id}/reviews")
    async def case_reviews(case_id: str) -> list[dict[str, Any]]:
        async with session_factory() as session:
            return [form_json(review) for review in await service.reviews.for_case(session, case_id)]

    @router.get("/reviews/{review_id}")
    async def review_form(review_id: str) -> dict[str, Any]:
        async with command() as session:
            return form_json(await service.get(session, review_id))

    @router.post("/reviews/{review_id}/score")
    async def score(review_id: str, body: Scores) -> dict[str, Any]:
        async with command() as session:
            review = await service.score(
                session, review_id, chair_id=body.chair_id, cme_score=body.cme_score,
                safeguarding_score=body.safeguarding_score, attendees=body.attendees, comments=body.comments,
                recommendation=body.recommendation,
            )
        return form_json(review)

    @router.post("/reviews/{review_id}/concerns")
    async def concern(review_id: str, body: ConcernRequest) -> dict[str, Any]:
        async with command() as session:
            review = await service.raise_concern(session, review_id, by=body.by, team=body.team, text=body.text)
        return form_json(review)

    @router.post("/reviews/{review_id}/pass-to-senior-officer")
    async def pass_on(review_id: str, body: ActorRequest) -> dict[str, Any]:
        async with command() as session:
            review = await service.pass_to_senior_officer(session, review_id, by=body.by)
        return form_json(review)

    @router.post("/reviews/{review_id}/sign-off")
    async def sign_off(review_id: str, body: SignOffRequest) -> dict[str, Any]:
        async with command() as session:
            review = await service.sign_off(
                session, review_id, senior_officer_id=body.senior_officer_id, name=body.name, role=body.role,
                decision=body.decision, comments=body.comments,
            )
        return form_json(review)

    @router.post("/reviews/{review_id}/withdraw")
    async def withdraw(review_id: str, body: WithdrawRequest) -> dict[str, Any]:
        async with command() as session:
            review = await service.withdraw(session, review_id, by=body.by, reason=body.reason)
        return form_json(review)

    @router.post("/reviews/{review_id}/add-to-agenda")
    async def add_to_agenda(review_id: str, body: WithdrawRequest) -> dict[str, Any]:
        async with command() as session:
            review = await service.add_to_agenda(session, review_id, by=body.by, reason=body.reason)
        return form_json(review)

    app.include_router(router)

