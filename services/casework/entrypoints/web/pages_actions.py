"""The action forms on a case: allocate, record a check, record a contact, add a note, escalate, liaise with the
social worker, close. Each is a GET page and a POST that redirects to the case page with a success banner
(post/redirect/get) or shows the form again with an error summary (status 400; 409 when someone else changed
the case meanwhile)."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final, Generic, TypeVar

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.adapters.accounts import User
from services.casework.adapters.queries import case_id_for_reference, officer_workloads
from services.casework.adapters.repository import ConcurrentChange, reference_for
from services.casework.domain.access import Permission
from services.casework.domain.case import MAX_TEXT_LENGTH, Case, joint_enquiries_evidenced, outstanding_checks
from services.casework.domain.checklist import CheckGroup, CheckType
from services.casework.domain.errors import DomainError
from services.casework.domain.records import ClosureDetails
from services.casework.domain.vocabulary import (
    CME_SCORES,
    LABELS,
    RESULTS_BY_METHOD,
    SAFEGUARDING_SCORES,
    CheckStatus,
    ClosureReason,
    ContactMethod,
    ContactResult,
    EscalationKind,
    JointEnquiryParty,
    Status,
)
from services.casework.entrypoints.web.pages_cases import GROUP_TITLES
from services.casework.entrypoints.web.pages_common import (
    CONCURRENT_CHANGE,
    CasePages,
    case_transaction,
    control_character_errors,
    date_error,
    form_text,
    form_version,
    local_moment,
    parse_time_of_day,
    plain_message,
    signed_in_user,
    today,
    valid_case_id,
    without_control_characters,
)
from services.casework.entrypoints.web.pages_tasks import due_date_field
from services.casework.entrypoints.web.security import GuardedRouter, requires
from services.casework.entrypoints.web.templating import LONDON, render
from services.casework.service_layer.officer_actions import (
    CheckEntry,
    ClosureEntry,
    ContactEntry,
    EscalationEntry,
    JointEnquiryEntry,
    LocatedEntry,
)

Entry = TypeVar("Entry")
Values = Mapping[str, str]

ESCALATION_HINTS: Final = {
    EscalationKind.MISSING_MONDAYS: "Whereabouts unknown after every check. The weekly meeting reviews the case",
    EscalationKind.FAP: "The Fair Access Protocol, to find the child a school place",
    EscalationKind.SAO: "Begin the school attendance order process",
    EscalationKind.S19: "Arrange education the child can attend (Education Act 1996 section 19)",
    EscalationKind.CCAS: "Refer for a CCAS decision",
}
CLOSURE_HINTS: Final = {
    ClosureReason.REGISTERED_INTO_PROVISION: "Give the school's establishment number, or describe the provision",
    ClosureReason.MOVED_TO_OTHER_LA: "The case closes when that authority acknowledges the child",
    ClosureReason.MOVED_ABROAD: (
        "Give the destination country. If it is not known, the child's whereabouts are unknown: escalate instead"
    ),
    ClosureReason.PAST_COMPULSORY_SCHOOL_AGE: "Only once the child has passed the school leaving date",
    ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW: (
        "Only after a senior officer signed off a Missing Mondays decision to close (risk LO or MED)"
    ),
    ClosureReason.DUPLICATE: "Give the reference of the case this one duplicates",
    ClosureReason.OTHER: "Describe the reason in the details",
}
_ESTABLISHMENT_NUMBER_LENGTH: Final = 7


class FormError(Exception):
    """A problem with one field that only the database can see (for example, an unknown case reference)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


Perform = Callable[[AsyncSession, User, str, int | None, Entry], Awaitable[Case]]
Context = Callable[[AsyncSession, Case], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class ActionForm(Generic[Entry]):
    """One action: its address under the case, template, who may use it, how its fields are read and checked,
    the command it runs, and the success banner it leads to."""

    path: str
    template: str
    permission: Permission
    first_field: str
    read: Callable[[Values, date], tuple[Entry | None, dict[str, str]]]
    perform: Perform[Entry]
    success: Callable[[Case], str]
    context: Context | None = None


# ---------------------------------------------------------------------- reading the forms


def _limit(errors: dict[str, str], values: Values, *fields: str) -> None:
    for field in fields:
        if len(values.get(field, "")) > MAX_TEXT_LENGTH and field not in errors:
            errors[field] = f"Enter no more than {MAX_TEXT_LENGTH:,} characters"


def _choice(kind: type[Any], value: str) -> Any:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


def read_allocation(values: Values, _: date) -> tuple[str | None, dict[str, str]]:
    officer_id = values.get("officer", "")
    if not officer_id:
        return None, {"officer": "Select the officer to allocate the case to"}
    return officer_id, {}


def read_check(values: Values, on: date) -> tuple[CheckEntry | None, dict[str, str]]:
    errors: dict[str, str] = {}
    check = _choice(CheckType, values.get("check", ""))
    status = _choice(CheckStatus, values.get("status", ""))
    if check is None:
        errors["check"] = "Select the check you are recording"
    if status is None:
        errors["status"] = "Select whether the check is done or not applicable"
    checked_on, problem = date_error(values, "on", "date of the check", on)
    if problem:
        errors["on-day"] = problem
    outcome, note = values.get("outcome", ""), values.get("note", "")
    if status is CheckStatus.DONE and not outcome:
        errors["outcome"] = "Enter the outcome of the check"
    if status is CheckStatus.NOT_APPLICABLE and not note:
        errors["note"] = "Enter why the check is not applicable"
    concern = {"yes": True, "no": False}.get(values.get("school_concern", ""))
    asks_concern = check is CheckType.LEAVER_FORM_OR_SCHOOL_DISCUSSION and status is CheckStatus.DONE
    if asks_concern and concern is None:
        errors["school_concern"] = "Select yes if the school has a safeguarding concern"
    _limit(errors, values, "outcome", "note")
    follow_up_on = optional_follow_up(values, on, errors)
    if errors or check is None or status is None or checked_on is None:
        return None, errors
    return CheckEntry(check, status, checked_on, outcome, note, concern if asks_concern else None, follow_up_on), {}


def read_contact(values: Values, on: date) -> tuple[ContactEntry | None, dict[str, str]]:
    errors: dict[str, str] = {}
    method = _choice(ContactMethod, values.get("method", ""))
    result = _choice(ContactResult, values.get("result", ""))
    if method is None:
        errors["method"] = "Select how you tried to make contact"
    if result is None:
        errors["result"] = "Select the result of the contact"
    elif method is not None and result not in RESULTS_BY_METHOD[method]:
        errors["result"] = (
            f"A contact by {LABELS[method]} cannot have the result '{LABELS[result]}'. "
            "Select a result that fits the method"
        )
    contacted_on, problem = date_error(values, "when", "date of the contact", on)
    if problem:
        errors["when-day"] = problem
    time_text = values.get("time", "")
    at = parse_time_of_day(time_text) if time_text else None
    if not time_text:
        errors["time"] = "Enter the time of the contact"
    elif at is None:
        errors["time"] = "Enter a real time, for example 9:30am or 14:30"
    moment = local_moment(contacted_on, at) if contacted_on and at else None
    if moment is not None and moment > datetime.now(LONDON):
        errors["time"] = "The time of the contact must be in the past"
    _limit(errors, values, "note")
    follow_up_on = optional_follow_up(values, on, errors)
    if errors or method is None or result is None or moment is None:
        return None, errors
    return ContactEntry(method, result, moment, values.get("note", ""), follow_up_on), {}


def optional_follow_up(values: Values, on: date, errors: dict[str, str]) -> date | None:
    """The optional "follow up on" date of a contact or check: a task in the officer's diary on that day."""
    if not any(values.get(f"follow_up-{part}", "") for part in ("day", "month", "year")):
        return None
    return due_date_field(values, "follow_up", "follow-up date", on, errors)


def read_note(values: Values, _: date) -> tuple[str | None, dict[str, str]]:
    text = values.get("note", "")
    if not text:
        return None, {"note": "Enter the note"}
    errors: dict[str, str] = {}
    _limit(errors, values, "note")
    return (None, errors) if errors else (text, {})


def read_escalation(values: Values, _: date) -> tuple[EscalationEntry | None, dict[str, str]]:
    errors: dict[str, str] = {}
    kind = _choice(EscalationKind, values.get("kind", ""))
    if kind is None:
        errors["kind"] = "Select where to escalate the case"
    scores: dict[str, int | None] = {"cme_score": None, "safeguarding_score": None}
    if kind is EscalationKind.MISSING_MONDAYS:
        for field, what in (("cme_score", "CME score"), ("safeguarding_score", "safeguarding score")):
            value = values.get(field, "")
            if value in {"1", "2", "3", "4", "5"}:
                scores[field] = int(value)
            else:
                errors[field] = f"Select the {what}, from 1 to 5"
    _limit(errors, values, "note")
    if errors or kind is None:
        return None, errors
    return EscalationEntry(kind, values.get("note", ""), scores["cme_score"], scores["safeguarding_score"]), {}


def read_agenda_reason(values: Values, _: date) -> tuple[str | None, dict[str, str]]:
    reason = values.get("reason", "")
    if not reason.strip():
        return None, {"reason": "Enter why the case should go on the agenda"}
    errors: dict[str, str] = {}
    _limit(errors, values, "reason")
    return (None, errors) if errors else (reason, {})


def read_liaison(values: Values, _: date) -> tuple[str | None, dict[str, str]]:
    text = values.get("note", "")
    if not text:
        return None, {"note": "Enter what you discussed with the social worker"}
    errors: dict[str, str] = {}
    _limit(errors, values, "note")
    return (None, errors) if errors else (text, {})


def read_joint_enquiry(values: Values, on: date) -> tuple[JointEnquiryEntry | None, dict[str, str]]:
    errors: dict[str, str] = {}
    party = _choice(JointEnquiryParty, values.get("party", ""))
    if party is None:
        errors["party"] = "Select who made the enquiry: the school or the local authority"
    enquired_on, problem = date_error(values, "on", "date of the enquiry", on)
    if problem:
        errors["on-day"] = problem
    for field, message in (
        ("who", "Enter who made the enquiry, with their role"),
        ("action", "Enter what the enquiry was"),
        ("outcome", "Enter the outcome of the enquiry"),
    ):
        if not values.get(field, "").strip():
            errors[field] = message
    _limit(errors, values, "who", "action", "outcome")
    if errors or party is None or enquired_on is None:
        return None, errors
    return JointEnquiryEntry(party, values["who"], values["action"], enquired_on, values["outcome"]), {}


def read_located(values: Values, _: date) -> tuple[LocatedEntry | None, dict[str, str]]:
    errors: dict[str, str] = {}
    if not values.get("note", "").strip():
        errors["note"] = "Enter how the child was located"
    _limit(errors, values, "note")
    if errors:
        return None, errors
    return LocatedEntry(values["note"], values.get("officer") or None), {}


def closure_details(reason: ClosureReason, values: Values) -> ClosureDetails:
    """The details the reason needs; fields filled in for other reasons are left out."""
    text = values.get("details") or None
    if reason is ClosureReason.REGISTERED_INTO_PROVISION:
        return ClosureDetails(school_id=values.get("school_id") or None, text=text)
    if reason is ClosureReason.MOVED_TO_OTHER_LA:
        return ClosureDetails(la_name=values.get("la_name") or None, la_code=values.get("la_code") or None,
                              acknowledged=values.get("acknowledged") == "yes", text=text)
    if reason is ClosureReason.MOVED_ABROAD:
        return ClosureDetails(destination_country=values.get("destination_country") or None, text=text)
    if reason is ClosureReason.DUPLICATE:
        return ClosureDetails(duplicate_of=values.get("duplicate_reference") or None, text=text)
    return ClosureDetails(text=text)


def read_closure(values: Values, _: date) -> tuple[ClosureEntry | None, dict[str, str]]:
    errors: dict[str, str] = {}
    reason = _choice(ClosureReason, values.get("reason", ""))
    details_text = values.get("details", "")
    school_id, la_name, la_code = values.get("school_id", ""), values.get("la_name", ""), values.get("la_code", "")
    acknowledged = values.get("acknowledged", "")
    if reason is None:
        errors["reason"] = "Select why the case is closing"
    elif reason is ClosureReason.REGISTERED_INTO_PROVISION:
        if school_id and not (school_id.isdigit() and len(school_id) == _ESTABLISHMENT_NUMBER_LENGTH):
            errors["school_id"] = "Enter the school's establishment number as 7 digits, for example 8852001"
        elif not school_id and not details_text:
            errors["school_id"] = "Enter the school's establishment number, or describe the provision in the details"
    elif reason is ClosureReason.MOVED_TO_OTHER_LA:
        if la_code and not (la_code.isdigit() and len(la_code) == 3):
            errors["la_code"] = "Enter the authority's code as 3 digits, for example 885"
        elif not la_code and not la_name:
            errors["la_name"] = "Enter the name of the local authority, or its code"
        if acknowledged not in {"yes", "no"}:
            errors["acknowledged"] = "Select yes if the other local authority has acknowledged the child"
    elif reason is ClosureReason.MOVED_ABROAD and not values.get("destination_country", "").strip():
        errors["destination_country"] = "Enter the destination country"
    elif reason is ClosureReason.DUPLICATE and not values.get("duplicate_reference"):
        errors["duplicate_reference"] = "Enter the reference of the case this one duplicates"
    elif reason is ClosureReason.OTHER and not details_text:
        errors["details"] = "Enter the reason for closing the case"
    _limit(errors, values, "details")
    if errors or reason is None:
        return None, errors
    details = closure_details(reason, values)
    return ClosureEntry(reason, details), {}


# ---------------------------------------------------------------------- what each form page shows


def missing_mondays_problems(case: Case) -> list[str]:
    """Why the case cannot go to Missing Mondays yet, in plain English (the domain repeats these checks)."""
    problems: list[str] = []
    if case.status is not Status.ENQUIRIES:
        problems.append("The case must be in enquiries: allocate it and record the checks first")
    if case.missing_mondays_pending:
        problems.append("A Missing Mondays review is already pending")
    missing = outstanding_checks(case, whereabouts_unknown=True)
    if missing:
        problems.append("Record every check first. Outstanding: " + "; ".join(check.label for check in missing))
    if case.flags.joint_enquiries_required and not joint_enquiries_evidenced(case):
        recorded = {enquiry.party for enquiry in case.joint_enquiries}
        parties = [LABELS[party] for party in JointEnquiryParty if party not in recorded]
        problems.append(
            "The deletion ground needs joint school and local authority enquiries. Still to record: "
            + " and ".join(parties)
        )
    return problems


def check_choices(case: Case) -> list[dict[str, Any]]:
    """The check radios, grouped under App. F headings (dividers), each saying if it is already recorded."""
    recorded = {record.check: record for record in case.checks_this_episode()}
    items: list[dict[str, Any]] = []
    for group in CheckGroup:
        items.append({"divider": GROUP_TITLES[group]})
        for check in CheckType:
            if check.group is not group:
                continue
            item: dict[str, Any] = {"value": check.value, "text": check.label}
            if check in recorded:
                record = recorded[check]
                item["hint"] = {"text": f"Recorded as {LABELS[record.status]} on {record.on.day} {record.on:%B %Y}"}
            items.append(item)
    return items


def result_hint(result: ContactResult) -> str:
    methods = [LABELS[method] for method in ContactMethod if result in RESULTS_BY_METHOD[method]]
    listed = methods[0] if len(methods) == 1 else ", ".join(methods[:-1]) + " or " + methods[-1]
    return "By " + listed


async def allocation_context(session: AsyncSession, case: Case) -> dict[str, Any]:
    workloads = await officer_workloads(session)
    current = next((officer.display_name for officer in workloads if officer.user_id == case.officer_id), None)
    return {
        "officers": [officer for officer in workloads if officer.user_id != case.officer_id],
        "current_officer_name": current,
    }


async def check_context(_: AsyncSession, case: Case) -> dict[str, Any]:
    return {"check_choices": check_choices(case)}


async def contact_context(_: AsyncSession, __: Case) -> dict[str, Any]:
    return {
        "contact_methods": list(ContactMethod),
        "contact_results": list(ContactResult),
        "result_hints": {result: result_hint(result) for result in ContactResult},
    }


async def escalation_context(_: AsyncSession, case: Case) -> dict[str, Any]:
    return {
        "missing_mondays_problems": missing_mondays_problems(case),
        "joint_enquiries_needed": case.flags.joint_enquiries_required and not joint_enquiries_evidenced(case),
        "escalation_kinds": list(EscalationKind),
        "escalation_hints": ESCALATION_HINTS,
        "cme_scores": CME_SCORES,
        "safeguarding_scores": SAFEGUARDING_SCORES,
    }


async def closure_context(_: AsyncSession, case: Case) -> dict[str, Any]:
    return {"closure_reasons": list(ClosureReason), "closure_hints": CLOSURE_HINTS,
            "closure_prompt": case.closure_prompt(today())}


async def joint_enquiry_context(_: AsyncSession, case: Case) -> dict[str, Any]:
    return {"joint_enquiry_parties": list(JointEnquiryParty), "joint_enquiries": case.joint_enquiries}


async def located_context(session: AsyncSession, case: Case) -> dict[str, Any]:
    workloads = await officer_workloads(session)
    return {"officers": workloads, "needs_officer": case.lead_officer_oversight is not None}


# ---------------------------------------------------------------------- the commands behind the forms


def forms(pages: CasePages) -> list[ActionForm[Any]]:
    actions = pages.actions

    async def close(session: AsyncSession, user: User, case_id: str, version: int | None,
                    entry: ClosureEntry) -> Case:
        if entry.reason is ClosureReason.DUPLICATE and entry.details.duplicate_of is not None:
            other = await case_id_for_reference(session, entry.details.duplicate_of)
            if other is None or other == case_id:
                raise FormError("duplicate_reference", "Enter the reference of another case, for example CME-1A2B3C4D")
            entry = ClosureEntry(entry.reason, replace(entry.details, duplicate_of=other))
        return await actions.close(session, user, case_id, version, entry)

    return [
        ActionForm(path="allocate", template="cases/allocate.html", permission=Permission.ALLOCATE,
                   first_field="officer", read=read_allocation, perform=actions.allocate,
                   success=lambda _: "allocated", context=allocation_context),
        ActionForm(path="record-check", template="cases/record_check.html", permission=Permission.RECORD_CHECK,
                   first_field="check", read=read_check, perform=actions.record_check,
                   success=lambda _: "check_recorded", context=check_context),
        ActionForm(path="record-contact", template="cases/record_contact.html", permission=Permission.RECORD_CONTACT,
                   first_field="method", read=read_contact, perform=actions.record_contact,
                   success=lambda _: "contact_recorded", context=contact_context),
        ActionForm(path="add-note", template="cases/add_note.html", permission=Permission.ADD_NOTE,
                   first_field="note", read=read_note, perform=actions.add_note, success=lambda _: "note_added"),
        ActionForm(path="escalate", template="cases/escalate.html", permission=Permission.ESCALATE,
                   first_field="kind", read=read_escalation, perform=actions.escalate,
                   success=lambda _: "escalated", context=escalation_context),
        ActionForm(path="add-to-missing-mondays-agenda", template="cases/add_to_agenda.html",
                   permission=Permission.CHAIR_MISSING_MONDAYS, first_field="reason", read=read_agenda_reason,
                   perform=actions.add_to_missing_mondays_agenda, success=lambda _: "added_to_agenda"),
        ActionForm(path="liaise-with-social-worker", template="cases/liaise.html",
                   permission=Permission.RECORD_CONTACT, first_field="note", read=read_liaison,
                   perform=actions.liaise_with_social_worker, success=lambda _: "social_worker_liaised"),
        ActionForm(path="record-joint-enquiry", template="cases/record_joint_enquiry.html",
                   permission=Permission.RECORD_CHECK, first_field="party", read=read_joint_enquiry,
                   perform=actions.record_joint_enquiry, success=lambda _: "joint_enquiry_recorded",
                   context=joint_enquiry_context),
        ActionForm(path="record-child-located", template="cases/record_child_located.html",
                   permission=Permission.RECORD_CHECK, first_field="note", read=read_located,
                   perform=actions.record_child_located, success=lambda _: "child_located",
                   context=located_context),
        ActionForm(path="close", template="cases/close.html", permission=Permission.CLOSE_CASE,
                   first_field="reason", read=read_closure, perform=close,
                   success=lambda case: "closed" if case.status is Status.CLOSED else "outcome_recorded",
                   context=closure_context),
    ]


# ---------------------------------------------------------------------- routes


def _form_values(form: Mapping[str, Any]) -> dict[str, str]:
    return {name: form_text(form, name) for name in form if name != "csrf_token"}


def add_action_forms(router: GuardedRouter, pages: CasePages) -> None:
    for action in forms(pages):
        add_action_form(router, pages, action)


def add_action_form(router: GuardedRouter, pages: CasePages, action: ActionForm[Any]) -> None:
    path = f"/cases/{{case_id}}/{action.path}"

    async def show(request: Request, case_id: str, *, values: Values, errors: Mapping[str, str],
                   status_code: int, version: int | None) -> Response:
        user = signed_in_user(request)
        async with case_transaction(pages) as session:
            case = await pages.actions.view(session, user, case_id, page=action.path)
            extra = await action.context(session, case) if action.context else {}
        return render(
            pages.templates,
            request,
            action.template,
            status_code=status_code,
            active_nav="cases",
            case=case,
            child_name=f"{case.child.given_name} {case.child.family_name}",
            reference=reference_for(case.case_id),
            version=case.version if version is None else version,
            values=values,
            errors=errors,
            today=today(),
            **extra,
        )

    @router.page(path, access=requires(action.permission), name=f"{action.path}-form")
    async def form_page(request: Request, case_id: str) -> Response:
        # The case page's checklist links here with the check to record already chosen.
        # The close page is linked with the reason chosen when the case prompts a closure (past school age).
        preset = {key: request.query_params[key] for key in ("check", "reason") if key in request.query_params}
        return await show(request, valid_case_id(case_id), values=preset, errors={}, status_code=200, version=None)

    @router.action(path, access=requires(action.permission), name=action.path)
    async def submit(request: Request, case_id: str) -> Response:
        case_id = valid_case_id(case_id)
        user = signed_in_user(request)
        form = await request.form()
        values = _form_values(form)
        version = form_version(form)
        entry, errors = None, control_character_errors(values)
        if errors:
            values = without_control_characters(values)
        else:
            entry, errors = action.read(values, today())
        status_code = 400
        if entry is not None:
            try:
                async with case_transaction(pages) as session:
                    case = await action.perform(session, user, case_id, version, entry)
                return RedirectResponse(f"/cases/{case_id}?success={action.success(case)}", status_code=303)
            except FormError as problem:
                errors = {problem.field: problem.message}
            except DomainError as refusal:
                errors = {action.first_field: plain_message(refusal, case_id)}
            except ConcurrentChange:
                errors = {action.first_field: CONCURRENT_CHANGE}
                status_code, version = 409, None
        return await show(request, case_id, values=values, errors=errors, status_code=status_code, version=version)
