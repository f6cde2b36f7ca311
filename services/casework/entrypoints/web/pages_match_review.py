"""Match reviews: intake could not be sure a referral's child is a child it already knows, and asks an officer.

The list shows each open review's score, reasons and when it arose; the review page shows the two register entries
side by side (UPN masked but for its last 3 characters) and takes the officer's decision, "same child" (intake
merges the two) or "not the same" (they are kept apart), with a reason. Decisions are attributed to the officer
and can be undone (intake reverses the merge, or re-opens the review). Intake keeps the reviews and applies its
rules (`adapters.intake_client`); every view and decision is audited here as a read or change of both children.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from services.casework.adapters.accounts import User
from services.casework.adapters.audit import AuditedAction
from services.casework.adapters.intake_client import (
    IntakeNotFound,
    IntakeReferrals,
    IntakeUnavailable,
    MatchDecisionRefused,
)
from services.casework.domain.access import Permission
from services.casework.entrypoints.web.context import Ui
from services.casework.entrypoints.web.pages_common import form_text, sentence, signed_in_user
from services.casework.entrypoints.web.security import GuardedRouter, requires
from services.casework.entrypoints.web.templating import long_date, render

REVIEW = requires(Permission.REVIEW_IDENTITY_MATCHES)
UNAVAILABLE: Final = "The match-review service is not available. Try again in a few minutes"
STATUS_TEXT: Final = {"open": "To decide", "confirmed": "Same child", "rejected": "Not the same child"}
KIND_TEXT: Final = {
    "uncertain_match": "A new referral may be about a child already known",
    "possible_duplicate": "Two records may be the same child",
}
SUCCESS: Final = {
    "same": "Decision recorded: the same child. The two records are now read as one",
    "different": "Decision recorded: not the same child. The records stay apart",
    "undone": "Decision undone. The review is open again",
}


def table_row(review: dict[str, Any]) -> list[dict[str, Any]]:
    """One row of the review list: what kind of question, its score, reasons, date and status."""
    link = Markup('<a class="govuk-link" href="/match-reviews/{}">{}</a>').format(
        review["review_id"], KIND_TEXT.get(review["kind"], review["kind"]))
    score = review.get("score")
    return [
        {"html": link},
        {"text": f"{score:.2f}" if isinstance(score, int | float) else "Not scored", "format": "numeric"},
        {"text": ", ".join(review.get("reasons") or []) or "None given"},
        {"text": long_date(datetime.fromisoformat(review["received_at"]))},
        {"text": STATUS_TEXT.get(review["status"], review["status"])},
    ]


def valid_review_id(review_id: str) -> str:
    try:
        return str(UUID(review_id))
    except ValueError:
        raise HTTPException(status_code=404, detail="No such match review") from None


def masked_upn(upn: str | None) -> str:
    """A UPN identifies a child nationally: the page shows only its last 3 characters, enough to compare."""
    if not upn:
        return "Not known"
    return "•" * max(len(upn) - 3, 0) + upn[-3:]


def child_rows(child: dict[str, Any] | None) -> list[tuple[str, str]]:
    if child is None:
        return []
    names = " ".join(part for part in (child.get("given_name"), child.get("middle_names"), child.get("family_name"))
                     if part)
    address = ", ".join(part for part in (child.get("address_line"), child.get("postcode")) if part)
    return [
        ("Name", names),
        ("Date of birth", long_date(date.fromisoformat(child["date_of_birth"])) if child.get("date_of_birth")
         else "Not known"),
        ("Sex", child.get("sex") or "Not known"),
        ("Address", address or "Not known"),
        ("School", "Not held on the register"),
        ("UPN", masked_upn(child.get("upn"))),
    ]


@dataclass(frozen=True)
class _Pages:
    ui: Ui
    intake: IntakeReferrals

    async def audit(self, user: User, action: str, review: dict[str, Any], **details: str) -> None:
        """A review is about two children: every view or decision is a read or change of both."""
        children = dict.fromkeys(str(review[key]) for key in ("child_id", "proposed_child_id"))
        async with self.ui.session_factory.begin() as session:
            await self.ui.audit.record_many(session, [
                AuditedAction(user.user_id, action, "child", child_id,
                              {"review_id": str(review["review_id"]), **details})
                for child_id in children
            ])

    def unavailable(self, request: Request) -> Response:
        return render(self.ui.templates, request, "match_reviews/unavailable.html", status_code=503,
                      active_nav="match_reviews", message=UNAVAILABLE)

    async def show(self, request: Request, review_id: str, *, errors: dict[str, str] | None = None,
                   values: dict[str, str] | None = None, success: str | None = None,
                   status_code: int = 200) -> Response:
        user = signed_in_user(request)
        try:
            review = await self.intake.match_review(review_id)
        except IntakeNotFound:
            raise HTTPException(status_code=404, detail="No such match review") from None
        except IntakeUnavailable:
            return self.unavailable(request)
        await self.audit(user, "match_review.viewed", review)
        decided_by = None
        if review.get("decided_by"):
            async with self.ui.session_factory() as session:
                officer = await self.ui.accounts.get(session, str(review["decided_by"]))
            decided_by = officer.display_name if officer else str(review["decided_by"])
        return render(
            self.ui.templates, request, "match_reviews/review.html", status_code=status_code,
            active_nav="match_reviews", review=review, left=child_rows(review.get("child")),
            right=child_rows(review.get("proposed_child")), errors=errors or {}, values=values or {},
            success=SUCCESS.get(success or ""), status_text=STATUS_TEXT, kind_text=KIND_TEXT,
            received_at=datetime.fromisoformat(review["received_at"]), decided_by=decided_by,
            decided_at=datetime.fromisoformat(review["decided_at"]) if review.get("decided_at") else None,
        )


def _reason(values: dict[str, str], name: str, missing: str) -> str | None:
    if not values[name]:
        return missing
    return "The reason must be 2000 characters or fewer" if len(values[name]) > 2000 else None


def add_match_review_pages(router: GuardedRouter, ui: Ui, intake: IntakeReferrals) -> None:
    pages = _Pages(ui, intake)
    _add_list_and_review(router, pages)
    _add_decisions(router, pages)


def _add_list_and_review(router: GuardedRouter, pages: _Pages) -> None:
    @router.page("/match-reviews", access=REVIEW)
    async def review_list(request: Request, status: str = "open") -> Response:
        user = signed_in_user(request)
        if status not in {"open", "all"}:
            status = "open"
        try:
            reviews = await pages.intake.match_reviews(status)
        except IntakeUnavailable:
            return pages.unavailable(request)
        async with pages.ui.session_factory.begin() as session:
            # The list names no child (score, reasons, dates), but it is a look at the identity queue.
            await pages.ui.audit.record_many(session, [AuditedAction(
                user.user_id, "match_review.list_viewed", "match_reviews", status, {"reviews": len(reviews)}
            )])
        return render(pages.ui.templates, request, "match_reviews/list.html", active_nav="match_reviews",
                      reviews=reviews, rows=[table_row(review) for review in reviews], status=status)

    @router.page("/match-reviews/{review_id}", access=REVIEW)
    async def review_page(request: Request, review_id: str, success: str | None = None) -> Response:
        return await pages.show(request, valid_review_id(review_id), success=success)


def _add_decisions(router: GuardedRouter, pages: _Pages) -> None:
    intake = pages.intake

    @router.action("/match-reviews/{review_id}/decision", access=REVIEW)
    async def decide(request: Request, review_id: str) -> Response:
        user = signed_in_user(request)
        review_id = valid_review_id(review_id)
        submitted = await request.form()
        values = {"same_child": form_text(submitted, "same_child"), "reason": form_text(submitted, "reason")}
        errors: dict[str, str] = {}
        if values["same_child"] not in {"yes", "no"}:
            errors["same_child"] = "Select whether these are the same child"
        if problem := _reason(values, "reason", "Enter the reason for your decision"):
            errors["reason"] = problem
        if not errors:
            same = values["same_child"] == "yes"
            try:
                decided = await intake.decide(review_id, user.user_id, same, values["reason"])
            except IntakeNotFound:
                raise HTTPException(status_code=404, detail="No such match review") from None
            except IntakeUnavailable:
                return pages.unavailable(request)
            except MatchDecisionRefused as refused:
                errors["same_child"] = sentence(str(refused))
            else:
                await pages.audit(user, "match_review.decided", decided,
                                  decision="same_child" if same else "not_same")
                outcome = "same" if same else "different"
                return RedirectResponse(f"/match-reviews/{review_id}?success={outcome}", status_code=303)
        return await pages.show(request, review_id, errors=errors, values=values, status_code=400)

    @router.action("/match-reviews/{review_id}/undo", access=REVIEW)
    async def undo(request: Request, review_id: str) -> Response:
        user = signed_in_user(request)
        review_id = valid_review_id(review_id)
        submitted = await request.form()
        values = {"undo_reason": form_text(submitted, "undo_reason")}
        errors: dict[str, str] = {}
        if problem := _reason(values, "undo_reason", "Enter why the decision is being undone"):
            errors["undo_reason"] = problem
        if not errors:
            try:
                undone = await intake.undo(review_id, user.user_id, values["undo_reason"])
            except IntakeNotFound:
                raise HTTPException(status_code=404, detail="No such match review") from None
            except IntakeUnavailable:
                return pages.unavailable(request)
            except MatchDecisionRefused as refused:
                errors["undo_reason"] = sentence(str(refused))
            else:
                await pages.audit(user, "match_review.undone", undone)
                return RedirectResponse(f"/match-reviews/{review_id}?success=undone", status_code=303)
        return await pages.show(request, review_id, errors=errors, values=values, status_code=400)
