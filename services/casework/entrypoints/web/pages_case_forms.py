"""The case's forms for what the officers' day was missing (issue 8): reopen a closed case, change its priority,
acknowledge a transfer to another authority, withdraw a recorded outcome, link a sibling's case, record a change
of address or contact details, and acknowledge the Family Front Door prompt.

Each is an action form like pages_actions' (GET page and POST, post/redirect/get to the case page with a
banner, the form again with an error summary on a problem, CSRF, the case version, audited by the use case).
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.adapters.accounts import User
from services.casework.adapters.queries import case_id_for_reference
from services.casework.domain.access import Permission
from services.casework.domain.case import MAX_TEXT_LENGTH, Case
from services.casework.domain.case_records import AddressEntry, FfdDecision, address_problems
from services.casework.domain.vocabulary import Priority, Status
from services.casework.entrypoints.web.pages_actions import (
    ActionForm,
    Context,
    FormError,
    Perform,
    Values,
    add_action_form,
)
from services.casework.entrypoints.web.pages_common import CasePages, date_error
from services.casework.entrypoints.web.security import GuardedRouter
from services.casework.service_layer.case_records import CaseRecordsService, FfdEntry
from services.casework.service_layer.officer_actions import PriorityEntry


@dataclass(frozen=True)
class PriorityChoice:
    priority: Priority
    reason: str


def _text(values: Values, field: str, missing: str, errors: dict[str, str]) -> str:
    text = values.get(field, "")
    if not text.strip():
        errors[field] = missing
    elif len(text) > MAX_TEXT_LENGTH:
        errors[field] = f"Enter no more than {MAX_TEXT_LENGTH:,} characters"
    return text


# ---------------------------------------------------------------------- reading the forms


def read_reopen(values: Values, _: date) -> tuple[str | None, dict[str, str]]:
    errors: dict[str, str] = {}
    reason = _text(values, "reason", "Enter why the case is being reopened", errors)
    return (None, errors) if errors else (reason, {})


def read_priority(values: Values, _: date) -> tuple[PriorityChoice | None, dict[str, str]]:
    errors: dict[str, str] = {}
    priority = next((p for p in Priority if p.value == values.get("priority", "")), None)
    if priority is None:
        errors["priority"] = "Select the new priority"
    reason = _text(values, "reason", "Enter why the priority is changing", errors)
    if errors or priority is None:
        return None, errors
    return PriorityChoice(priority, reason), {}


def read_acknowledgement(values: Values, _: date) -> tuple[bool | None, dict[str, str]]:
    if values.get("acknowledged") != "yes":
        return None, {"acknowledged": "Confirm that the other local authority has acknowledged the child"}
    return True, {}


def read_withdrawal(values: Values, _: date) -> tuple[str | None, dict[str, str]]:
    errors: dict[str, str] = {}
    explanation = _text(values, "explanation", "Enter why the outcome is being withdrawn", errors)
    return (None, errors) if errors else (explanation, {})


def read_sibling(values: Values, _: date) -> tuple[str | None, dict[str, str]]:
    reference = values.get("sibling_reference", "").strip().upper()
    if not reference:
        return None, {"sibling_reference": "Enter the reference of the sibling's case, for example CME-1A2B3C4D"}
    return reference, {}


def _optional_date(values: Values, prefix: str, what: str, latest: date, errors: dict[str, str]) -> date | None:
    if not any(values.get(f"{prefix}-{part}", "") for part in ("day", "month", "year")):
        return None
    found, problem = date_error(values, prefix, what, latest)
    if problem:
        errors[f"{prefix}-day"] = problem
    return found


def read_address(values: Values, on: date) -> tuple[AddressEntry | None, dict[str, str]]:
    errors: dict[str, str] = {}
    moved_on = _optional_date(values, "moved_on", "date the family moved", on, errors)
    entry = AddressEntry(
        address_line_1=values.get("address_line_1", ""),
        address_line_2=values.get("address_line_2", ""),
        town=values.get("town", ""),
        postcode=values.get("postcode", ""),
        phone=values.get("phone", ""),
        email=values.get("email", ""),
        moved_on=moved_on,
        source=values.get("source", ""),
    )
    errors = {**address_problems(entry, on), **errors}
    return (None, errors) if errors else (entry, {})


def read_ffd(values: Values, on: date) -> tuple[FfdEntry | None, dict[str, str]]:
    errors: dict[str, str] = {}
    decision = next((d for d in FfdDecision if d.value == values.get("decision", "")), None)
    referred_on: date | None = None
    if decision is None:
        errors["decision"] = "Select whether you referred the child to the Family Front Door or it is not needed"
    elif decision is FfdDecision.REFERRED:
        referred_on, problem = date_error(values, "referred_on", "date of the referral", on)
        if problem:
            errors["referred_on-day"] = problem
        if not values.get("reference", "").strip():
            errors["reference"] = "Enter the reference the Family Front Door gave"
    else:
        _text(values, "why", "Enter why a Family Front Door referral is not needed", errors)
    if errors or decision is None:
        return None, errors
    return FfdEntry(values.get("referral_id", ""), decision, referred_on, values.get("reference") or None,
                    values.get("why") or None), {}


# ---------------------------------------------------------------------- what each page shows


async def priority_context(_: AsyncSession, case: Case) -> dict[str, Any]:
    return {"priorities": [p for p in Priority if p is not case.priority],
            "flag_floor": case.flags.requires_priority_one}


async def withdrawal_context(_: AsyncSession, case: Case) -> dict[str, Any]:
    return {"withdrawable": case.status is Status.OUTCOME_RECORDED and case.outcome is not None}


def sibling_context(records: CaseRecordsService) -> Context:
    """The link form names intake's suggested siblings that have cases not linked yet (references only)."""

    async def context(session: AsyncSession, case: Case) -> dict[str, Any]:
        linked = {link.other(case.case_id) for link in await records.records.sibling_links(session, case.case_id)}
        suggested = await records.records.suggested_siblings(session, case.case_id)
        return {"suggestions": [
            s.case.reference for s in suggested if s.case is not None and s.case.case_id not in linked
        ]}

    return context


def ffd_context(records: CaseRecordsService) -> Context:
    """The acknowledgement form answers the oldest outstanding prompt."""

    async def context(session: AsyncSession, case: Case) -> dict[str, Any]:
        outstanding = [p for p in await records.records.ffd_prompts(session, case.case_id) if p.outstanding]
        return {"prompt": outstanding[0] if outstanding else None}

    return context


# ---------------------------------------------------------------------- the commands behind the forms


def case_forms(pages: CasePages) -> list[ActionForm[Any]]:
    actions = pages.actions
    forms: list[ActionForm[Any]] = [
        ActionForm(path="reopen", template="cases/reopen.html", permission=Permission.CLOSE_CASE,
                   first_field="reason", read=read_reopen, perform=actions.reopen, success=lambda _: "reopened"),
        ActionForm(path="change-priority", template="cases/change_priority.html",
                   permission=Permission.CHANGE_PRIORITY, first_field="priority", read=read_priority,
                   perform=_change_priority(pages), success=lambda _: "priority_changed", context=priority_context),
        ActionForm(path="acknowledge-transfer", template="cases/acknowledge_transfer.html",
                   permission=Permission.CLOSE_CASE, first_field="acknowledged", read=read_acknowledgement,
                   perform=_acknowledge_transfer(pages), success=lambda _: "transfer_acknowledged"),
        ActionForm(path="withdraw-outcome", template="cases/withdraw_outcome.html",
                   permission=Permission.CLOSE_CASE, first_field="explanation", read=read_withdrawal,
                   perform=actions.withdraw_outcome, success=lambda _: "outcome_withdrawn",
                   context=withdrawal_context),
    ]
    records = pages.records
    if records is None:
        return forms
    return [
        *forms,
        ActionForm(path="link-sibling", template="cases/link_sibling.html", permission=Permission.RECORD_CHECK,
                   first_field="sibling_reference", read=read_sibling, perform=_link_sibling(pages, records),
                   success=lambda _: "sibling_linked", context=sibling_context(records)),
        ActionForm(path="record-address", template="cases/record_address.html",
                   permission=Permission.RECORD_CONTACT, first_field="address_line_1", read=read_address,
                   perform=_record_address(pages, records), success=lambda _: "address_recorded"),
        ActionForm(path="acknowledge-ffd", template="cases/acknowledge_ffd.html",
                   permission=Permission.RECORD_CONTACT, first_field="decision", read=read_ffd,
                   perform=_acknowledge_ffd(pages, records), success=lambda _: "ffd_acknowledged",
                   context=ffd_context(records)),
    ]


def _change_priority(pages: CasePages) -> Perform[PriorityChoice]:
    async def perform(session: AsyncSession, user: User, case_id: str, version: int | None,
                      choice: PriorityChoice) -> Case:
        return await pages.actions.change_priority(session, user, case_id, version,
                                                   PriorityEntry(choice.priority, choice.reason))

    return perform


def _acknowledge_transfer(pages: CasePages) -> Perform[bool]:
    async def perform(session: AsyncSession, user: User, case_id: str, version: int | None, _: bool) -> Case:
        return await pages.actions.acknowledge_transfer(session, user, case_id, version)

    return perform


async def _reread(pages: CasePages, session: AsyncSession, case_id: str) -> Case:
    case = await pages.actions.repository.get(session, case_id)
    if case is None:  # the use case has just found it, in this transaction
        raise LookupError(case_id)
    return case


def _link_sibling(pages: CasePages, records: CaseRecordsService) -> Perform[str]:
    async def perform(session: AsyncSession, user: User, case_id: str, _: int | None, reference: str) -> Case:
        other = await case_id_for_reference(session, reference)
        if other is None:
            raise FormError("sibling_reference", "There is no case with that reference. Check it and try again")
        await records.link_sibling(session, user, case_id, other)
        return await _reread(pages, session, case_id)

    return perform


def _record_address(pages: CasePages, records: CaseRecordsService) -> Perform[AddressEntry]:
    async def perform(session: AsyncSession, user: User, case_id: str, _: int | None, entry: AddressEntry) -> Case:
        await records.record_address(session, user, case_id, entry)
        return await _reread(pages, session, case_id)

    return perform


def _acknowledge_ffd(pages: CasePages, records: CaseRecordsService) -> Perform[FfdEntry]:
    async def perform(session: AsyncSession, user: User, case_id: str, _: int | None, entry: FfdEntry) -> Case:
        await records.acknowledge_ffd(session, user, case_id, entry)
        return await _reread(pages, session, case_id)

    return perform


def add_case_form_pages(router: GuardedRouter, pages: CasePages) -> None:
    for form in case_forms(pages):
        add_action_form(router, pages, form)
