"""Read models for the officers' dashboard, case list and case page.

Lists read the plain columns `CaseRepository` copies from each case on save (names, UPN, date of birth, due
dates), never the `state` JSON, and page at the database. Visibility (App. E: officers see their own and their
team's cases) is applied here as a `Scope`, computed once per request.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, RowMapping, Select, and_, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.adapters.tables import cases, timeline, users
from services.casework.domain.access import Actor, Permission, Role
from services.casework.domain.vocabulary import Priority, Status, Track

PAGE_SIZE: Final = 25
OPEN: Final = "open"
ALL: Final = "all"
UNALLOCATED: Final = "unallocated"

_UPN = re.compile(r"[A-Z]\d{11}[0-9A-Z]")
_NUMERIC_DATE = re.compile(r"(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{2}|\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_WORDED_DATE = re.compile(r"(\d{1,2})(?:st|nd|rd|th)? ([a-z]+)\.? (\d{4})")
_MONTHS: Final = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_ESTABLISHMENT_NUMBER = re.compile(r"\d{7}")
_E = TypeVar("_E", bound=StrEnum)


# ---------------------------------------------------------------------- search


class SearchKind(StrEnum):
    NAME = "name"
    UPN = "upn"
    DATE_OF_BIRTH = "date_of_birth"


@dataclass(frozen=True)
class Search:
    """One search box: a UPN, a date of birth, or else the start of names."""

    kind: SearchKind
    name_tokens: tuple[str, ...] = ()
    upn: str | None = None
    date_of_birth: date | None = None


def parse_search(text: str) -> Search | None:
    """Recognise a UPN (13 characters, letter first) or a date of birth; anything else is a name search."""
    cleaned = " ".join(text.split())
    if not cleaned:
        return None
    compact = cleaned.replace(" ", "").upper()
    if _UPN.fullmatch(compact):
        return Search(SearchKind.UPN, upn=compact)
    born = parse_date_of_birth(cleaned)
    if born is not None:
        return Search(SearchKind.DATE_OF_BIRTH, date_of_birth=born)
    tokens = tuple(token for token in re.split(r"[\s,]+", cleaned.casefold()) if token)
    return Search(SearchKind.NAME, name_tokens=tokens)


def parse_date_of_birth(text: str) -> date | None:
    """27/11/2015, 27-11-15, 27.11.2015, 27 11 2015, 2015-11-27, 27 November 2015 or 27 Nov 2015."""
    cleaned = " ".join(text.casefold().replace(",", " ").split())
    if match := _ISO_DATE.fullmatch(cleaned):
        year, month, day = (int(part) for part in match.groups())
    elif match := _NUMERIC_DATE.fullmatch(cleaned):
        day, month, year = (int(part) for part in match.groups())
        if len(match.group(3)) == 2:
            # Children of compulsory school age were born this century.
            year += 2000
    elif (match := _WORDED_DATE.fullmatch(cleaned)) and match.group(2) in _MONTHS:
        day, month, year = int(match.group(1)), _MONTHS[match.group(2)], int(match.group(3))
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _starts(column: Any, value: str) -> ColumnElement[bool]:
    return column.like(_prefix(value), escape="\\")  # type: ignore[no-any-return]


def search_condition(search: Search) -> ColumnElement[bool]:
    if search.kind is SearchKind.UPN:
        return cases.c.upn == search.upn
    if search.kind is SearchKind.DATE_OF_BIRTH:
        return cases.c.date_of_birth == search.date_of_birth
    tokens = search.name_tokens
    if len(tokens) == 1:
        return or_(_starts(cases.c.given_name_key, tokens[0]), _starts(cases.c.family_name_key, tokens[0]))
    first, last, whole = tokens[0], tokens[-1], " ".join(tokens)
    return or_(
        and_(_starts(cases.c.given_name_key, first), _starts(cases.c.family_name_key, last)),
        and_(_starts(cases.c.family_name_key, first), _starts(cases.c.given_name_key, last)),
        _starts(cases.c.search_name, whole),
        _starts(cases.c.family_name_key, whole),
    )


# ---------------------------------------------------------------------- filters, sort and scope


@dataclass(frozen=True)
class CaseFilters:
    """The case list's GET form. `status` is a Status value, OPEN (every status but closed) or ALL."""

    status: str = OPEN
    priority: Priority | None = None
    track: Track | None = None
    officer: str | None = None
    school: str | None = None
    search_text: str = ""
    overdue_on: date | None = None

    @classmethod
    def from_query(cls, params: Mapping[str, str], today: date) -> "CaseFilters":
        """Lenient: a value that is not one of the options is ignored, as a bookmarked URL may be old.
        `overdue=yes` keeps the cases past their working due date as of `today`."""
        status = params.get("status", OPEN)
        if status not in {OPEN, ALL, *Status}:
            status = OPEN
        return cls(
            status=status,
            priority=_member(Priority, params.get("priority")),
            track=_member(Track, params.get("track")),
            officer=params.get("officer", "").strip() or None,
            school=" ".join(params.get("school", "").split()) or None,
            search_text=" ".join(params.get("q", "").split()),
            overdue_on=today if params.get("overdue") == "yes" else None,
        )

    @property
    def search(self) -> Search | None:
        return parse_search(self.search_text)

    def query_params(self) -> dict[str, str]:
        """The non-default filters, for links that keep them (sort headers, pagination)."""
        params = {
            "q": self.search_text,
            "status": self.status if self.status != OPEN else "",
            "priority": self.priority.value if self.priority else "",
            "track": self.track.value if self.track else "",
            "officer": self.officer or "",
            "school": self.school or "",
            "overdue": "yes" if self.overdue_on else "",
        }
        return {name: value for name, value in params.items() if value}

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.status == OPEN:
            conditions.append(cases.c.status != Status.CLOSED.value)
        elif self.status != ALL:
            conditions.append(cases.c.status == self.status)
        if self.priority is not None:
            conditions.append(cases.c.priority == self.priority.value)
        if self.track is not None:
            conditions.append(cases.c.track == self.track.value)
        if self.officer == UNALLOCATED:
            conditions.append(cases.c.officer_id.is_(None))
        elif self.officer is not None:
            conditions.append(cases.c.officer_id == self.officer)
        if self.school is not None:
            if _ESTABLISHMENT_NUMBER.fullmatch(self.school):
                conditions.append(cases.c.school_id == self.school)
            else:
                conditions.append(_starts(cases.c.school_name_key, self.school.casefold()))
        if self.overdue_on is not None:
            conditions.append(cases.c.working_due_date < self.overdue_on)
        search = self.search
        if search is not None:
            conditions.append(search_condition(search))
        return conditions


def _member(kind: type[_E], value: str | None) -> _E | None:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


class SortKey(StrEnum):
    DUE_DATE = "due_date"
    PRIORITY = "priority"
    OPENED = "opened"


@dataclass(frozen=True)
class Sort:
    key: SortKey = SortKey.DUE_DATE
    descending: bool = False

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> "Sort":
        return cls(_member(SortKey, params.get("sort")) or SortKey.DUE_DATE, params.get("order") == "desc")

    def columns(self) -> list[Any]:
        # Priority values sort P1, P2, P3 as text, the same order as Priority.urgency_rank.
        keys = {
            SortKey.DUE_DATE: [cases.c.due_date, cases.c.case_id],
            SortKey.PRIORITY: [cases.c.priority, cases.c.due_date, cases.c.case_id],
            SortKey.OPENED: [cases.c.opened_at, cases.c.case_id],
        }[self.key]
        return [column.desc() for column in keys] if self.descending else keys


@dataclass(frozen=True)
class Scope:
    """The cases a user may see: every case (`officer_ids` is None), or the cases of these officers."""

    officer_ids: frozenset[str] | None

    @property
    def sees_all(self) -> bool:
        return self.officer_ids is None

    def condition(self) -> ColumnElement[bool]:
        if self.officer_ids is None:
            return true()
        if not self.officer_ids:
            return false()
        return cases.c.officer_id.in_(sorted(self.officer_ids))


async def scope_for(session: AsyncSession, actor: Actor) -> Scope:
    """access.can_view_case as a filter: a case's team is its officer's team, so an officer sees the cases of
    every member of their team, their own included."""
    if actor.may(Permission.VIEW_ALL_CASES):
        return Scope(None)
    if not actor.may(Permission.VIEW_OWN_AND_TEAM_CASES):
        return Scope(frozenset())
    officer_ids = {actor.user_id}
    if actor.team_id is not None:
        team = await session.execute(select(users.c.user_id).where(users.c.team_id == actor.team_id))
        officer_ids |= set(team.scalars())
    return Scope(frozenset(officer_ids))


async def team_of(session: AsyncSession, user_id: str | None) -> str | None:
    """The team of a case's officer, which is the case's team (active or not, as in `scope_for`)."""
    if user_id is None:
        return None
    return (await session.execute(select(users.c.team_id).where(users.c.user_id == user_id))).scalar()


# ---------------------------------------------------------------------- rows


@dataclass(frozen=True)
class CaseRow:
    case_id: str
    reference: str
    given_name: str = field(repr=False)
    family_name: str = field(repr=False)
    date_of_birth: date | None = field(repr=False)
    upn: str | None = field(repr=False)
    school_name: str | None
    status: Status
    priority: Priority
    track: Track
    due_date: date
    working_due_date: date | None
    opened_at: datetime
    officer_id: str | None
    officer_name: str | None

    @property
    def child_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def is_overdue(self, today: date) -> bool:
        return self.working_due_date is not None and self.working_due_date < today


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def first_number(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.page_size + 1

    @property
    def last_number(self) -> int:
        return min(self.total, self.page * self.page_size)


_officers = users.alias("officer")
_ROW_COLUMNS: Final = (
    cases.c.case_id,
    cases.c.reference,
    cases.c.child["given_name"].astext.label("given_name"),
    cases.c.child["family_name"].astext.label("family_name"),
    cases.c.date_of_birth,
    cases.c.upn,
    cases.c.child["school_name"].astext.label("school_name"),
    cases.c.status,
    cases.c.priority,
    cases.c.track,
    cases.c.due_date,
    cases.c.working_due_date,
    cases.c.opened_at,
    cases.c.officer_id,
    _officers.c.display_name.label("officer_name"),
)


def _rows_query(*conditions: ColumnElement[bool]) -> Select[Any]:
    return (
        select(*_ROW_COLUMNS)
        .select_from(cases.outerjoin(_officers, _officers.c.user_id == cases.c.officer_id))
        .where(*conditions)
    )


def _row(row: Any) -> CaseRow:
    return CaseRow(
        case_id=str(row.case_id),
        reference=row.reference,
        given_name=row.given_name or "",
        family_name=row.family_name or "",
        date_of_birth=row.date_of_birth,
        upn=row.upn,
        school_name=row.school_name,
        status=Status(row.status),
        priority=Priority(row.priority),
        track=Track(row.track),
        due_date=row.due_date,
        working_due_date=row.working_due_date,
        opened_at=row.opened_at,
        officer_id=row.officer_id,
        officer_name=row.officer_name,
    )


async def _count(session: AsyncSession, *conditions: ColumnElement[bool]) -> int:
    return int((await session.execute(select(func.count()).select_from(cases).where(*conditions))).scalar_one())


async def case_list(
    session: AsyncSession, scope: Scope, filters: CaseFilters, sort: Sort, *, page: int, page_size: int = PAGE_SIZE
) -> CasePage:
    conditions = [scope.condition(), *filters.conditions()]
    total = await _count(session, *conditions)
    last_page = max(1, -(-total // page_size))
    page = min(max(page, 1), last_page)
    # Find the page's ids first, from an index alone where it can: PostgreSQL builds every row it skips with
    # OFFSET, so a deep page would otherwise read tens of thousands of rows' child details and officers.
    page_ids = (
        select(cases.c.case_id)
        .where(*conditions)
        .order_by(*sort.columns())
        .limit(page_size)
        .offset((page - 1) * page_size)
        .subquery()
    )
    query = _rows_query(cases.c.case_id.in_(select(page_ids.c.case_id))).order_by(*sort.columns())
    rows = [_row(row) for row in await session.execute(query)]
    return CasePage(rows, total, page, page_size)


# ---------------------------------------------------------------------- dashboard


@dataclass(frozen=True)
class OpenCounts:
    by_priority: dict[Priority, int]
    by_track: dict[Track, int]

    @property
    def total(self) -> int:
        return sum(self.by_priority.values())


@dataclass(frozen=True)
class OfficerWorkload:
    user_id: str
    display_name: str
    team_id: str | None
    open_cases: int


async def my_cases(session: AsyncSession, officer_id: str, limit: int) -> tuple[list[CaseRow], int]:
    """The officer's open cases, the next work due first; cases waiting on others come last."""
    conditions = [cases.c.officer_id == officer_id, cases.c.status != Status.CLOSED.value]
    query = (
        _rows_query(*conditions)
        .order_by(cases.c.working_due_date.asc().nulls_last(), cases.c.priority, cases.c.case_id)
        .limit(limit)
    )
    rows = [_row(row) for row in await session.execute(query)]
    return rows, await _count(session, *conditions)


async def unallocated_queue(session: AsyncSession, scope: Scope, limit: int) -> tuple[list[CaseRow], int]:
    """Cases awaiting allocation in allocation.queue_order's order: priority, due date, opened, case id."""
    conditions = [scope.condition(), cases.c.status == Status.TRIAGED.value]
    query = (
        _rows_query(*conditions)
        .order_by(cases.c.priority, cases.c.due_date, cases.c.opened_at, cases.c.case_id)
        .limit(limit)
    )
    rows = [_row(row) for row in await session.execute(query)]
    return rows, await _count(session, *conditions)


async def overdue(session: AsyncSession, scope: Scope, today: date, limit: int) -> tuple[list[CaseRow], int]:
    """Open cases whose working due date (allocation.working_due_date) has passed, the longest overdue first."""
    conditions = [scope.condition(), cases.c.working_due_date < today]
    query = (
        _rows_query(*conditions).order_by(cases.c.working_due_date, cases.c.priority, cases.c.case_id).limit(limit)
    )
    rows = [_row(row) for row in await session.execute(query)]
    return rows, await _count(session, *conditions)


async def open_counts(session: AsyncSession, scope: Scope) -> OpenCounts:
    """Open cases by priority and by track, in one pass."""
    query = (
        select(cases.c.priority, cases.c.track, func.count())
        .where(scope.condition(), cases.c.status != Status.CLOSED.value)
        .group_by(func.grouping_sets(cases.c.priority, cases.c.track))
    )
    by_priority = dict.fromkeys(Priority, 0)
    by_track = dict.fromkeys(Track, 0)
    for priority, track, count in await session.execute(query):
        if priority is not None and priority in by_priority:
            by_priority[Priority(priority)] = count
        elif track is not None and track in by_track:
            by_track[Track(track)] = count
    return OpenCounts(by_priority, by_track)


async def officer_workloads(session: AsyncSession) -> list[OfficerWorkload]:
    """Every active CME officer with their open cases, the lightest workload first (ties by name)."""
    # Two queries, not a join: the planner cannot estimate the role filter, and a nested loop would count the
    # open cases once per officer.
    open_cases = (
        select(cases.c.officer_id, func.count())
        .where(cases.c.status != Status.CLOSED.value, cases.c.officer_id.is_not(None))
        .group_by(cases.c.officer_id)
    )
    counts: dict[str, int] = {officer_id: count for officer_id, count in await session.execute(open_cases)}
    officers = await session.execute(
        select(users.c.user_id, users.c.display_name, users.c.team_id).where(
            users.c.active, users.c.roles.contains([Role.CME_OFFICER.value])
        )
    )
    workloads = [
        OfficerWorkload(user_id, display_name, team_id, counts.get(user_id, 0))
        for user_id, display_name, team_id in officers
    ]
    return sorted(workloads, key=lambda officer: (officer.open_cases, officer.display_name, officer.user_id))


async def officer_names(session: AsyncSession) -> list[tuple[str, str]]:
    """Every active CME officer's id and name, by name: the case list's officer filter."""
    query = (
        select(users.c.user_id, users.c.display_name)
        .where(users.c.active, users.c.roles.contains([Role.CME_OFFICER.value]))
        .order_by(users.c.display_name, users.c.user_id)
    )
    return [(user_id, name) for user_id, name in await session.execute(query)]


# ---------------------------------------------------------------------- case page


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    actor: str
    summary: str
    source: str


async def case_timeline(session: AsyncSession, case_id: str) -> list[TimelineEntry]:
    """Everything that happened to the case, from every service, newest first."""
    query = (
        select(timeline.c.at, timeline.c.kind, timeline.c.actor, timeline.c.summary, timeline.c.source)
        .where(timeline.c.case_id == UUID(case_id))
        .order_by(timeline.c.at.desc(), timeline.c.entry_id.desc())
    )
    return [TimelineEntry(*row) for row in await session.execute(query)]


async def display_names(session: AsyncSession, user_ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    query = select(users.c.user_id, users.c.display_name).where(users.c.user_id.in_(wanted))
    return {user_id: name for user_id, name in await session.execute(query)}


async def case_id_for_reference(session: AsyncSession, reference: str) -> str | None:
    query = select(cases.c.case_id).where(cases.c.reference == reference.strip().upper())
    case_id = (await session.execute(query)).scalar()
    return str(case_id) if case_id is not None else None


async def api_case_list(
    session: AsyncSession, scope: Scope, *, child_id: UUID | None, status: str | None, page: int, page_size: int
) -> tuple[list[RowMapping], int]:
    """One page of the JSON API's case list (whole rows, newest first) and how many cases match in all."""
    query = select(cases).where(scope.condition())
    if child_id is not None:
        query = query.where(cases.c.child_id == child_id)
    if status is not None:
        query = query.where(cases.c.status == status)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = (
        await session.execute(
            query.order_by(cases.c.opened_at.desc(), cases.c.case_id).limit(page_size).offset((page - 1) * page_size)
        )
    ).mappings().all()
    return list(rows), total


async def case_row(session: AsyncSession, case_id: UUID) -> RowMapping | None:
    return (await session.execute(select(cases).where(cases.c.case_id == case_id))).mappings().first()


async def timeline_rows(session: AsyncSession, case_id: UUID) -> list[RowMapping]:
    rows = await session.execute(
        select(timeline).where(timeline.c.case_id == case_id).order_by(timeline.c.at, timeline.c.entry_id)
    )
    return list(rows.mappings().all())
