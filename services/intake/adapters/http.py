"""The intake HTTP API: upstream systems submit returns here and get every problem back at once."""

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cme_runtime.service import ServiceRuntime
from contracts.events.intake_v1 import LeaverSubmitted, Problem
from services.intake.service import IntakeService, Outcome

# Schema failures are turned into the same problem list as rule failures, worded for a school administrator.
_SCHEMA_MESSAGES = {
    "missing": "Enter {field}",
    "string_too_short": "Enter {field}",
    "string_too_long": "{field} is too long",
    "date_from_datetime_parsing": "Enter {field} as a real date, like 2026-09-01",
    "date_parsing": "Enter {field} as a real date, like 2026-09-01",
    "date_type": "Enter {field} as a real date, like 2026-09-01",
    "datetime_parsing": "Enter {field} as a date and time, like 2026-09-01T09:30:00Z",
    "datetime_from_date_parsing": "Enter {field} as a date and time, like 2026-09-01T09:30:00Z",
    "enum": "Select a valid option for {field}",
    "json_invalid": "Send the submission as valid JSON",
    "model_attributes_type": "Send {field} as a JSON object",
    "dict_type": "Send {field} as a JSON object",
}


class Accepted(BaseModel):
    status: str = "accepted"
    submission_id: str
    referral_id: str
    child_id: str
    duplicate: bool = False


class Rejected(BaseModel):
    status: str = "rejected"
    submission_id: str | None
    problems: list[Problem]


def schema_problems(error: RequestValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ()) if part != "body"]
        field = ".".join(location) or "submission"
        readable = field.replace("_", " ").replace(".", " ")
        template = _SCHEMA_MESSAGES.get(item.get("type", ""), "Check {field}")
        problems.append(
            Problem(
                field=field,
                message=template.format(field=readable).capitalize()
                if template.startswith("{")
                else template.format(field=readable),
            )
        )
    return problems


def _submission_field(body: Any, name: str) -> str | None:
    if isinstance(body, dict) and isinstance(body.get(name), str):
        return str(body[name])[:100]
    return None


def outcome_response(outcome: Outcome) -> JSONResponse:
    if outcome.accepted:
        payload = Accepted(
            submission_id=str(outcome.submission_id),
            referral_id=str(outcome.referral_id),
            child_id=str(outcome.child_id),
            duplicate=outcome.duplicate,
        )
        return JSONResponse(payload.model_dump(), status_code=200 if outcome.duplicate else 202)
    rejected = Rejected(submission_id=outcome.submission_id, problems=list(outcome.problems))
    return JSONResponse(rejected.model_dump(), status_code=422)


def add_routes(app: FastAPI, runtime: ServiceRuntime, service: IntakeService) -> None:
    router = APIRouter(prefix="/api/v1", tags=["submissions"])

    @router.post(
        "/submissions/leaver",
        status_code=202,
        response_model=Accepted,
        responses={
            200: {"model": Accepted, "description": "Already received: the first outcome"},
            422: {"model": Rejected, "description": "Every problem with the submission"},
        },
        summary="Submit a school leaver (deletion) return",
    )
    async def submit_leaver(submission: LeaverSubmitted) -> JSONResponse:
        async with runtime.session_factory.begin() as session:
            outcome = await service.submit_leaver(session, submission, channel="http")
        return outcome_response(outcome)

    @app.exception_handler(RequestValidationError)
    async def unreadable_submission(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = schema_problems(error)
        body = error.body
        submission_id = _submission_field(body, "submission_id")
        submission_type = _submission_field(body, "submission_type") or request.url.path.rsplit("/", 1)[-1]
        async with runtime.session_factory.begin() as session:
            outcome = await service.reject(session, problems, submission_id, submission_type, channel="http")
        return outcome_response(outcome)

    app.include_router(router)
