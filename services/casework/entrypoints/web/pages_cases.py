"""The case list (filters, sort, pagination, search) and the case page (summary, checklist, contacts, timeline)."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from fastapi import Request
from fastapi.responses import Response

from services.casework.adapters.exchange_messages import messages_of_case
from services.casework.adapters.merges import merge_view
from services.casework.adapters.queries import (
    ALL,
    OPEN,
    UNALLOCATED,
    CaseFilters,
    Scope,
    Sort,
    SortKey,
    TimelineEntry,
    case_list,
    case_timeline,
    display_names,
    officer_names,
    scope_for,
)
from services.casework.adapters.repository import reference_for
from services.casework.domain.access import Actor, Permission
from services.casework.domain.case import Case, outstanding_checks
from services.casework.domain.checklist import CheckGroup, CheckType
from services.casework.domain.records import YES_NO_FLAGS, CheckRecord
from services.casework.domain.vocabulary import Priority, Status, Track
from services.casework.entrypoints.web.case_records_view import SUCCESS_MESSAGES as RECORD_MESSAGES
from services.casework.entrypoints.web.case_records_view import case_form_links
from services.casework.entrypoints.web.pages_common import (
    FLAG_LABELS,
    STATUS_LABELS,
    VIEW_CASES,
    CasePages,
    audit_list_view,
    case_transaction,
    label,
    pagination,
    signed_in_user,
    sort_header,
    today,
    valid_case_id,
)
from services.casework.entrypoints.web.pages_documents import case_returns_view
from services.casework.entrypoints.web.pages_tasks import case_tasks
from services.casework.entrypoints.web.security import GuardedRouter
from services.casework.entrypoints.web.templating import render

GROUP_TITLES: Final = {
    CheckGroup.EDUCATION: "Education",
    CheckGroup.SOCIAL_CARE: "Social care",
    CheckGroup.PARENTS_CARERS: "Parents and carers",
    CheckGroup.HOUSING_AND_ADDRESS: "Housing and address",
    CheckGroup.NHS: "NHS",
    CheckGroup.INTERNET_SOCIAL_MEDIA: "Internet and social media",
    CheckGroup.WHEREABOUTS_UNKNOWN: "Additional checks when whereabouts are unknown",
}
SUCCESS_MESSAGES: Final = {
    "allocated": "Case allocated",
    "check_recorded": "Check recorded",
    "contact_recorded": "Contact recorded",
    "note_added": "Note added",
    "escalated": "Case escalated",
    "added_to_agenda": "Case added to the next Missing Mondays agenda",
    "social_worker_liaised": "Liaison with the social worker recorded",
    "joint_enquiry_recorded": "Joint enquiry recorded",
    "child_located": "Child recorded as located",
    "closed": "Case closed",
    "outcome_recorded": "Outcome recorded. The case closes when the other local authority acknowledges the child",
}
_WORKING: Final = frozenset({Status.ALLOCATED, Status.ENQUIRIES, Status.OUTCOME_RECORDED})
_OFFICER_IN_SUMMARY: Final = re.compile(r"\bofficer (\S+)")


# ---------------------------------------------------------------------- case page view model


@dataclass(frozen=True)
class ChecklistLine:
    check: CheckType
    state: str  # "done", "not_applicable" or "outstanding"
    record: CheckRecord | None

    @property
    def label(self) -> str:
        return self.check.label


@dataclass(frozen=True)
class ChecklistGroup:
    group: CheckGroup
    title: str
    lines: list[ChecklistLine]


def checklist_groups(case: Case) -> list[ChecklistGroup]:
    """Every App. F check in form order, grouped, each with its latest record in this episode (if any)."""
    latest: dict[CheckType, CheckRecord] = {}
    for record in case.checks_this_episode():
        latest[record.check] = record
    groups: dict[CheckGroup, list[ChecklistLine]] = {group: [] for group in CheckGroup}
    for check in CheckType:
        found = latest.get(check)
        state = found.status.value if found is not None else "outstanding"
        groups[check.group].append(ChecklistLine(check, state, found))
    return [ChecklistGroup(group, GROUP_TITLES[group], lines) for group, lines in groups.items()]


def checklist_progress(case: Case) -> tuple[int, int]:
    """(checks recorded, checks required) for this episode; the whereabouts-unknown group counts when flagged."""
    required = len(CheckType) if case.flags.whereabouts_unknown else len(
        [check for check in CheckType if check.group is not CheckGroup.WHEREABOUTS_UNKNOWN]
    )
    return required - len(outstanding_checks(case)), required


@dataclass(frozen=True)
class ActionLink:
    key: str
    text: str
    href: str


def available_actions(case: Case, actor: Actor) -> list[ActionLink]:
    """The changes this user may make to this case in its current status (the domain has the final word)."""
    base = f"/cases/{case.case_id}"
    actions: list[ActionLink] = []
    if case.is_open and actor.may(Permission.ALLOCATE):
        text = "Reallocate" if case.officer_id else "Allocate"
        actions.append(ActionLink("allocate", text, f"{base}/allocate"))
    if case.status in _WORKING and actor.may(Permission.RECORD_CHECK):
        actions.append(ActionLink("record-check", "Record a check", f"{base}/record-check"))
    if case.status in _WORKING and actor.may(Permission.RECORD_CONTACT):
        actions.append(ActionLink("record-contact", "Record a contact", f"{base}/record-contact"))
    if case.is_open and case.flags.open_to_social_care and actor.may(Permission.RECORD_CONTACT):
        actions.append(
            ActionLink("liaise-with-social-worker", "Record liaison with the social worker",
                       f"{base}/liaise-with-social-worker")
        )
    if case.is_open and case.flags.joint_enquiries_required and actor.may(Permission.RECORD_CHECK):
        actions.append(ActionLink("record-joint-enquiry", "Record a joint enquiry", f"{base}/record-joint-enquiry"))
    if case.is_open and case.flags.whereabouts_unknown and actor.may(Permission.RECORD_CHECK):
        actions.append(
            ActionLink("record-child-located", "Record the child as located", f"{base}/record-child-located")
        )
    if actor.may(Permission.ADD_NOTE):
        actions.append(ActionLink("add-note", "Add a note", f"{base}/add-note"))
    if case.is_open and actor.may(Permission.ESCALATE):
        actions.append(ActionLink("escalate", "Escalate", f"{base}/escalate"))
    if case.is_open and not case.missing_mondays_pending and actor.may(Permission.CHAIR_MISSING_MONDAYS):
        actions.append(
            ActionLink("add-to-missing-mondays-agenda", "Add to the Missing Mondays agenda",
                       f"{base}/add-to-missing-mondays-agenda")
        )
    if case.is_open and actor.may(Permission.CLOSE_CASE):
        actions.append(ActionLink("close", "Close the case", f"{base}/close"))
    return actions


def raised_flags(case: Case) -> list[str]:
    return [FLAG_LABELS[name] for name in YES_NO_FLAGS if getattr(case.flags, name)]


def people_on(case: Case, entries: Iterable[TimelineEntry]) -> set[str]:
    """Every user id the case page names: its officer, who made each record, and the timeline's actors and the
    officers its summaries name."""
    ids: set[str] = set()
    for entry in entries:
        ids.add(entry.actor)
        ids.update(_OFFICER_IN_SUMMARY.findall(entry.summary))
    if case.officer_id:
        ids.add(case.officer_id)
    ids.update(record.officer_id for record in case.checks)
    ids.update(contact.officer_id for contact in case.contacts)
    ids.update(note.by for note in case.notes)
    ids.update(escalation.by for escalation in case.escalations)
    ids.update(liaison.by for liaison in case.social_worker_liaisons)
    if case.outcome is not None:
        ids.add(case.outcome.recorded_by)
    return ids


def timeline_text(summary: str, names: Mapping[str, str]) -> str:
    """A timeline summary with the officers it names by id named by name (summaries hold ids, never names)."""
    return _OFFICER_IN_SUMMARY.sub(lambda match: names.get(match.group(1), match.group(0)), summary)


# ---------------------------------------------------------------------- list filters


def officer_choices(
    workloads: Iterable[tuple[str, str]], scope: Scope, selected: str | None
) -> list[dict[str, object]]:
    choices: list[dict[str, object]] = [{"value": "", "text": "Any officer", "selected": selected is None}]
    if scope.sees_all:
        choices.append({"value": UNALLOCATED, "text": "Not allocated", "selected": selected == UNALLOCATED})
    for user_id, name in workloads:
        if scope.officer_ids is None or user_id in scope.officer_ids:
            choices.append({"value": user_id, "text": name, "selected": selected == user_id})
    return choices


def status_choices(selected: str) -> list[dict[str, object]]:
    pairs = [(OPEN, "Any open status"), (ALL, "Any status, including closed")]
    pairs += [(status.value, STATUS_LABELS[status]) for status in Status if status is not Status.REFERRED]
    return [{"value": value, "text": text, "selected": value == selected} for value, text in pairs]


def priority_choices(selected: Priority | None) -> list[dict[str, object]]:
    choices: list[dict[str, object]] = [{"value": "", "text": "Any priority", "selected": selected is None}]
    return choices + [{"value": p.value, "text": p.value, "selected": p is selected} for p in Priority]


def track_choices(selected: Track | None) -> list[dict[str, object]]:
    choices: list[dict[str, object]] = [{"value": "", "text": "Any track", "selected": selected is None}]
    return choices + [{"value": t.value, "text": label(t), "selected": t is selected} for t in Track]


def page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and int(text) > 0 else 1


# ---------------------------------------------------------------------- routes


def add_case_list_and_page(router: GuardedRouter, pages: CasePages) -> None:
    @router.page("/cases", access=VIEW_CASES)
    async def list_cases(request: Request) -> Response:
        user = signed_in_user(request)
        params = dict(request.query_params)
        on = today()
        filters = CaseFilters.from_query(params, on)
        sort = Sort.from_query(params)
        async with pages.session_factory.begin() as session:
            scope = await scope_for(session, user.actor)
            result = await case_list(session, scope, filters, sort, page=page_number(params.get("page")))
            officers = await officer_names(session)
            search = filters.search
            view = f"search_by_{search.kind.value}" if search else "case_list"
            await audit_list_view(session, pages.audit, user, result.rows, view)
        kept = filters.query_params()
        sorted_params = {**kept, "sort": sort.key.value, **({"order": "desc"} if sort.descending else {})}
        return render(
            pages.templates,
            request,
            "cases/list.html",
            active_nav="cases",
            today=on,
            result=result,
            filters=filters,
            search=search,
            sort=sort,
            head=[
                {"text": "Child"},
                {"text": "Date of birth"},
                {"text": "School"},
                sort_header(SortKey.PRIORITY, sort, kept),
                {"text": "Status"},
                sort_header(SortKey.DUE_DATE, sort, kept),
                sort_header(SortKey.OPENED, sort, kept),
                {"text": "Officer"},
            ],
            pagination=pagination(result, "/cases", sorted_params),
            status_choices=status_choices(filters.status),
            priority_choices=priority_choices(filters.priority),
            track_choices=track_choices(filters.track),
            officer_choices=officer_choices(officers, scope, filters.officer),
            sort_fields={"sort": sort.key.value, "order": "desc" if sort.descending else ""},
        )

    @router.page("/cases/{case_id}", access=VIEW_CASES)
    async def show_case(request: Request, case_id: str, success: str | None = None) -> Response:
        user = signed_in_user(request)
        case_id = valid_case_id(case_id)
        async with case_transaction(pages) as session:
            case = await pages.actions.view(session, user, case_id, page="case")
            entries = await case_timeline(session, case_id)
            returns = await case_returns_view(session, case_id)
            merge = await merge_view(session, case_id)
            open_tasks = await case_tasks(session, user, case_id)
            records = await pages.records.for_case(session, user, case) if pages.records else None
            messages = await messages_of_case(session, case_id)
            names = await display_names(session, people_on(case, entries))
        recorded, required = checklist_progress(case)
        return render(
            pages.templates,
            request,
            "cases/show.html",
            active_nav="cases",
            today=today(),
            case=case,
            merge=merge,
            child_name=f"{case.child.given_name} {case.child.family_name}",
            reference=reference_for(case.case_id),
            flags=raised_flags(case),
            actions=available_actions(case, user.actor)
            + [ActionLink(*link) for link in case_form_links(case, user.actor, records)],
            checklist=checklist_groups(case),
            checks_recorded=recorded,
            checks_required=required,
            contacts=sorted(case.contacts, key=lambda contact: contact.at, reverse=True),
            notes=sorted(case.notes, key=lambda note: note.at, reverse=True),
            escalations=sorted(case.escalations, key=lambda escalation: escalation.at, reverse=True),
            liaisons=sorted(case.social_worker_liaisons, key=lambda liaison: liaison.at, reverse=True),
            reviews=sorted(case.review_history, key=lambda record: record.signed_off_at, reverse=True),
            closure_prompt=case.closure_prompt(today()),
            timeline=[(entry, timeline_text(entry.summary, names)) for entry in entries],
            returns=returns,
            case_tasks=open_tasks,
            case_messages=messages,
            records=records,
            names=names,
            success=SUCCESS_MESSAGES.get(success or "") or RECORD_MESSAGES.get(success or ""),
        )
