"""What the dashboard, case list, case page and action forms share: their dependencies, labels and tags, dates
and times typed into forms, sort headers, pagination, and the audit of list views."""

import re
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, Final
from urllib.parse import urlencode
from uuid import UUID

from fastapi import HTTPException, Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.casework.adapters.accounts import User
from services.casework.adapters.audit import AuditedAction, AuditLog
from services.casework.adapters.queries import CasePage, CaseRow, Sort, SortKey
from services.casework.domain.access import Permission
from services.casework.domain.vocabulary import LABELS, Priority, Status
from services.casework.entrypoints.web.security import requires
from services.casework.entrypoints.web.templating import LONDON
from services.casework.service_layer.case_records import CaseRecordsService
from services.casework.service_layer.officer_actions import CaseNotFound, NotPermitted, OfficerActions

VIEW_CASES: Final = requires(Permission.VIEW_OWN_AND_TEAM_CASES, Permission.VIEW_ALL_CASES)
CONCURRENT_CHANGE: Final = "Someone else changed this case. Reload it and try again"

STATUS_LABELS: Final = {
    Status.REFERRED: "Referred",
    Status.TRIAGED: "Awaiting allocation",
    Status.ALLOCATED: "Allocated",
    Status.ENQUIRIES: "Enquiries",
    Status.OUTCOME_RECORDED: "Outcome recorded",
    Status.CLOSED: "Closed",
}
STATUS_TAGS: Final = {
    Status.REFERRED: "govuk-tag--grey",
    Status.TRIAGED: "govuk-tag--yellow",
    Status.ALLOCATED: "govuk-tag--blue",
    Status.ENQUIRIES: "govuk-tag--light-blue",
    Status.OUTCOME_RECORDED: "govuk-tag--purple",
    Status.CLOSED: "govuk-tag--grey",
}
PRIORITY_TAGS: Final = {Priority.P1: "govuk-tag--red", Priority.P2: "govuk-tag--orange", Priority.P3: "govuk-tag--grey"}
FLAG_LABELS: Final = {
    "cla": "Looked after (CLA)",
    "cp": "Child protection plan",
    "cin": "Child in need",
    "ehcp": "EHCP",
    "open_to_social_care": "Open to social care",
    "safeguarding_concern": "Safeguarding concern",
    "whereabouts_unknown": "Whereabouts unknown",
    "joint_enquiries_required": "Joint enquiries required",
}
SORT_LABELS: Final = {SortKey.DUE_DATE: "Due date", SortKey.PRIORITY: "Priority", SortKey.OPENED: "Opened"}

_TIME = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?")


@dataclass(frozen=True)
class CasePages:
    """The dependencies every case page and action needs."""

    templates: Jinja2Templates
    session_factory: async_sessionmaker[AsyncSession]
    actions: OfficerActions
    audit: AuditLog
    # The family, address history and Family Front Door prompt (absent only where pages are built without them).
    records: CaseRecordsService | None = None


def signed_in_user(request: Request) -> User:
    """The user the route's access rule already let in."""
    record = request.scope.get("cme_session")
    if record is None:
        raise HTTPException(status_code=403, detail="Sign in to use this service")
    user: User = record.user
    return user


def today() -> date:
    return datetime.now(LONDON).date()


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def label(value: StrEnum) -> str:
    """The plain-English label of a coded value, as the start of a sentence."""
    return sentence(LABELS.get(value, value.value.replace("_", " ")))


def plain_message(error: Exception, case_id: str) -> str:
    """A domain error as a sentence for an officer: it names rules and record ids, never a child."""
    return sentence(str(error).replace(f"case {case_id}", "this case"))


def valid_case_id(case_id: str) -> str:
    try:
        return str(UUID(case_id))
    except ValueError:
        raise HTTPException(status_code=404, detail="No such case") from None


@asynccontextmanager
async def case_transaction(pages: CasePages) -> AsyncIterator[AsyncSession]:
    """A transaction for a case page or action. A refusal still commits, so its audit entry is kept, then
    becomes a 403; an unknown case becomes a 404; anything else rolls back and propagates."""
    refusal: NotPermitted | None = None
    async with pages.session_factory.begin() as session:
        try:
            yield session
        except NotPermitted as error:
            refusal = error
        except CaseNotFound:
            raise HTTPException(status_code=404, detail="No such case") from None
    if refusal is not None:
        raise HTTPException(status_code=403, detail=str(refusal))


async def audit_list_view(
    session: AsyncSession, audit: AuditLog, user: User, rows: Iterable[CaseRow], view: str
) -> None:
    """One entry per case shown: a list row names the child, so showing it is a view of the child's record."""
    await audit.record_many(session, [
        AuditedAction(user.user_id, "case.list_viewed", "case", case_id, {"view": view})
        for case_id in dict.fromkeys(row.case_id for row in rows)
    ])


# ---------------------------------------------------------------------- forms


def form_text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


# C0 controls other than tab, line feed and carriage return, and DEL: nobody types them, PostgreSQL cannot store a
# NUL, and a pasted one is invisible, so the answer that holds one is named rather than failing the whole form.
_CONTROL_CHARACTERS: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARACTER_MESSAGE: Final = "Remove the hidden control characters from this answer (they may be pasted in)"


def control_character_errors(values: Mapping[str, str]) -> dict[str, str]:
    """An error for each answer holding a control character, by field name."""
    return {name: CONTROL_CHARACTER_MESSAGE for name, value in values.items() if _CONTROL_CHARACTERS.search(value)}


def without_control_characters(values: Mapping[str, str]) -> dict[str, str]:
    """The answers to show again beside those errors: the page cannot hold the characters themselves."""
    return {name: _CONTROL_CHARACTERS.sub("", value) for name, value in values.items()}


def form_version(form: Mapping[str, Any]) -> int | None:
    """The case version the form was shown with, so a change made meanwhile by someone else is caught."""
    value = form_text(form, "version")
    return int(value) if value.isdigit() else None


def parse_date_fields(day: str, month: str, year: str) -> date | None:
    """A GOV.UK date input's three fields as a date, or None when they do not make a real date."""
    if not (day.strip().isdigit() and month.strip().isdigit() and year.strip().isdigit()):
        return None
    if len(year.strip()) != 4:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def date_error(values: Mapping[str, str], prefix: str, what: str, latest: date) -> tuple[date | None, str | None]:
    """Read a date input named `prefix`-day/-month/-year; returns the date, or the GOV.UK-style error."""
    day, month, year = (values.get(f"{prefix}-{part}", "") for part in ("day", "month", "year"))
    if not (day or month or year):
        return None, f"Enter the {what}"
    parsed = parse_date_fields(day, month, year)
    if parsed is None:
        return None, f"The {what} must be a real date, for example 27 3 2026"
    if parsed > latest:
        return None, f"The {what} must be today or in the past"
    return parsed, None


def parse_time_of_day(text: str) -> time | None:
    """14:30, 14.30, 2:30pm, 2pm or 9am; None when it is not a time."""
    match = _TIME.fullmatch(text.strip().casefold().replace(" ", ""))
    if match is None:
        return None
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def local_moment(on: date, at: time) -> datetime:
    return datetime.combine(on, at, tzinfo=LONDON)


# ---------------------------------------------------------------------- lists


def link(path: str, params: Mapping[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def sort_header(key: SortKey, current: Sort, params: Mapping[str, str]) -> dict[str, Any]:
    """A govukTable header that sorts the list by `key` when followed, with aria-sort on the sorted column.

    Following the sorted column's link reverses its order; sorting starts a new first page.
    """
    descending = key is current.key and not current.descending
    target = {**params, "sort": key.value}
    target.pop("page", None)
    if descending:
        target["order"] = "desc"
    else:
        target.pop("order", None)
    state = "none"
    if key is current.key:
        state = "descending" if current.descending else "ascending"
    anchor = Markup('<a class="govuk-link app-sort-link" href="{}">{}</a>').format(
        link("/cases", target), SORT_LABELS[key]
    )
    return {"html": anchor, "attributes": {"aria-sort": state}}


def pagination(result: CasePage, path: str, params: Mapping[str, str]) -> dict[str, Any] | None:
    """govukPagination options: the first, last, current and neighbouring pages, with ellipses between."""
    if result.pages <= 1:
        return None

    def href(number: int) -> str:
        return link(path, {**params, "page": str(number)} if number > 1 else dict(params))

    shown = sorted({1, result.pages, result.page - 1, result.page, result.page + 1} & set(range(1, result.pages + 1)))
    items: list[dict[str, Any]] = []
    previous = 0
    for number in shown:
        if number - previous > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": href(number), "current": number == result.page})
        previous = number
    options: dict[str, Any] = {"items": items}
    if result.page > 1:
        options["previous"] = {"href": href(result.page - 1)}
    if result.page < result.pages:
        options["next"] = {"href": href(result.page + 1)}
    return options


# ---------------------------------------------------------------------- template helpers


def date_only(value: datetime | date | None) -> str:
    """A moment as its day in the UK, "27 November 2026"; dates pass through."""
    if value is None:
        return ""
    day = value.astimezone(LONDON).date() if isinstance(value, datetime) else value
    return f"{day.day} {day:%B %Y}"


def actor_name(actor: str, names: Mapping[str, str]) -> str:
    """Who made a timeline entry: a user's name, or the service or process that made it."""
    return names.get(actor) or {"system": "Casework", "review": "Missing Mondays review"}.get(actor, actor)


def register_template_helpers(templates: Jinja2Templates) -> None:
    templates.env.filters["date_only"] = date_only
    templates.env.globals.update(
        label=label,
        status_label=lambda status: STATUS_LABELS[Status(status)],
        status_tag_class=lambda status: STATUS_TAGS[Status(status)],
        priority_tag_class=lambda priority: PRIORITY_TAGS[Priority(priority)],
        actor_name=actor_name,
    )
