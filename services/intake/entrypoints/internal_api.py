"""Intake's internal HTTP API, for casework's officers' UI: referrals officers enter (taken by phone, email or
letter), the form's drafts between its pages, and the identity match reviews officers decide; and for notify's
cross-LA exchange: whether a child another authority asks about is known here.

Officers sign in to casework, which checks their App. E permissions and audits every view and decision; it calls
this API with the service token (CME_INTERNAL_API_TOKEN), naming the acting user in every request. Not for
browsers: JSON only, and only to that token (compared in constant time). With no token configured the API does not
exist (404). A submission intake's rules refuse answers 422 with every problem, exactly as the public API does.
"""

import hmac
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, SecretStr, ValidationError

from cme_runtime.service import ServiceRuntime
from contracts.events.common_v1 import Child
from contracts.events.intake_v1 import (
    LaEnquirySubmitted,
    Problem,
    ProfessionalReferralSubmitted,
    ReceivedBy,
    SocialCareAlertSubmitted,
)
from services.intake.adapters.officer_entries import ChildDetails
from services.intake.adapters.register import MatchReview, RegisterError
from services.intake.entrypoints.http import _http_error, outcome_response, rejected_response, schema_problems
from services.intake.service_layer.enquiries import EnquiryAnswers
from services.intake.service_layer.officer_referrals import OfficerReferrals, OfficerSubmission, ReviewNotDecided

PREFIX = "/internal/v1"
OFFICER_SUBMISSION_TYPES: dict[str, type[OfficerSubmission]] = {
    "professional_referral": ProfessionalReferralSubmitted,
    "social_care_alert": SocialCareAlertSubmitted,
    "la_enquiry": LaEnquirySubmitted,
}
ActingUser = Annotated[str, Field(min_length=1, max_length=200)]


class OfficerReferralRequest(BaseModel):
    acting_user: ActingUser
    received_by_channel: ReceivedBy
    submission: dict[str, Any] = Field(description="A professional_referral, social_care_alert or la_enquiry")


class DraftRequest(BaseModel):
    acting_user: ActingUser
    answers: dict[str, Any]


class DecisionRequest(BaseModel):
    acting_user: ActingUser
    same_child: bool
    reason: str = Field(min_length=1, max_length=2000)


class LookupRequest(BaseModel):
    acting_user: ActingUser = Field(description="Who asks: for the exchange, exchange:<the asking LA's code>")
    child: Child


class UndoRequest(BaseModel):
    acting_user: ActingUser
    reason: str = Field(min_length=1, max_length=2000)


def _child_json(child: ChildDetails | None) -> dict[str, Any] | None:
    if child is None:
        return None
    return {
        "child_id": str(child.child_id),
        "given_name": child.given_name,
        "middle_names": child.middle_names,
        "family_name": child.family_name,
        "date_of_birth": child.date_of_birth,
        "sex": child.sex,
        "upn": child.upn,
        "address_line": child.address_line,
        "postcode": child.postcode,
    }


def review_json(review: MatchReview) -> dict[str, Any]:
    proposed = next((item for item in review.alternatives if item.child_id == review.proposed_child_id), None)
    best = proposed or (review.alternatives[0] if review.alternatives else None)
    return {
        "review_id": str(review.review_id),
        "kind": review.kind,
        "submission_id": review.submission_id,
        "referral_id": str(review.referral_id) if review.referral_id else None,
        "child_id": str(review.child_id),
        "proposed_child_id": str(review.proposed_child_id),
        "score": best.score if best else None,
        "reasons": list(best.reasons) if best else [],
        "status": review.status,
        "decided_by": review.decided_by,
        "decided_at": review.decided_at.isoformat() if review.decided_at else None,
        "merge_id": str(review.merge_id) if review.merge_id else None,
        "received_at": review.created_at.isoformat(),
    }


def add_internal_api(
    app: FastAPI,
    runtime: ServiceRuntime,
    officers: OfficerReferrals,
    token: SecretStr | None,
    enquiries: EnquiryAnswers | None = None,
) -> None:
    def authenticate(request: Request) -> None:
        if token is None:
            # Unconfigured, the API is switched off: it answers as if it were not there.
            raise HTTPException(status_code=404, detail="Not Found")
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.encode(), token.get_secret_value().encode()):
            raise HTTPException(status_code=401, detail="A valid service token is required")

    router = APIRouter(prefix=PREFIX, dependencies=[Depends(authenticate)], include_in_schema=False)
    _referral_routes(router, runtime, officers)
    _match_review_routes(router, runtime, officers)
    if enquiries is not None:
        _lookup_routes(router, runtime, enquiries)
    app.include_router(router)


def _lookup_routes(router: APIRouter, runtime: ServiceRuntime, enquiries: EnquiryAnswers) -> None:
    @router.post("/children/lookup")
    async def look_up_child(body: LookupRequest) -> dict[str, Any]:
        """Known here or not, and the school only when on roll: the minimum another authority needs."""
        async with runtime.session_factory() as session:
            answer = await enquiries.answer(session, body.child, asked_by=body.acting_user)
        school = {"establishment_id": answer.school_id, "name": answer.school_name} if answer.school_id else None
        return {"outcome": answer.outcome.value, "school": school}


def _referral_routes(router: APIRouter, runtime: ServiceRuntime, officers: OfficerReferrals) -> None:
    @router.post("/officer-referrals")
    async def enter_referral(body: OfficerReferralRequest) -> JSONResponse:
        submission_type = body.submission.get("submission_type")
        model = OFFICER_SUBMISSION_TYPES.get(submission_type) if isinstance(submission_type, str) else None
        if model is None:
            message = "Send a professional_referral, social_care_alert or la_enquiry"
            return rejected_response(None, [Problem(field="submission_type", message=message)])
        try:
            submission = model.model_validate(body.submission)
        except ValidationError as invalid:
            # The public API's own wording for a body that fails the contract; nothing is stored.
            problems = schema_problems(RequestValidationError(invalid.errors()))
            return rejected_response(None, problems)
        async with runtime.session_factory.begin() as session:
            outcome = await officers.submit(
                session, submission, entered_by=body.acting_user, received_by=body.received_by_channel
            )
        return outcome_response(outcome)

    @router.get("/officer-referrals/{submission_id}")
    async def entered_referral(submission_id: str) -> dict[str, Any]:
        async with runtime.session_factory() as session:
            entry, record = await officers.entered(session, submission_id)
        if entry is None or record is None:
            raise HTTPException(status_code=404, detail="No referral entered by an officer has that id")
        return {
            "submission_id": submission_id,
            "entered_by": entry.entered_by,
            "received_by_channel": entry.received_by_channel,
            "referrer_type": entry.referrer_type,
            "entered_at": entry.entered_at.isoformat(),
            "child_id": str(record.child_id) if record.child_id else None,
            "referral_id": str(record.referral_id) if record.referral_id else None,
        }

    @router.get("/referral-drafts/{draft_id}")
    async def draft(draft_id: UUID, acting_user: Annotated[str, Query(min_length=1, max_length=200)]) -> Any:
        async with runtime.session_factory() as session:
            answers = await officers.draft(session, draft_id, acting_user)
        if answers is None:
            raise HTTPException(status_code=404, detail="No such draft")
        return {"draft_id": str(draft_id), "answers": answers}

    @router.put("/referral-drafts/{draft_id}")
    async def save_draft(draft_id: UUID, body: DraftRequest) -> dict[str, str]:
        async with runtime.session_factory.begin() as session:
            saved = await officers.save_draft(session, draft_id, body.acting_user, body.answers)
        if not saved:
            raise HTTPException(status_code=404, detail="No such draft")
        return {"draft_id": str(draft_id)}

    @router.delete("/referral-drafts/{draft_id}")
    async def delete_draft(draft_id: UUID, acting_user: Annotated[str, Query(min_length=1, max_length=200)]) -> Any:
        async with runtime.session_factory.begin() as session:
            await officers.delete_draft(session, draft_id, acting_user)
        return {"draft_id": str(draft_id)}


def _match_review_routes(router: APIRouter, runtime: ServiceRuntime, officers: OfficerReferrals) -> None:
    @router.get("/match-reviews")
    async def match_reviews(status: Literal["open", "confirmed", "rejected", "all"] = "open") -> list[dict[str, Any]]:
        async with runtime.session_factory() as session:
            reviews = await officers.reviews(session, None if status == "all" else status)
        return [review_json(review) for review in reviews]

    @router.get("/match-reviews/{review_id}")
    async def match_review(review_id: UUID) -> dict[str, Any]:
        try:
            async with runtime.session_factory() as session:
                review, found = await officers.review(session, review_id)
        except RegisterError as error:
            raise _http_error(error) from None
        return {
            **review_json(review),
            "child": _child_json(found.get(review.child_id)),
            "proposed_child": _child_json(found.get(review.proposed_child_id)),
        }

    @router.post("/match-reviews/{review_id}/decision")
    async def decide(review_id: UUID, body: DecisionRequest) -> dict[str, Any]:
        try:
            async with runtime.session_factory.begin() as session:
                review = await officers.decide(
                    session, review_id, same_child=body.same_child, officer=body.acting_user, reason=body.reason
                )
        except RegisterError as error:
            raise _refusal(error) from None
        return review_json(review)

    @router.post("/match-reviews/{review_id}/undo")
    async def undo(review_id: UUID, body: UndoRequest) -> dict[str, Any]:
        try:
            async with runtime.session_factory.begin() as session:
                review = await officers.undo(session, review_id, officer=body.acting_user, reason=body.reason)
        except ReviewNotDecided as error:
            raise HTTPException(status_code=422, detail=str(error)) from None
        except RegisterError as error:
            raise _refusal(error) from None
        return review_json(review)


def _refusal(error: RegisterError) -> HTTPException:
    """A conflict (already decided, already undone, a cycle) is a rule refusing the decision: 422 in words."""
    refused = _http_error(error)
    return HTTPException(status_code=422 if refused.status_code == 409 else refused.status_code, detail=refused.detail)
