"""Schools' reporting habits and off-rolling signals, for the lead officer and managers (policy App. E, App. C;
School Attendance (Pupil Registration) (England) Regulations 2024 reg 13; DOMAIN.md "Reporting").

Per school and term (`TermHabits`):

- new-pupil (joiner) returns made within the 5-day rule, and late ones: a return is on time when it was
  submitted no later than the 5th school day after the pupil's start date (App. C: "within five days of when a
  pupil's name is added to ... the admission register"). Leaver returns are timed the same way from the leaving
  date, as App. C asks of deletions too.
- the App. C standard-transition exemption: no joiner return is due for a pupil who joins the first year the
  school provides at the start of the school year (start date from 1 August to 30 September), and no leaver
  return for one who leaves from the school's final year at the end of the school year (leaving date in June,
  July or August) unless to home education or to an unknown destination (App. C, DOMAIN.md). Such returns are
  counted apart, never as late. A school's first and final years are given (`year_ranges`) or, failing that,
  taken from its own returns: the lowest NC year of its accepted joiner returns and the highest of all its
  accepted returns.
- deletions without a return: an accepted joiner return at another school naming this school as the previous
  one, not at a standard transition, with no accepted leaver return from this school for that child dated in the
  365 days before the new start date up to 30 days after it. Only schools that send returns to this authority are
  held to it (a previous school elsewhere reports to its own authority).
- leavers by ground (the 2024 coding where there is one), and returns rejected with the problems' fields.

Signals over a period (`Signal`, each with a sentence giving its numbers and threshold; `Thresholds`):

- late new-pupil returns: more than 25% of a school's due joiner returns late, and at least 3 late;
- leavers to home education from Years 10-11 above the area's rate: the share of a school's leavers who left
  Year 10 or 11 for home education (8(1)(d) / 9(1)(f)) more than twice the same share across the area's other
  schools, and at least 5 such leavers;
- leavers clustered before a census day: the share of a school's leavers whose leaving date falls in the 10
  school days before a census day more than twice the share of the period's school days that lie in those
  windows, and at least 5 such leavers;
- repeated whereabouts-unknown deletions: at least 3 leavers on a whereabouts-unknown ground (8(1)(f), 8(1)(h),
  9(1)(h), 9(1)(i));
- permanent exclusions without the day-6 provision: at least 1 exclusion whose alternative provision did not
  start by the sixth school day of the exclusion (none recorded, or later).

Schools are ranked by the number of signals, then their total severity (each signal's observed figure over its
threshold). Pure functions of the facts; the only data they read is England's bank holidays (the `holidays`
library) and, when given, the authority's term dates.
"""

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from uuid import UUID

import holidays

from contracts.reference.leaving_grounds import GROUNDS_BY_CODE
from services.reporting.domain.dfe_return import Term, census_days_between
from services.reporting.domain.facts import ExclusionFact, ReturnType, SubmissionFact

EHE_GROUNDS = frozenset({"8(1)(d)", "9(1)(f)"})
"""Deletion because the parent has notified the school in writing that the child will be home educated."""
DESTINATION_UNKNOWN_GROUNDS = frozenset({"8(1)(e)", "9(1)(g)"})
WHEREABOUTS_UNKNOWN_GROUNDS = frozenset(code for code, ground in GROUNDS_BY_CODE.items() if ground.whereabouts_unknown)
NO_GROUND = "none given"

_SATURDAY = 5
_END_OF_YEAR_MONTHS = frozenset({6, 7, 8})
_DELETION_LOOKBACK = timedelta(days=365)
_DELETION_GRACE = timedelta(days=30)
_LOOK_BACK = timedelta(days=366)
_YEARS_10_11 = frozenset({10, 11})


class SchoolDays:
    """School days: weekdays that are not England bank holidays and, when term dates are given, fall in a term.

    Without term dates the school holidays count as school days, as in triage's calendar: deadlines come out
    earlier, and census windows shorter in calendar time. Counting is by a prefix sum over a day range grown on
    demand, so each question is a lookup: the rules ask it once per return.
    """

    def __init__(self, term_dates: Sequence[tuple[date, date]] = ()) -> None:
        self._terms = tuple(sorted(term_dates))
        if any(last < first for first, last in self._terms):
            raise ValueError("a term cannot end before it starts")
        self._bank_holidays = holidays.country_holidays("GB", subdiv="ENG")
        self._first = date(2000, 1, 1)
        self._prefix: list[int] = []
        self._extend_to(date(2000, 1, 1), date(2031, 12, 31))

    def _in_term(self, day: date) -> bool:
        return not self._terms or any(first <= day <= last for first, last in self._terms)

    def is_school_day(self, day: date) -> bool:
        return day.weekday() < _SATURDAY and day not in self._bank_holidays and self._in_term(day)

    def _extend_to(self, first: date, last: date) -> None:
        first = min(first, self._first) if self._prefix else first
        last_known = self._first + timedelta(days=len(self._prefix) - 1) if self._prefix else first
        last = max(last, last_known)
        if self._prefix and first == self._first and last == last_known:
            return
        self._first = first
        prefix: list[int] = []
        running = 0
        for offset in range((last - first).days + 1):
            running += self.is_school_day(first + timedelta(days=offset))
            prefix.append(running)
        self._prefix = prefix

    def _index(self, day: date) -> int:
        # Grow by whole years so a history running past the range costs one rebuild, not one per day.
        if day < self._first:
            self._extend_to(date(day.year - 1, 1, 1), day)
        elif (day - self._first).days >= len(self._prefix):
            self._extend_to(self._first, date(day.year + 1, 12, 31))
        return (day - self._first).days

    def count(self, first: date, last: date) -> int:
        """School days from `first` to `last`, both inclusive (0 when `last` is before `first`)."""
        if last < first:
            return 0
        end = self._index(last)
        start = self._index(first)
        return self._prefix[end] - (self._prefix[start - 1] if start else 0)

    def add(self, start: date, school_days: int) -> date:
        """The `school_days`-th school day after `start` (`start` never counts); `start` itself when zero."""
        if school_days < 0:
            raise ValueError("school_days must not be negative")
        if school_days == 0:
            return start
        base = self._index(start)
        target = self._prefix[base] + school_days
        position = bisect_left(self._prefix, target, lo=base + 1)
        while position == len(self._prefix):
            if self._terms and self._first + timedelta(days=len(self._prefix)) > self._terms[-1][1]:
                raise ValueError("the term dates end before the deadline: extend them")
            self._index(self._first + timedelta(days=len(self._prefix) + 366))
            position = bisect_left(self._prefix, target, lo=base + 1)
        return self._first + timedelta(days=position)

    def window_before(self, day: date, school_days: int) -> tuple[date, date]:
        """The first and last of the `school_days` school days before `day` (`day` excluded).

        Looks back at most a year: with term dates that begin later, the window is what the terms hold, and empty
        (first after last) when they hold none, so a census before the first term never loops forever.
        """
        limit = day - _LOOK_BACK
        last = day - timedelta(days=1)
        while not self.is_school_day(last):
            if last <= limit:
                return day, day - timedelta(days=1)
            last -= timedelta(days=1)
        first = last
        found = 1
        probe = last
        while found < school_days and probe > limit:
            probe -= timedelta(days=1)
            if self.is_school_day(probe):
                first = probe
                found += 1
        return first, last


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a signal is raised. Defaults as stated in the module's docstring."""

    return_deadline_school_days: int = 5
    late_share: float = 0.25
    late_min: int = 3
    ehe_rate_multiple: float = 2.0
    ehe_min: int = 5
    census_window_school_days: int = 10
    census_share_multiple: float = 2.0
    census_min: int = 5
    whereabouts_unknown_min: int = 3
    exclusion_provision_school_day: int = 6
    exclusions_min: int = 1


class Timeliness(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    STANDARD_TRANSITION = "standard_transition"


@dataclass(frozen=True, slots=True)
class TermHabits:
    """One school's returns in one term (joiners and leavers by their start or leaving date; rejections by the day
    they were submitted)."""

    school_id: str
    term: Term
    joiners_on_time: int = 0
    joiners_late: int = 0
    joiners_standard_transition: int = 0
    leavers_on_time: int = 0
    leavers_late: int = 0
    leavers_standard_transition: int = 0
    deletions_without_return: int = 0
    leavers_by_ground: tuple[tuple[str, int], ...] = ()
    rejected: int = 0
    rejected_by_problem: tuple[tuple[str, int], ...] = ()

    @property
    def joiners_due(self) -> int:
        return self.joiners_on_time + self.joiners_late

    @property
    def leavers(self) -> int:
        return self.leavers_on_time + self.leavers_late + self.leavers_standard_transition


class SignalKind(StrEnum):
    LATE_NEW_PUPIL_RETURNS = "late_new_pupil_returns"
    EHE_LEAVERS_YEARS_10_11 = "ehe_leavers_years_10_11"
    LEAVERS_BEFORE_CENSUS = "leavers_before_census"
    WHEREABOUTS_UNKNOWN_DELETIONS = "whereabouts_unknown_deletions"
    EXCLUSIONS_WITHOUT_DAY6_PROVISION = "exclusions_without_day6_provision"


SIGNAL_TITLES: Mapping[SignalKind, str] = {
    SignalKind.LATE_NEW_PUPIL_RETURNS: "Late new-pupil returns",
    SignalKind.EHE_LEAVERS_YEARS_10_11: "Leavers to home education from Years 10 and 11",
    SignalKind.LEAVERS_BEFORE_CENSUS: "Leavers clustered before a census day",
    SignalKind.WHEREABOUTS_UNKNOWN_DELETIONS: "Repeated whereabouts-unknown deletions",
    SignalKind.EXCLUSIONS_WITHOUT_DAY6_PROVISION: "Permanent exclusions without provision from day 6",
}


@dataclass(frozen=True, slots=True)
class Signal:
    school_id: str
    kind: SignalKind
    count: int
    """The returns, leavers or exclusions behind the signal."""
    severity: float
    """The observed figure over its threshold: above 1 whenever the signal is raised."""
    explanation: str

    @property
    def title(self) -> str:
        return SIGNAL_TITLES[self.kind]

    @property
    def off_rolling(self) -> bool:
        """Whether the signal suggests off-rolling (the rest); late returns are a reporting-habit concern."""
        return self.kind is not SignalKind.LATE_NEW_PUPIL_RETURNS


@dataclass(frozen=True, slots=True)
class SchoolView:
    """One school's page: its terms in order, its signals and its totals over the period (`totals.term` is the
    period's first term; its counts are the whole period's)."""

    school_id: str
    terms: tuple[TermHabits, ...]
    signals: tuple[Signal, ...]
    totals: TermHabits
    rank: int | None = None
    """Its place in the ranked list; None when it raised no signal."""


@dataclass(frozen=True, slots=True)
class RankedSchool:
    rank: int
    school_id: str
    signals: tuple[Signal, ...]

    @property
    def severity(self) -> float:
        return sum(signal.severity for signal in self.signals)


@dataclass(frozen=True, slots=True)
class SchoolsReport:
    first: date
    last: date
    ranked: tuple[RankedSchool, ...]
    """Schools with at least one signal, most signals first, then by total severity, then by id."""
    schools: Mapping[str, SchoolView] = field(default_factory=dict)
    area_ehe_years_10_11_share: float = 0.0
    """Across every school: leavers from Years 10-11 to home education over all leavers."""
    census_window_share: float = 0.0
    """The share of the period's school days that lie in the windows before a census day."""


# -------------------------------------------------------------------------------------------------- the rules


def ground_label(code: str) -> str:
    """A leavers-by-ground key as the page shows it: "9(1)(g): moved away, no school or school unknown, ..."."""
    ground = GROUNDS_BY_CODE.get(code)
    return f"{code}: {ground.description}" if ground else code


def _percent(value: float) -> str:
    return f"{value:.0%}"


def _ground_key(fact: SubmissionFact) -> str:
    return fact.ground_2024 or fact.ground or NO_GROUND


def is_ehe_leaver(fact: SubmissionFact) -> bool:
    return fact.ground in EHE_GROUNDS or fact.ground_2024 in EHE_GROUNDS


def is_whereabouts_unknown_leaver(fact: SubmissionFact) -> bool:
    return fact.ground in WHEREABOUTS_UNKNOWN_GROUNDS or fact.ground_2024 in WHEREABOUTS_UNKNOWN_GROUNDS


def infer_year_ranges(submissions: Iterable[SubmissionFact]) -> dict[str, tuple[int, int]]:
    """Each school's (first, final) NC year from its accepted returns: the lowest year of its joiners, the highest
    of all its returns. Schools with no joiner year are left out (no exemption can be judged for them)."""
    lowest: dict[str, int] = {}
    highest: dict[str, int] = {}
    for fact in submissions:
        if fact.rejected or fact.nc_year is None:
            continue
        if fact.return_type is ReturnType.JOINER:
            lowest[fact.school_id] = min(fact.nc_year, lowest.get(fact.school_id, fact.nc_year))
        highest[fact.school_id] = max(fact.nc_year, highest.get(fact.school_id, fact.nc_year))
    return {school: (low, max(low, highest[school])) for school, low in lowest.items()}


def is_standard_transition(fact: SubmissionFact, year_range: tuple[int, int] | None) -> bool:
    """App. C: a joiner into the school's first year at the start of the school year (start date 1 August to
    30 September), or a leaver from its final year at the end of the school year (June to August) who is not
    leaving for home education or an unknown destination, needs no return."""
    if year_range is None or fact.nc_year is None:
        return False
    first_year, final_year = year_range
    day = fact.effective_date
    if fact.return_type is ReturnType.JOINER:
        return fact.nc_year == first_year and day.month in {8, 9}
    needs_return = is_ehe_leaver(fact) or fact.ground in DESTINATION_UNKNOWN_GROUNDS
    needs_return = needs_return or fact.ground_2024 in DESTINATION_UNKNOWN_GROUNDS
    return fact.nc_year == final_year and day.month in _END_OF_YEAR_MONTHS and not needs_return


def timeliness(
    fact: SubmissionFact, calendar: SchoolDays, year_range: tuple[int, int] | None, deadline_school_days: int = 5
) -> Timeliness:
    """On time when submitted no later than the `deadline_school_days`-th school day after the start or leaving
    date (a return made before that date is on time); a standard transition is neither."""
    if is_standard_transition(fact, year_range):
        return Timeliness.STANDARD_TRANSITION
    deadline = calendar.add(fact.effective_date, deadline_school_days)
    return Timeliness.ON_TIME if fact.submitted_at.date() <= deadline else Timeliness.LATE


def deletions_without_return(
    submissions: Sequence[SubmissionFact], year_ranges: Mapping[str, tuple[int, int]]
) -> list[tuple[str, SubmissionFact]]:
    """(previous school, the joiner return that revealed it) for each deletion without a leaver return (module
    docstring); standard-transition joiners are left out, as a pupil finishing the previous school's final year
    needs no leaver return."""
    reporting_schools = {fact.school_id for fact in submissions}
    leavers: defaultdict[tuple[str, UUID], list[date]] = defaultdict(list)
    for fact in submissions:
        if fact.return_type is ReturnType.LEAVER and not fact.rejected and fact.child_id is not None:
            leavers[(fact.school_id, fact.child_id)].append(fact.effective_date)
    found: list[tuple[str, SubmissionFact]] = []
    for fact in submissions:
        previous = fact.previous_school_id
        if (
            fact.return_type is not ReturnType.JOINER
            or fact.rejected
            or fact.child_id is None
            or previous is None
            or previous == fact.school_id
            or previous not in reporting_schools
            or is_standard_transition(fact, year_ranges.get(fact.school_id))
        ):
            continue
        start = fact.effective_date
        dates = leavers.get((previous, fact.child_id), ())
        if not any(start - _DELETION_LOOKBACK <= left <= start + _DELETION_GRACE for left in dates):
            found.append((previous, fact))
    return found


@dataclass
class _Tally:
    joiners: Counter[Timeliness] = field(default_factory=Counter)
    leavers: Counter[Timeliness] = field(default_factory=Counter)
    grounds: Counter[str] = field(default_factory=Counter)
    problems: Counter[str] = field(default_factory=Counter)
    rejected: int = 0
    unreported: int = 0

    def habits(self, school_id: str, term: Term) -> TermHabits:
        return TermHabits(
            school_id=school_id,
            term=term,
            joiners_on_time=self.joiners[Timeliness.ON_TIME],
            joiners_late=self.joiners[Timeliness.LATE],
            joiners_standard_transition=self.joiners[Timeliness.STANDARD_TRANSITION],
            leavers_on_time=self.leavers[Timeliness.ON_TIME],
            leavers_late=self.leavers[Timeliness.LATE],
            leavers_standard_transition=self.leavers[Timeliness.STANDARD_TRANSITION],
            deletions_without_return=self.unreported,
            leavers_by_ground=tuple(sorted(self.grounds.items())),
            rejected=self.rejected,
            rejected_by_problem=tuple(sorted(self.problems.items(), key=lambda item: (-item[1], item[0]))),
        )

    def add(self, other: "_Tally") -> None:
        self.joiners.update(other.joiners)
        self.leavers.update(other.leavers)
        self.grounds.update(other.grounds)
        self.problems.update(other.problems)
        self.rejected += other.rejected
        self.unreported += other.unreported


def _in(day: date, first: date, last: date) -> bool:
    return first <= day <= last


def assess_schools(
    submissions: Sequence[SubmissionFact],
    exclusions: Sequence[ExclusionFact],
    first: date,
    last: date,
    *,
    calendar: SchoolDays | None = None,
    thresholds: Thresholds = Thresholds(),
    year_ranges: Mapping[str, tuple[int, int]] | None = None,
) -> SchoolsReport:
    """Every school's habits per term and its signals over `first`..`last` (both inclusive), with the ranking."""
    calendar = calendar or SchoolDays()
    ranges = dict(infer_year_ranges(submissions))
    ranges.update(year_ranges or {})
    tallies: defaultdict[tuple[str, Term], _Tally] = defaultdict(_Tally)
    period_leavers: defaultdict[str, list[SubmissionFact]] = defaultdict(list)
    schools: set[str] = {exclusion.school_id for exclusion in exclusions if _in(exclusion.excluded_from, first, last)}

    for fact in submissions:
        schools.add(fact.school_id)
        if fact.rejected:
            submitted = fact.submitted_at.date()
            if _in(submitted, first, last):
                tally = tallies[(fact.school_id, Term.of(submitted))]
                tally.rejected += 1
                tally.problems.update(fact.problems)
            continue
        if not _in(fact.effective_date, first, last):
            continue
        tally = tallies[(fact.school_id, Term.of(fact.effective_date))]
        verdict = timeliness(fact, calendar, ranges.get(fact.school_id), thresholds.return_deadline_school_days)
        if fact.return_type is ReturnType.JOINER:
            tally.joiners[verdict] += 1
        else:
            tally.leavers[verdict] += 1
            tally.grounds[_ground_key(fact)] += 1
            period_leavers[fact.school_id].append(fact)

    for previous, joiner in deletions_without_return(submissions, ranges):
        if _in(joiner.effective_date, first, last):
            tallies[(previous, Term.of(joiner.effective_date))].unreported += 1

    by_school: defaultdict[str, list[tuple[Term, _Tally]]] = defaultdict(list)
    for (school, term), tally in tallies.items():
        by_school[school].append((term, tally))

    signals: defaultdict[str, list[Signal]] = defaultdict(list)
    totals: dict[str, _Tally] = {}
    for school in schools | set(by_school):
        total = _Tally()
        for _, tally in by_school.get(school, ()):
            total.add(tally)
        totals[school] = total
        late_signal = _late_returns(school, total, thresholds)
        if late_signal:
            signals[school].append(late_signal)

    area_share = _ehe_signals(period_leavers, thresholds, signals)
    window_share = _census_signals(
        period_leavers, first=first, last=last, calendar=calendar, thresholds=thresholds, signals=signals
    )
    _whereabouts_signals(period_leavers, thresholds, signals)
    _exclusion_signals(exclusions, first=first, last=last, calendar=calendar, thresholds=thresholds, signals=signals)

    ordered = sorted(
        (school for school in signals if signals[school]),
        key=lambda school: (-len(signals[school]), -sum(s.severity for s in signals[school]), school),
    )
    ranked = tuple(
        RankedSchool(rank=position, school_id=school, signals=tuple(signals[school]))
        for position, school in enumerate(ordered, start=1)
    )
    rank_of = {entry.school_id: entry.rank for entry in ranked}
    views = {
        school: SchoolView(
            school_id=school,
            terms=tuple(
                tally.habits(school, term)
                for term, tally in sorted(by_school.get(school, ()), key=lambda item: item[0])
            ),
            signals=tuple(signals.get(school, ())),
            totals=totals.get(school, _Tally()).habits(school, Term.of(first)),
            rank=rank_of.get(school),
        )
        for school in sorted(schools | set(signals))
    }
    return SchoolsReport(
        first=first,
        last=last,
        ranked=ranked,
        schools=views,
        area_ehe_years_10_11_share=area_share,
        census_window_share=window_share,
    )


def _late_returns(school: str, total: _Tally, thresholds: Thresholds) -> Signal | None:
    late = total.joiners[Timeliness.LATE]
    due = late + total.joiners[Timeliness.ON_TIME]
    if due == 0:
        return None
    share = late / due
    if late < thresholds.late_min or share <= thresholds.late_share:
        return None
    return Signal(
        school_id=school,
        kind=SignalKind.LATE_NEW_PUPIL_RETURNS,
        count=late,
        severity=share / thresholds.late_share,
        explanation=(
            f"{late} of {due} new-pupil returns due ({_percent(share)}) were made after the "
            f"{thresholds.return_deadline_school_days}-school-day deadline; the signal is raised above "
            f"{_percent(thresholds.late_share)} with at least {thresholds.late_min} late returns. "
            f"{total.joiners[Timeliness.STANDARD_TRANSITION]} standard-transition joiners were not counted."
        ),
    )


def _ehe_signals(
    leavers: Mapping[str, Sequence[SubmissionFact]], thresholds: Thresholds, signals: defaultdict[str, list[Signal]]
) -> float:
    ehe = {
        school: sum(1 for f in facts if is_ehe_leaver(f) and f.nc_year in _YEARS_10_11)
        for school, facts in leavers.items()
    }
    totals = {school: len(facts) for school, facts in leavers.items()}
    all_ehe, all_leavers = sum(ehe.values()), sum(totals.values())
    for school in sorted(leavers):
        count, total = ehe[school], totals[school]
        other_ehe, other_total = all_ehe - count, all_leavers - total
        if count < thresholds.ehe_min or total == 0:
            continue
        share = count / total
        rest = other_ehe / other_total if other_total else 0.0
        bar = thresholds.ehe_rate_multiple * rest
        if share <= bar:
            continue
        signals[school].append(
            Signal(
                school_id=school,
                kind=SignalKind.EHE_LEAVERS_YEARS_10_11,
                count=count,
                severity=share / bar if bar else float(count) / thresholds.ehe_min,
                explanation=(
                    f"{count} of {total} leavers ({_percent(share)}) left Year 10 or 11 for home education, "
                    f"against {_percent(rest)} ({other_ehe} of {other_total}) across the area's other schools; the "
                    f"signal is raised above {thresholds.ehe_rate_multiple:g} times the area's rate with at least "
                    f"{thresholds.ehe_min} such leavers."
                ),
            )
        )
    return all_ehe / all_leavers if all_leavers else 0.0


def _census_signals(
    leavers: Mapping[str, Sequence[SubmissionFact]],
    *,
    first: date,
    last: date,
    calendar: SchoolDays,
    thresholds: Thresholds,
    signals: defaultdict[str, list[Signal]],
) -> float:
    # Windows for every census day the period touches, including one just after it (its window may reach back in).
    windows = [
        calendar.window_before(census, thresholds.census_window_school_days)
        for census in census_days_between(first, last + timedelta(days=31))
    ]
    window_days = sum(calendar.count(max(start, first), min(end, last)) for start, end in windows)
    period_days = calendar.count(first, last)
    expected = window_days / period_days if period_days else 0.0
    for school in sorted(leavers):
        facts = leavers[school]
        inside = sum(1 for fact in facts if any(start <= fact.effective_date <= end for start, end in windows))
        if inside < thresholds.census_min or not facts:
            continue
        share = inside / len(facts)
        bar = thresholds.census_share_multiple * expected
        if share <= bar:
            continue
        signals[school].append(
            Signal(
                school_id=school,
                kind=SignalKind.LEAVERS_BEFORE_CENSUS,
                count=inside,
                severity=share / bar if bar else float(inside) / thresholds.census_min,
                explanation=(
                    f"{inside} of {len(facts)} leavers ({_percent(share)}) left in the "
                    f"{thresholds.census_window_school_days} school days before a census day, where "
                    f"{_percent(expected)} would be expected from the school days in those windows; the signal is "
                    f"raised above {thresholds.census_share_multiple:g} times that with at least "
                    f"{thresholds.census_min} such leavers."
                ),
            )
        )
    return expected


def _whereabouts_signals(
    leavers: Mapping[str, Sequence[SubmissionFact]], thresholds: Thresholds, signals: defaultdict[str, list[Signal]]
) -> None:
    for school in sorted(leavers):
        count = sum(1 for fact in leavers[school] if is_whereabouts_unknown_leaver(fact))
        if count < thresholds.whereabouts_unknown_min:
            continue
        signals[school].append(
            Signal(
                school_id=school,
                kind=SignalKind.WHEREABOUTS_UNKNOWN_DELETIONS,
                count=count,
                severity=count / thresholds.whereabouts_unknown_min,
                explanation=(
                    f"{count} pupils were deleted on a whereabouts-unknown ground (8(1)(f), 8(1)(h), 9(1)(h) or "
                    f"9(1)(i)) in the period; the signal is raised at {thresholds.whereabouts_unknown_min} or more."
                ),
            )
        )


def _exclusion_signals(
    exclusions: Sequence[ExclusionFact],
    *,
    first: date,
    last: date,
    calendar: SchoolDays,
    thresholds: Thresholds,
    signals: defaultdict[str, list[Signal]],
) -> None:
    late: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for exclusion in exclusions:
        if not _in(exclusion.excluded_from, first, last):
            continue
        total[exclusion.school_id] += 1
        # The first day of the exclusion is its first school day, so the sixth is five school days after it.
        day_six = calendar.add(exclusion.excluded_from, thresholds.exclusion_provision_school_day - 1)
        if exclusion.provision_from is None or exclusion.provision_from > day_six:
            late[exclusion.school_id] += 1
    for school in sorted(late):
        count = late[school]
        if count < thresholds.exclusions_min:
            continue
        signals[school].append(
            Signal(
                school_id=school,
                kind=SignalKind.EXCLUSIONS_WITHOUT_DAY6_PROVISION,
                count=count,
                severity=count / thresholds.exclusions_min,
                explanation=(
                    f"{count} of {total[school]} permanent exclusions had no alternative provision recorded from "
                    f"the {thresholds.exclusion_provision_school_day}th school day of the exclusion; the signal is "
                    f"raised at {thresholds.exclusions_min} or more."
                ),
            )
        )
