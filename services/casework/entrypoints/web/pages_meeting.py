"""The Missing Mondays pages (policy §10, App. F), in the one officers' UI: this week's agenda, each case's review
form with its concerns log, the chair's scoring, withdrawal and "pass to the senior officer" step, and the senior
officer's sign-off queue and sign-off.

The forms and the meeting's rules belong to the review service; these pages read and change them through review's
internal API (`adapters.review_client`), after checking the user's App. E permission here. Every view and every
decision (and every refusal) is written to casework's audit log against the case, like any other view of a child's
record. Pages work without JavaScript; each POST redirects back to the form with a success banner, or shows the
form again with an error summary (400).
"""

from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from services.casework.adapters.accounts import User
from services.casework.adapters.audit import AuditedAction
from services.casework.adapters.review_client import (
    Form,
    MeetingRefused,
    MeetingUnavailable,
    ReviewMeetings,
    ReviewNotFound,
)
from services.casework.domain.access import Permission
from services.casework.domain.vocabulary import CME_SCORES, SAFEGUARDING_SCORES
from services.casework.entrypoints.web.context import Ui
from services.casework.entrypoints.web.pages_common import form_text, signed_in_user, today, valid_case_id
from services.casework.entrypoints.web.security import GuardedRouter, requires
from services.casework.entrypoints.web.templating import render

VIEW = requires(Permission.VIEW_ALL_CASES)
CHAIR = requires(Permission.CHAIR_MISSING_MONDAYS)
SENIOR = requires(Permission.SIGN_OFF_CLOSURE)
BAND_MEANINGS: Final = {
    "HI": "High risk: checks continue, reviewed again in 12 months; must not be closed",
    "MED": "Medium risk: the senior officer decides on closure from the comments and evidence",
    "LO": "Low risk: the meeting recommends closure; the senior officer decides",
}
DECISIONS: Final = {"close": "Case to be closed", "remain_open": "Case to remain open"}
STATUS_TEXT: Final = {
    "awaiting_meeting": "On the agenda",
    "circulated": "Circulated: open for concerns",
    "with_senior_officer": "With the senior officer",
    "signed_off": "Signed off",
    "withdrawn": "Withdrawn",
}
REASON_TEXT: Final = {
    "escalated": "Escalated as whereabouts unknown",
    "concern_raised": "Concern raised",
    "twelve_month_review": "Further review (12 months)",
    "added_by_chair": "Added by the chair",
}
SUCCESS: Final = {
    "score": "Scores recorded. The form is circulated: concerns can be raised until the following meeting",
    "concerns": "Concern logged. The case goes back on the next meeting's agenda",
    "pass-to-senior-officer": "Form passed to the senior officer",
    "sign-off": "Decision signed off",
    "withdraw": "Case withdrawn from the agenda",
    "add-to-agenda": "Case added to the next meeting's agenda",
}
UNAVAILABLE = "The Missing Mondays service is not available. Try again in a few minutes"


def latest(forms: list[Form]) -> Form | None:
    """The review the form page shows: the active one, else the most recent."""
    active = [form for form in forms if form["status"] not in {"signed_off", "withdrawn"}]
    pool = active or forms
    return max(pool, key=lambda form: (form["meeting_date"], form["escalated_at"])) if pool else None


def read_command(action: str, values: Mapping[str, str], user: User) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    if action == "score":
        scores = {}
        for field, what in (("cme_score", "CME score"), ("safeguarding_score", "safeguarding score")):
            if values.get(field, "") in {"1", "2", "3", "4", "5"}:
                scores[field] = int(values[field])
            else:
                errors[field] = f"Select the {what}, from 1 to 5"
        attendees = [line.strip() for line in values.get("attendees", "").splitlines() if line.strip()]
        if not attendees:
            errors["attendees"] = "Enter who attended, one per line"
        if not values.get("comments", "").strip():
            errors["comments"] = "Enter the meeting's comments"
        if values.get("recommendation") not in DECISIONS:
            errors["recommendation"] = "Select the meeting's recommendation"
        return {"chair_id": user.user_id, **scores, "attendees": attendees,
                "comments": values.get("comments", ""), "recommendation": values.get("recommendation")}, errors
    if action == "concerns":
        if not values.get("team", "").strip():
            errors["team"] = "Enter the team or service raising the concern"
        if not values.get("text", "").strip():
            errors["text"] = "Enter the concern"
        return {"by": user.user_id, "team": values.get("team", ""), "text": values.get("text", "")}, errors
    if action == "withdraw":
        if not values.get("reason", "").strip():
            errors["reason"] = "Enter why the case is withdrawn from the agenda"
        return {"by": user.user_id, "reason": values.get("reason", "")}, errors
    if action == "sign-off":
        if not values.get("role", "").strip():
            errors["role"] = "Enter your title, for example Assistant Director"
        if values.get("decision") not in DECISIONS:
            errors["decision"] = "Select the decision"
        return {"senior_officer_id": user.user_id, "name": user.display_name, "role": values.get("role", ""),
                "decision": values.get("decision"), "comments": values.get("comments", "")}, errors
    return {"by": user.user_id}, errors


def add_meeting_pages(router: GuardedRouter, ui: Ui, meetings: ReviewMeetings) -> None:
    add_meeting_lists(router, ui, meetings)
    add_review_form(router, ui, meetings)


def _auditor(ui: Ui) -> Any:
    async def audit(user: User, action: str, case_ids: list[str], details: Mapping[str, Any] | None = None) -> None:
        async with ui.session_factory.begin() as session:
            await ui.audit.record_many(session, [
                AuditedAction(user.user_id, action, "case", case_id, dict(details or {})) for case_id in case_ids
            ])

    return audit


def _unavailable(ui: Ui, request: Request) -> Response:
    return render(ui.templates, request, "missing_mondays/unavailable.html", status_code=503,
                  active_nav="missing_mondays", message=UNAVAILABLE)


def add_meeting_lists(router: GuardedRouter, ui: Ui, meetings: ReviewMeetings) -> None:
    templates, audit = ui.templates, _auditor(ui)

    def unavailable(request: Request) -> Response:
        return _unavailable(ui, request)

    @router.page("/missing-mondays", access=VIEW)
    async def agenda_page(request: Request, meeting: str | None = None) -> Response:
        user = signed_in_user(request)
        try:
            meeting_date = date.fromisoformat(meeting) if meeting else await meetings.next_meeting(today())
        except ValueError:
            raise HTTPException(status_code=404, detail="No such meeting") from None
        except MeetingUnavailable:
            return unavailable(request)
        try:
            forms = await meetings.agenda(meeting_date)
        except MeetingUnavailable:
            return unavailable(request)
        await audit(user, "review.agenda_viewed", [form["case_id"] for form in forms],
                    {"meeting_date": meeting_date.isoformat()})
        return render(templates, request, "missing_mondays/agenda.html", active_nav="missing_mondays",
                      meeting_date=meeting_date, forms=forms, status_text=STATUS_TEXT, reason_text=REASON_TEXT,
                      previous_meeting=date.fromordinal(meeting_date.toordinal() - 7),
                      next_meeting=date.fromordinal(meeting_date.toordinal() + 7))

    @router.page("/missing-mondays/sign-off", access=SENIOR)
    async def sign_off_queue(request: Request) -> Response:
        user = signed_in_user(request)
        try:
            forms = await meetings.sign_off_queue()
        except MeetingUnavailable:
            return unavailable(request)
        await audit(user, "review.sign_off_queue_viewed", [form["case_id"] for form in forms])
        return render(templates, request, "missing_mondays/sign_off_queue.html", active_nav="missing_mondays",
                      forms=forms, decisions=DECISIONS)



def add_review_form(router: GuardedRouter, ui: Ui, meetings: ReviewMeetings) -> None:
    templates, audit = ui.templates, _auditor(ui)

    def unavailable(request: Request) -> Response:
        return _unavailable(ui, request)

    async def show_form(request: Request, case_id: str, *, errors: Mapping[str, str] | None = None,
                        values: Mapping[str, str] | None = None, status_code: int = 200,
                        success: str | None = None) -> Response:
        user = signed_in_user(request)
        try:
            forms = await meetings.for_case(case_id)
        except MeetingUnavailable:
            return unavailable(request)
        form = latest(forms)
        await audit(user, "review.viewed", [case_id], {"review_id": form["review_id"] if form else ""})
        actor = user.actor
        return render(
            templates, request, "missing_mondays/review.html", status_code=status_code,
            active_nav="missing_mondays", case_id=case_id, form=form,
            history=sorted((each for each in forms if form is None or each["review_id"] != form["review_id"]),
                           key=lambda each: each["meeting_date"], reverse=True),
            errors=dict(errors or {}), values=dict(values or {}), success=SUCCESS.get(success or ""),
            may_chair=actor.may(Permission.CHAIR_MISSING_MONDAYS),
            may_sign=actor.may(Permission.SIGN_OFF_CLOSURE),
            today=today(), cme_scores=CME_SCORES, safeguarding_scores=SAFEGUARDING_SCORES,
            band_meanings=BAND_MEANINGS, decisions=DECISIONS, status_text=STATUS_TEXT, reason_text=REASON_TEXT,
        )

    @router.page("/missing-mondays/cases/{case_id}", access=VIEW)
    async def review_form(request: Request, case_id: str, success: str | None = None) -> Response:
        return await show_form(request, valid_case_id(case_id), success=success)

    first_field = {"score": "cme_score", "concerns": "team", "withdraw": "reason", "sign-off": "decision",
                   "pass-to-senior-officer": "pass", "add-to-agenda": "reason"}
    rules = {"score": CHAIR, "concerns": VIEW, "withdraw": CHAIR, "pass-to-senior-officer": CHAIR, "sign-off": SENIOR,
             "add-to-agenda": CHAIR}
    audit_actions = {"score": "review.scored", "concerns": "review.concern_raised", "withdraw": "review.withdrawn",
                     "pass-to-senior-officer": "review.passed_to_senior_officer", "sign-off": "review.signed_off",
                     "add-to-agenda": "review.added_to_agenda"}

    def add_command(action: str) -> None:
        @router.action(f"/missing-mondays/cases/{{case_id}}/{action}", access=rules[action],
                       name=f"missing-mondays-{action}")
        async def submit(request: Request, case_id: str) -> Response:
            case_id = valid_case_id(case_id)
            user = signed_in_user(request)
            submitted = await request.form()
            values = {name: form_text(submitted, name) for name in submitted if name != "csrf_token"}
            body, errors = read_command(action, values, user)
            review_id = values.get("review_id", "")
            if not errors:
                try:
                    await meetings.command(review_id, action, body)
                except MeetingUnavailable:
                    return unavailable(request)
                except ReviewNotFound:
                    raise HTTPException(status_code=404, detail="No such review") from None
                except MeetingRefused as refused:
                    await audit(user, "review.command_refused", [case_id], {"review_id": review_id, "action": action})
                    message = str(refused)
                    errors = {first_field[action]: message[:1].upper() + message[1:]}
                else:
                    await audit(user, audit_actions[action], [case_id], {"review_id": review_id})
                    return RedirectResponse(f"/missing-mondays/cases/{case_id}?success={action}", status_code=303)
            return await show_form(request, case_id, errors=errors, values=values, status_code=400)

    for action in rules:
        add_command(action)
