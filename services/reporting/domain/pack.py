"""The weekly Missing Mondays pack (policy §8.2, §8.3), counted from the read model's facts. Pure: no I/O.

A week runs from Monday 00:00 to the next Monday 00:00, Europe/London time. Everything "at the end of the week" is
as it stood at that instant: a case is open then when it was opened before it and not closed before it, with the
status and priority of its latest change before it. So the pack for a past week is the same whenever it is made.

Definitions, each next to the code that counts it:
- new referrals: referrals received in the week, by source (the kind of return or referral) and by leaving ground;
- open cases: open at the end of the week, by priority, track and status;
- past due: open at the end of the week with a due date before the end of the week;
- whereabouts unknown: open at the end of the week, recorded whereabouts unknown and not located by then;
- located: a whereabouts-unknown child recorded as located in the week; "how" is what followed by the end of the
  week (the case's closure reason, or "still open"); time to locate is the days from whereabouts unknown to located;
- closures: cases closed in the week, by reason;
- escalations: escalations made in the week, by kind (Missing Mondays, Fair Access Protocol, School Attendance
  Order, section 19, CCAS);
- trends: the same week-by-week counts for the 52 weeks ending with this one (the page shows the last 12 too).

The counts-only version, for sharing outside the team, leaves out the agenda (the only section naming children)
and shows counts from 1 to 4 as "<5" (`suppressed`), and a median time to locate only when 5 or more were located.
"""

from bisect import bisect_left
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
TREND_WEEKS = 52
SHORT_TREND_WEEKS = 12
SMALL_NUMBER_LIMIT = 5
NO_GROUND = "none given"
STILL_OPEN = "still open"
OPENED_STATUS = "triaged"  # a case's status from its opening until its first change

ESCALATION_LABELS: Mapping[str, str] = {
    "missing_mondays": "Missing Mondays",
    "fap": "Fair Access Protocol",
    "sao": "School Attendance Order",
    "s19": "Section 19",
    "ccas": "CCAS",
}


def week_of(day: date) -> date:
    """The Monday of the week `day` falls in."""
    return day - timedelta(days=day.weekday())


def week_bounds(monday: date) -> tuple[datetime, datetime]:
    """The instants a week starts and ends (exclusive), in Europe/London time."""
    start = datetime.combine(monday, time(), tzinfo=LONDON)
    end = datetime.combine(monday + timedelta(days=7), time(), tzinfo=LONDON)
    return start, end


def suppressed(count: int) -> str:
    """Small-number suppression for the counts-only version: 1 to 4 shown as "<5" (0 stays 0)."""
    return "<5" if 0 < count < SMALL_NUMBER_LIMIT else str(count)


@dataclass(frozen=True)
class ReferralFact:
    received_at: datetime
    kind: str
    ground: str | None


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    status: str
    priority: str | None


@dataclass(frozen=True)
class CaseFact:
    case_id: str
    opened_at: datetime
    priority: str
    track: str
    due_date: date | None = None
    whereabouts_unknown_since: datetime | None = None
    located_at: datetime | None = None
    closed_at: datetime | None = None
    close_reason: str | None = None
    changes: tuple[StatusChange, ...] = ()

    def open_at(self, instant: datetime) -> bool:
        return self.opened_at < instant and (self.closed_at is None or self.closed_at >= instant)

    def whereabouts_unknown_at(self, instant: datetime) -> bool:
        return (
            self.open_at(instant)
            and self.whereabouts_unknown_since is not None
            and self.whereabouts_unknown_since < instant
            and (self.located_at is None or self.located_at >= instant)
        )

    def state_at(self, instant: datetime) -> tuple[str, str]:
        """(status, priority) after the latest change before `instant`."""
        status, priority = OPENED_STATUS, self.priority
        for change in sorted(self.changes, key=lambda each: each.at):
            if change.at >= instant:
                break
            status = change.status
            priority = change.priority or priority
        return status, priority


@dataclass(frozen=True)
class EscalationFact:
    escalated_at: datetime
    kind: str


@dataclass(frozen=True)
class AgendaItem:
    """One review on the week's Missing Mondays agenda. Personal data: only the team's pack shows it."""

    review_id: str
    case_id: str
    meeting_date: date
    child_name: str
    date_of_birth: date | None
    step: str
    risk_band: str | None


@dataclass(frozen=True)
class Located:
    how: str
    count: int
    median_days: float | None


@dataclass(frozen=True)
class WeekTrend:
    week_start: date
    new_referrals: int
    opened: int
    closed: int
    open_at_end: int
    whereabouts_unknown_at_end: int


@dataclass(frozen=True)
class Facts:
    """Everything the pack for one week reads: cases open at any time in the trend window, referrals and
    escalations made in it, and the week's agenda."""

    referrals: Sequence[ReferralFact]
    cases: Sequence[CaseFact]
    escalations: Sequence[EscalationFact]
    agenda: Sequence[AgendaItem] = ()


@dataclass(frozen=True)
class Pack:
    week_start: date
    new_referrals: int
    referrals_by_source: dict[str, int]
    referrals_by_ground: dict[str, int]
    open_cases: int
    open_by_priority: dict[str, int]
    open_by_track: dict[str, int]
    open_by_status: dict[str, int]
    past_due: int
    whereabouts_unknown: int
    located: tuple[Located, ...]
    closures_by_reason: dict[str, int]
    escalations_by_kind: dict[str, int]
    trend: tuple[WeekTrend, ...]
    agenda: tuple[AgendaItem, ...] = field(default=())

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    @property
    def located_total(self) -> int:
        return sum(each.count for each in self.located)

    @property
    def closures(self) -> int:
        return sum(self.closures_by_reason.values())

    @property
    def escalations(self) -> int:
        return sum(self.escalations_by_kind.values())

    @property
    def short_trend(self) -> tuple[WeekTrend, ...]:
        return self.trend[-SHORT_TREND_WEEKS:]


def _sorted_counts(counter: Counter[str]) -> dict[str, int]:
    """Largest first, then by name, so the tables and CSV files read the same every time."""
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def _in(instant: datetime | None, start: datetime, end: datetime) -> bool:
    return instant is not None and start <= instant < end


def build_pack(week_start: date, facts: Facts) -> Pack:
    if week_start.weekday() != 0:
        raise ValueError("a pack's week starts on a Monday")
    start, end = week_bounds(week_start)
    referrals = [each for each in facts.referrals if _in(each.received_at, start, end)]
    open_cases = [case for case in facts.cases if case.open_at(end)]
    states = [case.state_at(end) for case in open_cases]
    end_day = week_start + timedelta(days=7)
    located_counts: Counter[str] = Counter()
    located_days: dict[str, list[float]] = {}
    for case in facts.cases:
        if case.located_at is not None and _in(case.located_at, start, end):
            closed_by_end = case.closed_at is not None and case.closed_at < end
            how = (case.close_reason or "closed") if closed_by_end else STILL_OPEN
            located_counts[how] += 1
            if case.whereabouts_unknown_since is not None:
                days = (case.located_at - case.whereabouts_unknown_since).total_seconds() / 86_400
                located_days.setdefault(how, []).append(days)
    located = tuple(
        Located(how, count, _median(located_days.get(how, [])))
        for how, count in _sorted_counts(located_counts).items()
    )
    return Pack(
        week_start=week_start,
        new_referrals=len(referrals),
        referrals_by_source=_sorted_counts(Counter(each.kind for each in referrals)),
        referrals_by_ground=_sorted_counts(Counter(each.ground or NO_GROUND for each in referrals)),
        open_cases=len(open_cases),
        open_by_priority=dict(sorted(Counter(priority for _, priority in states).items())),
        open_by_track=_sorted_counts(Counter(case.track for case in open_cases)),
        open_by_status=_sorted_counts(Counter(status for status, _ in states)),
        past_due=sum(1 for case in open_cases if case.due_date is not None and case.due_date < end_day),
        whereabouts_unknown=sum(1 for case in open_cases if case.whereabouts_unknown_at(end)),
        located=located,
        closures_by_reason=_sorted_counts(
            Counter(case.close_reason or "unknown" for case in facts.cases if _in(case.closed_at, start, end))
        ),
        escalations_by_kind=_sorted_counts(
            Counter(each.kind for each in facts.escalations if _in(each.escalated_at, start, end))
        ),
        trend=weekly_trend(week_start, facts),
        agenda=tuple(sorted(facts.agenda, key=lambda item: (item.meeting_date, item.child_name, item.review_id))),
    )


def _median(values: list[float]) -> float | None:
    return round(median(values), 1) if values else None


def _count_before(ordered: Sequence[datetime], instant: datetime) -> int:
    return bisect_left(ordered, instant)


def weekly_trend(last_week: date, facts: Facts, weeks: int = TREND_WEEKS) -> tuple[WeekTrend, ...]:
    """Week-by-week counts for the `weeks` weeks ending with `last_week`. Counting by bisecting sorted instants
    keeps 52 weeks over 100,000 cases to a few sorts rather than 52 passes over every case."""
    opened = sorted(case.opened_at for case in facts.cases)
    closed = sorted(case.closed_at for case in facts.cases if case.closed_at is not None)
    unknown_from = sorted(
        case.whereabouts_unknown_since for case in facts.cases if case.whereabouts_unknown_since is not None
    )
    # A whereabouts-unknown spell ends when the child is located or the case closes, whichever is first.
    unknown_until = sorted(
        min(each for each in (case.located_at, case.closed_at) if each is not None)
        for case in facts.cases
        if case.whereabouts_unknown_since is not None and (case.located_at or case.closed_at) is not None
    )
    received = sorted(each.received_at for each in facts.referrals)
    trend = []
    for back in range(weeks - 1, -1, -1):
        monday = last_week - timedelta(weeks=back)
        start, end = week_bounds(monday)
        trend.append(
            WeekTrend(
                week_start=monday,
                new_referrals=_count_before(received, end) - _count_before(received, start),
                opened=_count_before(opened, end) - _count_before(opened, start),
                closed=_count_before(closed, end) - _count_before(closed, start),
                open_at_end=_count_before(opened, end) - _count_before(closed, end),
                whereabouts_unknown_at_end=_count_before(unknown_from, end) - _count_before(unknown_until, end),
            )
        )
    return tuple(trend)


@dataclass(frozen=True)
class PackTable:
    """One table of the pack, as the page, the PDF and the CSV files all show it."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    counts_from: int = 1  # the first column holding a count (suppressed in the counts-only version)
    personal: bool = False


def _count_table(name: str, title: str, label: str, counts: Mapping[str, int]) -> PackTable:
    return PackTable(name, title, (label, "Cases"), tuple((key, value) for key, value in counts.items()))


def pack_tables(pack: Pack, *, counts_only: bool = False) -> tuple[PackTable, ...]:
    """The pack as tables, in the order the page shows them. The counts-only version has no agenda and suppresses
    small numbers (the caller applies `suppressed` to the count columns)."""
    tables = [
        PackTable(
            "headlines",
            "Headline figures",
            ("Figure", "Count"),
            (
                ("New referrals", pack.new_referrals),
                ("Open cases at the end of the week", pack.open_cases),
                ("Open cases past their due date", pack.past_due),
                ("Whereabouts unknown", pack.whereabouts_unknown),
                ("Located this week", pack.located_total),
                ("Closed this week", pack.closures),
                ("Escalations this week", pack.escalations),
            ),
        ),
        _count_table("referrals_by_source", "New referrals by source", "Source", pack.referrals_by_source),
        _count_table("referrals_by_ground", "New referrals by leaving ground", "Ground", pack.referrals_by_ground),
        _count_table("open_by_priority", "Open cases by priority", "Priority", pack.open_by_priority),
        _count_table("open_by_track", "Open cases by track", "Track", pack.open_by_track),
        _count_table("open_by_status", "Open cases by status", "Status", pack.open_by_status),
        PackTable(
            "located",
            "Located this week, and how",
            ("How", "Children", "Median days to locate"),
            tuple(
                (
                    each.how,
                    each.count,
                    "" if each.median_days is None or (counts_only and each.count < SMALL_NUMBER_LIMIT)
                    else each.median_days,
                )
                for each in pack.located
            ),
        ),
        _count_table("closures_by_reason", "Closures by reason", "Reason", pack.closures_by_reason),
        _count_table(
            "escalations_by_kind",
            "Escalations by kind",
            "Kind",
            {ESCALATION_LABELS.get(kind, kind): count for kind, count in pack.escalations_by_kind.items()},
        ),
        PackTable(
            "trend",
            f"Trend over the last {TREND_WEEKS} weeks",
            ("Week beginning", "New referrals", "Opened", "Closed", "Open at end", "Whereabouts unknown at end"),
            tuple(
                (
                    each.week_start.isoformat(), each.new_referrals, each.opened, each.closed, each.open_at_end,
                    each.whereabouts_unknown_at_end,
                )
                for each in pack.trend
            ),
        ),
    ]
    if not counts_only:
        tables.insert(
            7,
            PackTable(
                "agenda",
                "Missing Mondays agenda",
                ("Meeting", "Child", "Date of birth", "Review step", "Risk band"),
                tuple(
                    (
                        item.meeting_date.isoformat(), item.child_name,
                        item.date_of_birth.isoformat() if item.date_of_birth else "", item.step,
                        item.risk_band or "",
                    )
                    for item in pack.agenda
                ),
                counts_from=99,
                personal=True,
            ),
        )
    return tuple(tables)


def suppress_table(table: PackTable) -> PackTable:
    """The table with every count shown as the counts-only version shows it."""
    last_count = 2 if table.name == "located" else len(table.columns)
    rows = tuple(
        tuple(
            suppressed(value) if table.counts_from <= index < last_count and isinstance(value, int) else value
            for index, value in enumerate(row)
        )
        for row in table.rows
    )
    return PackTable(table.name, table.title, table.columns, rows, table.counts_from, table.personal)


def facts_window(week_start: date, weeks: int = TREND_WEEKS) -> tuple[datetime, datetime]:
    """The instants a pack's facts must cover: from the start of its earliest trend week to the end of the week."""
    first = week_start - timedelta(weeks=weeks - 1)
    return week_bounds(first)[0], week_bounds(week_start)[1]
