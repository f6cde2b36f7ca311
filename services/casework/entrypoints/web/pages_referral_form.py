"""Enter a referral: a referral a CME officer took by phone, email or letter, entered one question per page
(GOV.UK pattern), then check answers, then submitted to intake, which runs it through the same checks and
identity resolution as every upstream system's referral (`adapters.intake_client`).

The answers between pages are kept server-side, as a draft in intake's internal API (the acting officer's only;
casework's session store holds no form data): pages carry only the draft's id. Intake's problems on submission
go back onto the question they are about, with a GOV.UK error summary. Every page view and every answer saved is
audited (the draft is the record: its id, never the answers); the submission is audited against the child.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID, uuid4

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from services.casework.adapters.accounts import User
from services.casework.adapters.audit import AuditedAction
from services.casework.adapters.intake_client import (
    IntakeNotFound,
    IntakeReferrals,
    IntakeUnavailable,
    ReferralRejected,
)
from services.casework.adapters.queries import team_of
from services.casework.adapters.repository import CaseRepository
from services.casework.domain import referral_form as form
from services.casework.domain.access import Permission, can_view_case
from services.casework.entrypoints.web.context import Ui
from services.casework.entrypoints.web.pages_common import signed_in_user, today
from services.casework.entrypoints.web.security import GuardedRouter, requires
from services.casework.entrypoints.web.templating import render

ENTER = requires(Permission.ENTER_REFERRAL)
UNAVAILABLE: Final = "The referral service is not available. Try again in a few minutes: your answers are kept"
DRAFT = "referral_draft"
SUBMISSION_PREFIX = "officer-"


def valid_draft_id(draft_id: str) -> str:
    try:
        return str(UUID(draft_id))
    except ValueError:
        raise HTTPException(status_code=404, detail="No such referral") from None


def valid_submission_id(submission_id: str) -> str:
    if not submission_id.startswith(SUBMISSION_PREFIX):
        raise HTTPException(status_code=404, detail="No such referral")
    return SUBMISSION_PREFIX + valid_draft_id(submission_id.removeprefix(SUBMISSION_PREFIX))


def choices(labels: Mapping[str, Any], chosen: Any) -> list[dict[str, Any]]:
    """GOV.UK radio or checkbox items for `labels` (value -> label, or value -> (label, ...)), `chosen` ticked."""
    picked = set(chosen) if isinstance(chosen, list) else {chosen}
    return [{"value": value, "text": label[0] if isinstance(label, tuple) else label, "checked": value in picked}
            for value, label in labels.items()]


@dataclass(frozen=True)
class _Pages:
    ui: Ui
    intake: IntakeReferrals

    async def audit(self, user: User, action: str, record_type: str, record_id: str, **details: str) -> None:
        async with self.ui.session_factory.begin() as session:
            await self.ui.audit.record_many(session, [AuditedAction(user.user_id, action, record_type, record_id,
                                                                    details)])

    def unavailable(self, request: Request) -> Response:
        return render(self.ui.templates, request, "referrals/unavailable.html", status_code=503,
                      active_nav="referrals", message=UNAVAILABLE)

    async def load(self, user: User, draft_id: str) -> dict[str, Any]:
        try:
            return await self.intake.draft(draft_id, user.user_id)
        except IntakeNotFound:
            raise HTTPException(status_code=404, detail="No such referral") from None

    def show(self, request: Request, draft_id: str, step: str, answers: dict[str, Any], *, errors: dict[str, str],
             status_code: int = 200) -> Response:
        slugs = form.STEP_SLUGS
        index = slugs.index(step)
        back = f"/referrals/{draft_id}/{slugs[index - 1]}" if index else "/referrals/new"
        if form.next_step(answers, step) == form.CHECK and step in form.completed(answers):
            back = f"/referrals/{draft_id}/check"
        return render(
            self.ui.templates, request, f"referrals/{step}.html", status_code=status_code, active_nav="referrals",
            draft_id=draft_id, step=form.step_named(step), values=answers, errors=errors, back=back,
            received_by=form.RECEIVED_BY, referrer_types=form.REFERRER_TYPES, sexes=form.SEXES,
            alert_types=form.ALERT_TYPES, safeguarding=form.SAFEGUARDING, social_care=form.is_social_care(answers),
            referrer_type=answers.get("referrer_type"), number=index + 1, total=len(slugs), choices=choices,
        )


def add_referral_form_pages(router: GuardedRouter, ui: Ui, intake: IntakeReferrals) -> None:
    pages = _Pages(ui, intake)
    _add_start_and_confirmation(router, pages)
    _add_check_answers(router, pages)
    _add_questions(router, pages)


def _add_start_and_confirmation(router: GuardedRouter, pages: _Pages) -> None:
    templates, intake = pages.ui.templates, pages.intake

    @router.page("/referrals/new", access=ENTER)
    async def start(request: Request) -> Response:
        return render(templates, request, "referrals/start.html", active_nav="referrals")

    @router.action("/referrals/new", access=ENTER)
    async def begin(request: Request) -> Response:
        user = signed_in_user(request)
        draft_id = str(uuid4())
        try:
            await intake.save_draft(draft_id, user.user_id, {"_completed": []})
        except IntakeUnavailable:
            return pages.unavailable(request)
        await pages.audit(user, "referral.draft_started", DRAFT, draft_id)
        return RedirectResponse(f"/referrals/{draft_id}/{form.STEP_SLUGS[0]}", status_code=303)

    @router.page("/referrals/submitted/{submission_id}", access=ENTER)
    async def submitted(request: Request, submission_id: str) -> Response:
        user = signed_in_user(request)
        submission_id = valid_submission_id(submission_id)
        try:
            entered = await intake.entered_referral(submission_id)
        except IntakeNotFound:
            raise HTTPException(status_code=404, detail="No such referral") from None
        except IntakeUnavailable:
            return pages.unavailable(request)
        if entered.get("entered_by") != user.user_id:
            # The confirmation is the officer's own: others find the referral through its case.
            raise HTTPException(status_code=404, detail="No such referral")
        case_id: str | None = None
        case_opened = False
        child_id = entered.get("child_id")
        if child_id:
            async with pages.ui.session_factory() as session:
                cases = await CaseRepository().for_child(session, str(child_id))
                case_opened = bool(cases)
                # An officer sees only their own and their team's cases: a new, unallocated case is the team lead's
                # to allocate, so the link is shown only to those who may open it.
                for case in cases:
                    if can_view_case(user.actor, case.officer_id, await team_of(session, case.officer_id)):
                        case_id = case.case_id
                        break
        await pages.audit(user, "referral.confirmation_viewed", "child", str(child_id or submission_id),
                          submission_id=submission_id)
        return render(templates, request, "referrals/submitted.html", active_nav="referrals",
                      submission_id=submission_id, case_id=case_id, case_opened=case_opened)


def _add_check_answers(router: GuardedRouter, pages: _Pages) -> None:
    templates, intake = pages.ui.templates, pages.intake

    @router.page("/referrals/{draft_id}/check", access=ENTER)
    async def check(request: Request, draft_id: str) -> Response:
        user = signed_in_user(request)
        draft_id = valid_draft_id(draft_id)
        try:
            answers = await pages.load(user, draft_id)
        except IntakeUnavailable:
            return pages.unavailable(request)
        missing = form.next_step(answers, form.CHECK)
        if missing != form.CHECK:
            return RedirectResponse(f"/referrals/{draft_id}/{missing}", status_code=303)
        await pages.audit(user, "referral.draft_viewed", DRAFT, draft_id, step=form.CHECK)
        errors = dict(answers.get("_problems", {}).get(form.CHECK, {}))
        return render(templates, request, "referrals/check.html", active_nav="referrals", draft_id=draft_id,
                      rows=form.summary(answers), errors=errors)

    @router.action("/referrals/{draft_id}/check", access=ENTER)
    async def submit(request: Request, draft_id: str) -> Response:
        user = signed_in_user(request)
        draft_id = valid_draft_id(draft_id)
        try:
            answers = await pages.load(user, draft_id)
            if form.next_step(answers, form.CHECK) != form.CHECK:
                return RedirectResponse(f"/referrals/{draft_id}/check", status_code=303)
            # One id per attempt, kept before sending: pressing submit twice gives intake the same referral twice
            # (its first outcome again), while a corrected referral after a rejection is a new attempt.
            submission_id = answers.get("_submission_id") or f"{SUBMISSION_PREFIX}{uuid4()}"
            if "_submission_id" not in answers:
                answers = {**answers, "_submission_id": submission_id}
                await intake.save_draft(draft_id, user.user_id, answers)
            payload = form.submission(answers, submission_id, datetime.now(UTC))
            try:
                entered = await intake.enter_referral(user.user_id, str(answers["received_by"]), payload)
            except ReferralRejected as rejected:
                corrected, first = form.with_problems(
                    answers, [(problem.field, problem.message) for problem in rejected.problems]
                )
                await intake.save_draft(draft_id, user.user_id, corrected)
                await pages.audit(user, "referral.rejected_by_intake", DRAFT, draft_id,
                                  fields=",".join(sorted({problem.field for problem in rejected.problems})))
                return RedirectResponse(f"/referrals/{draft_id}/{first}", status_code=303)
            await intake.delete_draft(draft_id, user.user_id)
        except IntakeUnavailable:
            return pages.unavailable(request)
        await pages.audit(user, "referral.entered", "child", str(entered.child_id or submission_id),
                          submission_id=entered.submission_id, received_by=str(answers["received_by"]))
        return RedirectResponse(f"/referrals/submitted/{entered.submission_id}", status_code=303)


def _add_questions(router: GuardedRouter, pages: _Pages) -> None:
    intake = pages.intake

    @router.page("/referrals/{draft_id}/{step}", access=ENTER)
    async def question(request: Request, draft_id: str, step: str) -> Response:
        user = signed_in_user(request)
        draft_id = valid_draft_id(draft_id)
        if form.step_named(step) is None:
            raise HTTPException(status_code=404, detail="No such question")
        try:
            answers = await pages.load(user, draft_id)
        except IntakeUnavailable:
            return pages.unavailable(request)
        await pages.audit(user, "referral.draft_viewed", DRAFT, draft_id, step=step)
        return pages.show(request, draft_id, step, answers, errors=dict(answers.get("_problems", {}).get(step, {})))

    @router.action("/referrals/{draft_id}/{step}", access=ENTER)
    async def answer(request: Request, draft_id: str, step: str) -> Response:
        user = signed_in_user(request)
        draft_id = valid_draft_id(draft_id)
        if form.step_named(step) is None:
            raise HTTPException(status_code=404, detail="No such question")
        submitted_form = await request.form()
        fields: dict[str, Any] = {
            name: (submitted_form.getlist(name) if name == "safeguarding" else submitted_form.get(name, ""))
            for name in submitted_form
        }
        try:
            answers = await pages.load(user, draft_id)
            given, errors = form.read_step(step, fields, answers, today())
            if errors:
                return pages.show(request, draft_id, step, {**answers, **given}, errors=errors, status_code=400)
            updated = form.record(answers, step, given)
            await intake.save_draft(draft_id, user.user_id, updated)
        except IntakeUnavailable:
            return pages.unavailable(request)
        await pages.audit(user, "referral.draft_answered", DRAFT, draft_id, step=step)
        return RedirectResponse(f"/referrals/{draft_id}/{form.next_step(updated, step)}", status_code=303)
