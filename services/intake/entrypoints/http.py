"""The intake HTTP API: upstream systems submit returns here and get every problem back at once.

Also the internal endpoints for identity: the match-review queue, and merges with their reversal.
"""

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from cme_runtime.failures import sqlstate
from cme_runtime.service import ServiceRuntime
from contracts.events.common_v1 import has_control_characters
from contracts.events.intake_v1 import SUBMISSION_TYPES, CtfFileSubmitted, Problem, Submission
from services.intake.adapters.register import ChildRegister, MatchReview, Merge, NotFound, RegisterError
from services.intake.entrypoints.auth import API_KEY_HEADER, ApiKeys
from services.intake.entrypoints.document_paths import is_document_upload
from services.intake.entrypoints.limits import BodyTooLarge, SubmissionBodyGuard, rejection
from services.intake.service_layer.submissions import CtfOutcome, IntakeService, Outcome, UnreadableSubmission
from services.intake.settings import IntakeSettings

SUBMISSIONS_PREFIX = "/api/v1/submissions"
CTF_PATH = f"{SUBMISSIONS_PREFIX}/ctf"
BATCH_PATH = f"{SUBMISSIONS_PREFIX}/batch"
DEFAULT_SUBMISSION_MAX_BYTES = 1024 * 1024
DEFAULT_BATCH_MAX_BYTES = 8 * 1024 * 1024
# A batch is one transaction: big enough that the commit is a small share of each submission's cost, small
# enough that its locks on children are held for well under a second.
MAX_BATCH_SUBMISSIONS = 500
# Submission forms by name, as an entry of a batch names its own; a CTF file is XML and goes on its own.
_FORMS: dict[str, type[Submission]] = {
    str(model.model_fields["submission_type"].default): model
    for model in SUBMISSION_TYPES
    if model is not CtfFileSubmitted
}
# PostgreSQL's deadlock and serialization failure: another transaction won a race; the whole batch is tried again.
_LOST_A_RACE = frozenset({"40P01", "40001"})
XML_MEDIA_TYPES = frozenset({"application/xml", "text/xml"})

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
    "literal_error": "Select a valid option for {field}",
    "json_invalid": "Send the submission as valid JSON",
    "model_attributes_type": "Send {field} as a JSON object",
    "dict_type": "Send {field} as a JSON object",
    "greater_than": "{field} is too small",
    "greater_than_equal": "{field} is too small",
    "less_than": "{field} is too large",
    "less_than_equal": "{field} is too large",
    "bool_parsing": "Send {field} as true or false",
    "int_parsing": "Enter {field} as a whole number",
    "float_parsing": "Enter {field} as a number",
    "finite_number": "Enter {field} as a number",
    "int_from_float": "Enter {field} as a whole number",
    "int_type": "Enter {field} as a whole number",
    "float_type": "Enter {field} as a number",
    "bool_type": "Send {field} as true or false",
    "string_type": "Enter {field} as text",
    "string_unicode": "{field} must not contain control characters",
    "control_character": "{field} must not contain control characters",
    "tuple_type": "Send {field} as a list",
    "list_type": "Send {field} as a list",
    "date_from_datetime_inexact": "Enter {field} as a real date, like 2026-09-01",
    "datetime_type": "Enter {field} as a date and time, like 2026-09-01T09:30:00Z",
    "datetime_object_invalid": "Enter {field} as a date and time, like 2026-09-01T09:30:00Z",
    "timezone_offset": "Enter {field} as a date and time, like 2026-09-01T09:30:00Z",
    "unreadable_body": "Send the submission as valid JSON, encoded as UTF-8",
}

_SUMMARIES = {
    "leaver": "Submit a school leaver (deletion) return",
    "joiner": "Submit a joiner (new pupil) return",
    "absence": "Submit an absence or irregular attendance return, or an update to one",
    "sickness": "Submit a 15-day sickness return",
    "part_time_timetable": "Submit a part-time timetable notification, or an update to one",
    "social_care_alert": "Alert the CME team from social care: no confirmed education, or leaving the area",
    "professional_referral": "Refer a child who appears to be missing education",
    "la_enquiry": "Ask about a child who may have moved into the county (another local authority)",
}


class Accepted(BaseModel):
    status: str = "accepted"
    submission_id: str
    referral_id: str | None
    child_id: str | None
    identity_decision: str | None = Field(
        default=None, description="How the child was resolved: matched_existing, new_child or needs_review"
    )
    duplicate: bool = False


class Rejected(BaseModel):
    status: str = "rejected"
    submission_id: str | None
    problems: list[Problem]


class CtfProblem(BaseModel):
    index: int = Field(description="The pupil's 0-based position among the file's Pupil elements")
    line: int | None = Field(default=None, description="The line of the pupil's element, when known")
    field: str = Field(description="The CTF element at fault")
    message: str


class CtfAccepted(BaseModel):
    status: str = "accepted"
    submission_id: str
    pupils: int
    accepted: int
    rejected: int
    problems: list[CtfProblem] = Field(description="Every problem with a rejected pupil; the others were kept")
    duplicate: bool = False


class SubmissionBatch(BaseModel):
    submissions: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_BATCH_SUBMISSIONS,
        description=(
            "Up to 500 submissions, each a JSON object in the form its own `submission_type` names, exactly as it "
            "would be posted alone to `/api/v1/submissions/{submission_type}` (any form but a CTF file)."
        ),
    )


class BatchResult(BaseModel):
    index: int = Field(description="The submission's 0-based position in the batch")
    status: Literal["accepted", "rejected"]
    submission_id: str | None
    referral_id: str | None = None
    child_id: str | None = None
    identity_decision: str | None = None
    duplicate: bool = Field(default=False, description="Already received (in an earlier request or this one)")
    problems: list[Problem] = Field(default=[], description="Every problem with a rejected submission")


class BatchAccepted(BaseModel):
    accepted: int
    rejected: int
    results: list[BatchResult] = Field(description="One per submission, in the order they were sent")


class ReviewAlternativeOut(BaseModel):
    child_id: UUID
    score: float
    outcome: str
    reasons: list[str]


class MatchReviewOut(BaseModel):
    review_id: UUID
    kind: str = Field(description="uncertain_match or possible_duplicate")
    submission_id: str
    referral_id: UUID | None
    child_id: UUID = Field(description="The child the submission was stored against")
    proposed_child_id: UUID = Field(description="The child the officer is asked to confirm it is")
    alternatives: list[ReviewAlternativeOut]
    status: str
    decided_by: str | None
    merge_id: UUID | None


class MatchReviewList(BaseModel):
    reviews: list[MatchReviewOut]


class ReviewDecision(BaseModel):
    decision: Literal["confirm", "reject"]
    decided_by: str = Field(min_length=1, max_length=200)
    reason: str | None = Field(default=None, max_length=2000)


class MergeRequest(BaseModel):
    surviving_child_id: UUID
    merged_child_id: UUID
    reason: str = Field(min_length=1, max_length=2000)
    decided_by: str = Field(min_length=1, max_length=200)


class UndoRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)
    decided_by: str = Field(min_length=1, max_length=200)


class MergeOut(BaseModel):
    merge_id: UUID
    surviving_child_id: UUID
    merged_child_id: UUID
    decided_by: str
    reverses_merge_id: UUID | None = None


def schema_problems(error: RequestValidationError) -> list[Problem]:
    return problems_from(error.errors())


def problems_from(errors: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Pydantic's validation errors as problems a school administrator can act on."""
    problems = []
    for item in errors:
        location = [str(part) for part in item.get("loc", ()) if part != "body"]
        field = ".".join(location) or "submission"
        readable = field.replace("_", " ").replace(".", " ")
        template = _SCHEMA_MESSAGES.get(item.get("type", ""), "Check {field}")
        message = template.format(field=readable)
        problems.append(Problem(field=field, message=message[0].upper() + message[1:]))
    return problems


def _submission_field(body: Any, name: str) -> str | None:
    """A field of a body that failed its contract, if it can be stored as the rejection's id or type."""
    if isinstance(body, dict) and isinstance(body.get(name), str):
        value = str(body[name])
        if value and len(value) <= 100 and not has_control_characters(value):
            return value
    return None


def _school_field(body: Any) -> str | None:
    """The school of a joiner or leaver return that failed its contract, when it names one in the establishment
    id's form (LA code and establishment number: 7 digits), so reporting can count the school's rejected returns."""
    school = body.get("school") if isinstance(body, dict) else None
    value = school.get("establishment_id") if isinstance(school, dict) else None
    return value if isinstance(value, str) and len(value) == 7 and value.isascii() and value.isdigit() else None


def outcome_response(outcome: Outcome) -> JSONResponse:
    if outcome.accepted:
        payload = Accepted(
            submission_id=str(outcome.submission_id),
            referral_id=str(outcome.referral_id) if outcome.referral_id else None,
            child_id=str(outcome.child_id) if outcome.child_id else None,
            identity_decision=outcome.identity_decision,
            duplicate=outcome.duplicate,
        )
        return JSONResponse(payload.model_dump(), status_code=200 if outcome.duplicate else 202)
    return rejected_response(outcome.submission_id, outcome.problems)


def rejected_response(submission_id: str | None, problems: Any, status_code: int = 422) -> JSONResponse:
    rejected = Rejected(submission_id=submission_id, problems=list(problems))
    return JSONResponse(rejected.model_dump(), status_code=status_code)


def ctf_response(outcome: CtfOutcome) -> JSONResponse:
    if not outcome.accepted:
        return rejected_response(outcome.submission_id, outcome.problems)
    payload = CtfAccepted(
        submission_id=str(outcome.submission_id),
        pupils=outcome.pupils,
        accepted=outcome.accepted_pupils,
        rejected=outcome.rejected_pupils,
        problems=[CtfProblem.model_validate(vars(problem)) for problem in outcome.pupil_problems],
        duplicate=outcome.duplicate,
    )
    return JSONResponse(payload.model_dump(), status_code=200 if outcome.duplicate else 202)


def batch_result(index: int, outcome: Outcome) -> BatchResult:
    return BatchResult(
        index=index,
        status="accepted" if outcome.accepted else "rejected",
        submission_id=outcome.submission_id,
        referral_id=str(outcome.referral_id) if outcome.referral_id else None,
        child_id=str(outcome.child_id) if outcome.child_id else None,
        identity_decision=outcome.identity_decision,
        duplicate=outcome.duplicate,
        problems=list(outcome.problems),
    )


def batch_entry(entry: dict[str, Any]) -> Submission | UnreadableSubmission:
    """An entry of a batch as its form's contract, or as what could be read of it and every problem with it."""
    submission_id = _submission_field(entry, "submission_id")
    form = entry.get("submission_type")
    model = _FORMS.get(form) if isinstance(form, str) else None
    if model is None:
        message = (
            "Send a CTF file on its own, to /api/v1/submissions/ctf"
            if form == "ctf"
            else f"Select a valid option for submission type: one of {', '.join(sorted(_FORMS))}"
        )
        return UnreadableSubmission((Problem(field="submission_type", message=message),), submission_id)
    try:
        return model.model_validate(entry)
    except ValidationError as error:
        return UnreadableSubmission(
            tuple(problems_from(error.errors())),
            submission_id,
            str(form),
            school_id=_school_field(entry) if form in {"joiner", "leaver"} else None,
        )


def _batch_envelope_problems(error: RequestValidationError) -> list[Problem]:
    """What is wrong with a batch as a whole (not its entries, which are answered one by one)."""
    worded = {
        "too_long": Problem(field="submissions", message=f"Send at most {MAX_BATCH_SUBMISSIONS} submissions a batch"),
        "too_short": Problem(field="submissions", message="Send at least one submission"),
        "json_invalid": Problem(field="submissions", message="Send the batch as valid JSON"),
    }
    return [
        worded.get(str(item.get("type")), problem)
        for problem, item in zip(schema_problems(error), error.errors(), strict=True)
    ]


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it is found to exceed `limit` bytes (before reading the rest)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            return None
    return bytes(received)


def _max_body_bytes(runtime: ServiceRuntime) -> int:
    settings = runtime.settings
    return settings.submission_max_bytes if isinstance(settings, IntakeSettings) else DEFAULT_SUBMISSION_MAX_BYTES


def _max_batch_bytes(runtime: ServiceRuntime) -> int:
    settings = runtime.settings
    return settings.submission_batch_max_bytes if isinstance(settings, IntakeSettings) else DEFAULT_BATCH_MAX_BYTES


def _lost_a_race(error: BaseException) -> bool:
    return sqlstate(error) in _LOST_A_RACE


def _batch_route(router: APIRouter, runtime: ServiceRuntime, service: IntakeService, client: Any) -> None:
    @router.post(
        "/submissions/batch",
        status_code=200,
        response_model=BatchAccepted,
        responses={
            401: {"description": "No valid API key (only when API keys are configured)"},
            413: {"model": Rejected, "description": "The body is over CME_SUBMISSION_BATCH_MAX_BYTES"},
            415: {"model": Rejected, "description": "The body is not sent as application/json"},
            422: {"model": Rejected, "description": "Not a list of 1 to 500 submissions; nothing was stored"},
            503: {"description": "The database is briefly unavailable or busy; nothing was stored: send it again"},
        },
        summary="Submit many returns and referrals at once",
        description=(
            "For a school MIS or a social care system sending a day's returns: each submission gets the outcome it "
            "would get if posted alone (accepted, a duplicate of one already received, or rejected with every "
            "problem), in `results`, in the order sent; a rejected one does not stop the others. The batch is "
            "stored in one transaction: all of it, or none (on an outage, a 503: send it again). Sending the same "
            "batch again is always safe: each submission id keeps its first outcome."
        ),
        tags=["submissions"],
    )
    async def submit_batch(
        batch: SubmissionBatch, client_name: Annotated[str | None, Depends(client)]
    ) -> BatchAccepted:
        entries = [batch_entry(entry) for entry in batch.submissions]
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(_lost_a_race),
            stop=stop_after_attempt(3),
            wait=wait_exponential_jitter(initial=0.05, max=1),
            reraise=True,
        ):
            with attempt:
                async with runtime.session_factory.begin() as session:
                    outcomes = await service.submit_batch(session, entries, channel="http", client=client_name)
        results = [batch_result(index, outcome) for index, outcome in enumerate(outcomes)]
        accepted = sum(result.status == "accepted" for result in results)
        return BatchAccepted(accepted=accepted, rejected=len(results) - accepted, results=results)


def _size(limit: int) -> str:
    mebibyte = 1024 * 1024
    return f"{limit // mebibyte} MB" if limit % mebibyte == 0 else f"{limit} bytes"


_SUBMISSION_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": Accepted, "description": "Already received: the first outcome"},
    401: {"description": "No valid API key (only when API keys are configured)"},
    413: {"model": Rejected, "description": "The body is larger than the limit (CME_SUBMISSION_MAX_BYTES)"},
    415: {"model": Rejected, "description": "The body is not sent as application/json"},
    422: {"model": Rejected, "description": "Every problem with the submission; nothing else happened"},
}


def _submission_route(
    router: APIRouter, runtime: ServiceRuntime, service: IntakeService, model: type[Submission], client: Any
) -> None:
    type_name = str(model.model_fields["submission_type"].default)

    async def submit(submission: Submission, client_name: Annotated[str | None, Depends(client)]) -> JSONResponse:
        async with runtime.session_factory.begin() as session:
            outcome = await service.submit(session, submission, channel="http", client=client_name)
        return outcome_response(outcome)

    # FastAPI reads the body's contract from the annotation, so each route declares its own submission type.
    submit.__annotations__["submission"] = model
    router.add_api_route(
        f"/submissions/{type_name}",
        submit,
        methods=["POST"],
        status_code=202,
        response_model=Accepted,
        responses=_SUBMISSION_RESPONSES,
        summary=_SUMMARIES[type_name],
        description=(model.__doc__ or "").strip(),
        name=f"submit_{type_name}",
        tags=["submissions"],
    )


def add_routes(
    app: FastAPI,
    runtime: ServiceRuntime,
    service: IntakeService,
    register: ChildRegister,
    *,
    submitter_keys: ApiKeys,
    admin_keys: ApiKeys,
) -> None:
    submitter = submitter_keys.dependency()
    router = APIRouter(prefix="/api/v1")
    _batch_route(router, runtime, service, submitter)
    for model in SUBMISSION_TYPES:
        if model is not CtfFileSubmitted:
            _submission_route(router, runtime, service, model, submitter)

    @router.post(
        "/submissions/ctf",
        status_code=202,
        response_model=CtfAccepted,
        responses={
            200: {"model": CtfAccepted, "description": "Already received: the first outcome"},
            401: {"description": "No valid API key (only when API keys are configured)"},
            413: {"model": Rejected, "description": "The file is larger than the limit"},
            415: {"model": Rejected, "description": "The body is not sent as application/xml"},
            422: {"model": Rejected, "description": "Not a CTF at all, or no submission id; nothing was stored"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/xml": {"schema": {"type": "string", "description": "The CTF XML"}}},
            }
        },
        summary="Submit a DfE Common Transfer File (bulk transition feed)",
        description=(
            "The body is the CTF XML itself. Each pupil is kept or rejected on its own: a rejected pupil is "
            "listed with its position, and published as rejection `<submission id>#<index>`. The file's id comes "
            "from the `Idempotency-Key` header or, failing that, the `submission_id` query parameter."
        ),
        tags=["submissions"],
    )
    async def submit_ctf(
        request: Request,
        client_name: Annotated[str | None, Depends(submitter)],
        submission_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=100)] = None,
    ) -> JSONResponse:
        file_id = idempotency_key or submission_id
        if file_id is not None and has_control_characters(file_id):
            message = "Send the file's ID without control characters"
            return rejected_response(None, [Problem(field="submission_id", message=message)])
        if file_id is None:
            message = "Send the file's ID in the Idempotency-Key header or the submission_id query parameter"
            async with runtime.session_factory.begin() as session:
                outcome = await service.reject(
                    session, [Problem(field="submission_id", message=message)], None, "ctf", "http", client=client_name
                )
            return outcome_response(outcome)
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in XML_MEDIA_TYPES:
            message = "Send the file as XML, with the header Content-Type: application/xml"
            return rejected_response(file_id, [Problem(field="file", message=message)], status_code=415)
        content = await read_limited(request, service.ctf_max_bytes)
        if content is None:
            message = f"The file is larger than the limit of {_size(service.ctf_max_bytes)} for a CTF"
            return rejected_response(file_id, [Problem(field="file", message=message)], status_code=413)
        async with runtime.session_factory.begin() as session:
            ctf_outcome = await service.submit_ctf(session, file_id, content, channel="http", client=client_name)
        return ctf_response(ctf_outcome)

    # Documents are multipart, with their own (larger) limit enforced as they are read: documents_api. So is the
    # CTF file, by its route.
    submission_limit, batch_limit = _max_body_bytes(runtime), _max_batch_bytes(runtime)

    def limit_for(path: str) -> int | None:
        if not path.startswith("/api/") or path == CTF_PATH or is_document_upload(path):
            return None
        return batch_limit if path == BATCH_PATH else submission_limit

    def json_only(path: str) -> bool:
        return path.startswith(f"{SUBMISSIONS_PREFIX}/") and path != CTF_PATH and not is_document_upload(path)

    app.add_middleware(SubmissionBodyGuard, limit_for=limit_for, json_only=json_only)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, error: BodyTooLarge) -> Response:
        return rejection(413, str(error.detail))

    @app.exception_handler(StarletteHTTPException)
    async def unparseable_submission(request: Request, error: StarletteHTTPException) -> Response:
        # FastAPI answers 400 when the body is not text it can parse at all (invalid UTF-8, nested too deeply to
        # read): for a submission that is a rejection like any other, naming what to fix.
        if error.status_code != 400 or not request.url.path.startswith(f"{SUBMISSIONS_PREFIX}/"):
            return await http_exception_handler(request, error)
        problem = Problem(field="submission", message=_SCHEMA_MESSAGES["unreadable_body"])
        if request.url.path == BATCH_PATH:
            return _unreadable_batch(request, [problem])
        return await _record_unreadable(request, [problem], None)

    @app.exception_handler(RequestValidationError)
    async def unreadable_submission(request: Request, error: RequestValidationError) -> Response:
        if not request.url.path.startswith(SUBMISSIONS_PREFIX):
            return await request_validation_exception_handler(request, error)
        if request.url.path == BATCH_PATH:
            return _unreadable_batch(request, _batch_envelope_problems(error))
        return await _record_unreadable(request, schema_problems(error), error.body)

    def _unreadable_batch(request: Request, problems: list[Problem]) -> Response:
        """A body that is not a batch at all: nothing is recorded, since no submission in it can be told apart."""
        try:
            submitter_keys.client_for(request.headers.get(API_KEY_HEADER))
        except HTTPException as unauthorised:
            return JSONResponse(
                {"detail": unauthorised.detail}, status_code=unauthorised.status_code, headers=unauthorised.headers
            )
        return rejected_response(None, problems)

    async def _record_unreadable(request: Request, problems: list[Problem], body: Any) -> Response:
        # The body is parsed before the key is checked; an unknown caller must not get a rejection recorded.
        try:
            client_name = submitter_keys.client_for(request.headers.get(API_KEY_HEADER))
        except HTTPException as unauthorised:
            return JSONResponse(
                {"detail": unauthorised.detail}, status_code=unauthorised.status_code, headers=unauthorised.headers
            )
        submission_id = _submission_field(body, "submission_id")
        # The route names the type; the body's own `submission_type` may be anything when the body is unreadable.
        submission_type = request.url.path.rsplit("/", 1)[-1]
        async with runtime.session_factory.begin() as session:
            outcome = await service.reject(
                session, problems, submission_id, submission_type, channel="http", client=client_name,
                school_id=_school_field(body) if submission_type in {"joiner", "leaver"} else None,
            )
        return outcome_response(outcome)

    app.include_router(router)
    app.include_router(_identity_router(runtime, register, admin_keys))


def _review_out(review: MatchReview) -> MatchReviewOut:
    return MatchReviewOut(
        review_id=review.review_id,
        kind=review.kind,
        submission_id=review.submission_id,
        referral_id=review.referral_id,
        child_id=review.child_id,
        proposed_child_id=review.proposed_child_id,
        alternatives=[
            ReviewAlternativeOut(
                child_id=item.child_id, score=item.score, outcome=item.outcome, reasons=list(item.reasons)
            )
            for item in review.alternatives
        ],
        status=review.status,
        decided_by=review.decided_by,
        merge_id=review.merge_id,
    )


def _merge_out(merge: Merge) -> MergeOut:
    return MergeOut(
        merge_id=merge.merge_id,
        surviving_child_id=merge.surviving_child_id,
        merged_child_id=merge.merged_child_id,
        decided_by=merge.decided_by,
        reverses_merge_id=merge.reverses_merge_id,
    )


def _http_error(error: RegisterError) -> HTTPException:
    return HTTPException(status_code=404 if isinstance(error, NotFound) else 409, detail=str(error))


def _identity_router(runtime: ServiceRuntime, register: ChildRegister, admin_keys: ApiKeys) -> APIRouter:
    """Internal endpoints for the officers' review queue (casework's screens call them) and for merges."""
    router = APIRouter(prefix="/api/v1", tags=["identity (internal)"], dependencies=[Depends(admin_keys.dependency())])
    errors: dict[int | str, dict[str, Any]] = {
        401: {"description": "No valid internal API key (CME_INTAKE_ADMIN_KEYS)"},
        404: {"description": "No such review, child or merge"},
        409: {"description": "Already decided, already merged or undone, or the merge would form a cycle"},
    }

    @router.get("/match-reviews", response_model=MatchReviewList, summary="List identity match reviews")
    async def list_reviews(
        status: Literal["open", "confirmed", "rejected", "all"] = "open",
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> MatchReviewList:
        async with runtime.session_factory() as session:
            reviews = await register.reviews(session, None if status == "all" else status, limit)
        return MatchReviewList(reviews=[_review_out(review) for review in reviews])

    @router.post(
        "/match-reviews/{review_id}/decision",
        response_model=MatchReviewOut,
        responses=errors,
        summary="Confirm (merge the two children) or reject a match review",
    )
    async def decide(review_id: UUID, decision: ReviewDecision) -> MatchReviewOut:
        try:
            async with runtime.session_factory.begin() as session:
                review = await register.decide_review(
                    session,
                    review_id,
                    confirm=decision.decision == "confirm",
                    decided_by=decision.decided_by,
                    reason=decision.reason,
                )
        except RegisterError as error:
            raise _http_error(error) from None
        return _review_out(review)

    @router.post("/merges", status_code=201, response_model=MergeOut, responses=errors, summary="Merge two children")
    async def merge(request: MergeRequest) -> MergeOut:
        try:
            async with runtime.session_factory.begin() as session:
                merged = await register.merge(
                    session,
                    request.surviving_child_id,
                    request.merged_child_id,
                    reason=request.reason,
                    decided_by=request.decided_by,
                )
        except RegisterError as error:
            raise _http_error(error) from None
        return _merge_out(merged)

    @router.post("/merges/{merge_id}/undo", response_model=MergeOut, responses=errors, summary="Undo a merge (unmerge)")
    async def undo(merge_id: UUID, request: UndoRequest) -> MergeOut:
        try:
            async with runtime.session_factory.begin() as session:
                reversal = await register.unmerge(
                    session, merge_id, reason=request.reason, decided_by=request.decided_by
                )
        except RegisterError as error:
            raise _http_error(error) from None
        return _merge_out(reversal)

    return router
