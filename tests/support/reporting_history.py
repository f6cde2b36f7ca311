"""A fixed, generated history for reporting's tests and benchmark: several school years of several schools' returns
and the cases that follow, as the suite's contract events, with planted patterns and the ground truth.

`generate_history(seed=...)` makes its choices first, as plain records (`SchoolReturn`, `Exclusion`, `CaseRecord`):
which school, which child, which ground, which dates, whether a return is late, rejected or a standard
transition. The ground truth (`GroundTruth`) is counted from those choices, not by the rules under test;
`History.events()` then builds the contract events from the same records, lazily and in time order, and
`History.facts()` gives reporting's domain facts straight from them (for the pure rules' unit tests).

Planted patterns (the rest of the schools are "ordinary"):

- `LATE_SCHOOL` (a primary) makes 60% of its due joiner and leaver returns 8 to 20 school days late, and some
  of its pupils turn up at another school with no leaver return from it (deletions without a return);
- `OFF_ROLLING_SCHOOL` (a secondary) deletes Year 10-11 pupils to home education, each 1 to 8 school days
  before a census day;
- `WHEREABOUTS_SCHOOL` (a secondary) deletes pupils as whereabouts unknown every year, and permanently excludes
  pupils who get no alternative provision;
- `CLEAN_SCHOOL` (a secondary) makes every return on time.

So that the truth can name every school's signals exactly, the choices keep clear of each rule's edges: on-time
returns are made 0 to 3 school days after the date, late ones 8 to 20; only the off-rolling school's planted
leavers fall in the 12 school days before a census day (the others' leaving dates avoid them); in-year leavers
leave from October to May and in-year joiners start from October to mid-July, so June to September holds only
the standard transitions (Reception / Year 7 joiners on the first days of September, Year 11 leavers in July).
Whole-year patterns are quotas per school year, not probabilities, so each school year shows them.

School days here are weekdays that are not England bank holidays (no term dates), counted by this module's own
loop, and census days are the school census rule (first Thursday of October, third Thursday of January and of
May), written again here on purpose: the truth must not come from the code it checks.

Scale: `returns_per_school_year` sets each school's returns per year and `cases` the total number of cases
(children missing education found by school returns, topped up with referrals from other agencies), so
`generate_history(schools=40, years=5, cases=100_000)` makes the benchmark's history. Every event is a validated
pydantic model; the parts events share (a child, a school, a ground) are built once and reused, as the models are
frozen. Measured (December 2026, this project's 2-core machine, CPU time under heavy sharing): the 100,000-case
history's records in about 8 s, its truth in 0.4 s, `facts()` in 1.6 s, and its 556,508 events at about 57 us each
(about 32 s for all of them). A benchmark that needs the read model filled fast should write facts, not events.

Every person here is invented.
"""

import heapq
import random
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Any, TypeVar
from uuid import UUID

import holidays

from contracts.base import Event
from contracts.events.case_v1 import CaseClosed, CaseEscalated, CaseOpened, CaseUpdated, EscalationKind
from contracts.events.common_v1 import (
    Child,
    Destination,
    Document,
    DocumentKind,
    EducationStatus,
    OrganisationType,
    Part,
    Referrer,
    Safeguarding,
    School,
)
from contracts.events.intake_v1 import (
    JoinerSubmitted,
    LeaverSubmitted,
    Problem,
    SchoolReturnChild,
    SubmissionRejected,
)
from contracts.events.referral_v1 import LeavingGround, LegalSource, ReferralKind, ReferralReceived
from contracts.events.review_v1 import ClosureDecision, ReviewDecided, ReviewSignedOff, RiskBand
from contracts.events.triage_v1 import Priority, Track, TriageDecided
from contracts.reference.leaving_grounds import GROUNDS_BY_CODE, REGULATIONS_2024_IN_FORCE
from services.reporting.domain.facts import CaseFact, ExclusionFact, ReturnType, SubmissionFact

LATE_SCHOOL = "8852001"
OFF_ROLLING_SCHOOL = "8854002"
WHEREABOUTS_SCHOOL = "8854003"
CLEAN_SCHOOL = "8854004"
LA_CODE = "885"

# Signal names, as reporting's `SignalKind` values (plain strings: the truth does not import the rules).
LATE_RETURNS = "late_new_pupil_returns"
EHE_YEARS_10_11 = "ehe_leavers_years_10_11"
BEFORE_CENSUS = "leavers_before_census"
WHEREABOUTS_DELETIONS = "whereabouts_unknown_deletions"
EXCLUSIONS_WITHOUT_PROVISION = "exclusions_without_day6_provision"

_BANK_HOLIDAYS = holidays.country_holidays("GB", subdiv="ENG")
_ONE_DAY = timedelta(days=1)
_GIVEN = ("Amelia", "Oliver", "Isla", "Noah", "Ava", "Leo", "Mia", "Arthur", "Ivy", "Freddie", "Zara", "Theo")
_SYLLABLES = ("ash", "brin", "cal", "dun", "el", "fen", "gar", "hol", "ing", "jor", "kel", "lun", "mor", "nor")
_PROBLEMS: Mapping[str, str] = {
    "documents": "Attach the documents this leaving reason needs, then send the return again",
    "child.upn": "Check the unique pupil number: its check letter does not match",
    "leaving_reason": "Choose one of the leaving reasons in the regulations",
    "child.date_of_birth": "Give the pupil's date of birth",
}


class Pattern(StrEnum):
    LATE = "late"
    OFF_ROLLING = "off_rolling"
    WHEREABOUTS = "whereabouts"
    CLEAN = "clean"
    ORDINARY = "ordinary"


class Ground(StrEnum):
    """A leaving ground as a concept; `code` gives it in the coding in force on a date."""

    TRANSFER = "a"
    EHE = "f"
    MOVED_AWAY = "g"
    NOT_BACK_FROM_LEAVE = "h"
    ABSENT_20_DAYS = "i"
    CEASING_CSA = "l"
    EXCLUDED = "o"

    def code(self, on: date) -> str:
        if on >= REGULATIONS_2024_IN_FORCE:
            return f"9(1)({self.value})"
        return _CODES_2006[self]

    @property
    def code_2024(self) -> str:
        return f"9(1)({self.value})"

    @property
    def whereabouts_unknown(self) -> bool:
        return self in {Ground.NOT_BACK_FROM_LEAVE, Ground.ABSENT_20_DAYS}


_CODES_2006: Mapping[Ground, str] = {
    Ground.TRANSFER: "8(1)(b)",
    Ground.EHE: "8(1)(d)",
    Ground.MOVED_AWAY: "8(1)(e)",
    Ground.NOT_BACK_FROM_LEAVE: "8(1)(f)",
    Ground.ABSENT_20_DAYS: "8(1)(h)",
    Ground.CEASING_CSA: "8(1)(k)",
    Ground.EXCLUDED: "8(1)(m)",
}
_DOCUMENTS: Mapping[Ground, tuple[DocumentKind, ...]] = {
    Ground.EHE: (DocumentKind.EHE_PARENT_LETTER, DocumentKind.LEARNER_PROFILE),
    Ground.MOVED_AWAY: (DocumentKind.DEROLLING_CHECKLIST, DocumentKind.LEARNER_PROFILE),
    Ground.NOT_BACK_FROM_LEAVE: (DocumentKind.DEROLLING_CHECKLIST, DocumentKind.LEARNER_PROFILE),
    Ground.ABSENT_20_DAYS: (DocumentKind.DEROLLING_CHECKLIST, DocumentKind.LEARNER_PROFILE),
    Ground.EXCLUDED: (DocumentKind.DEROLLING_CHECKLIST, DocumentKind.LEARNER_PROFILE),
}


_M = TypeVar("_M", bound=Part | Event)


def _late_share(pattern: Pattern) -> float:
    """The share of its due returns a school makes late: planted at the late school, none at the clean one."""
    return 0.6 if pattern is Pattern.LATE else 0.0 if pattern is Pattern.CLEAN else 0.05


# ------------------------------------------------------------------------------------------ the generator's choices


@dataclass(frozen=True, slots=True)
class SchoolPlan:
    school_id: str
    name: str
    first_year: int
    final_year: int
    pattern: Pattern

    @property
    def secondary(self) -> bool:
        return self.first_year >= 7


@dataclass(frozen=True, slots=True)
class SchoolReturn:
    """One joiner or leaver return as the generator chose it."""

    submission_id: str
    school_id: str
    return_type: ReturnType
    child_id: UUID
    sex: str
    submitted_at: datetime
    effective_date: date
    nc_year: int
    ground: Ground | None = None
    previous_school_id: str | None = None
    destination_school_id: str | None = None
    rejected: bool = False
    problems: tuple[str, ...] = ()
    late: bool | None = False
    """None for a standard transition (no return due); otherwise whether it was made late."""
    before_census: bool = False
    """A planted leaver dated in the 10 school days before a census day."""
    ap_taken_up: bool | None = None
    """Exclusions: whether the LA's alternative provision was taken up."""
    referral_id: UUID | None = None
    """Accepted returns: the referral intake published."""


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """A case the history opens: a child found missing education."""

    case_id: UUID
    child_id: UUID
    referral_id: UUID
    kind: ReferralKind
    opened_at: datetime
    track: Track
    priority: Priority
    nc_year: int
    sex: str
    school_id: str | None = None
    ground: Ground | None = None
    whereabouts_unknown: bool = False
    escalated_at: datetime | None = None
    review_band: RiskBand | None = None
    located_at: datetime | None = None
    closed_at: datetime | None = None
    close_reason: str | None = None
    ehcp: bool = False
    social_care: bool = False
    submission_id: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    at: datetime
    key: str
    """The Kafka key: the child id, or the submission id for raw submissions and rejections."""
    event: Event


@dataclass(frozen=True, slots=True)
class SchoolYearTruth:
    """What one school did in one school year (1 September to 31 August), counted from the generator's choices.

    Joiners and leavers are counted in the school year of their start or leaving date, rejected returns in that of
    the day they were sent, deletions without a return against the previous school in that of the new start date.
    """

    school_id: str
    school_year: int
    joiners_on_time: int
    joiners_late: int
    joiners_standard_transition: int
    leavers_on_time: int
    leavers_late: int
    leavers_standard_transition: int
    leavers_by_ground: Mapping[str, int]
    """Accepted leavers by 2024-coding ground."""
    rejected: int
    rejected_by_problem: Mapping[str, int]
    deletions_without_return: int
    leavers: int
    ehe_leavers_years_10_11: int
    leavers_before_census: int
    whereabouts_unknown_leavers: int
    exclusions: int
    exclusions_without_provision: int
    expected_signals: frozenset[str]
    """The signals reporting must raise for this school over this school year, and no others."""


@dataclass(frozen=True, slots=True)
class GroundTruth:
    late_school: str
    off_rolling_school: str
    whereabouts_school: str
    clean_school: str
    school_years: tuple[int, ...]
    by_school_year: Mapping[tuple[str, int], SchoolYearTruth]
    expected_signals: Mapping[str, frozenset[str]]
    """Per school: the signals raised over each of its whole school years (the same every year)."""
    cases: int
    cme_on_census: Mapping[date, int]
    """Census day -> children missing education that day (DfE definition: an open CME case, Year 11 or below)."""

    def year(self, school_id: str, school_year: int) -> SchoolYearTruth:
        return self.by_school_year[(school_id, school_year)]


@dataclass(frozen=True, slots=True)
class HistoryFacts:
    submissions: list[SubmissionFact]
    exclusions: list[ExclusionFact]
    cases: list[CaseFact]


@dataclass
class History:
    seed: int
    first: date
    last: date
    schools: tuple[SchoolPlan, ...]
    returns: list[SchoolReturn]
    cases: list[CaseRecord]
    _dobs: dict[UUID, date] = field(default_factory=dict, repr=False)

    @cached_property
    def truth(self) -> GroundTruth:
        return _truth(self)

    def facts(self) -> HistoryFacts:
        """Reporting's facts straight from the choices (no events): for the pure rules' unit tests."""
        submissions = [
            SubmissionFact(
                submission_id=r.submission_id,
                school_id=r.school_id,
                return_type=r.return_type,
                submitted_at=r.submitted_at,
                effective_date=r.effective_date,
                child_id=None if r.rejected else r.child_id,
                nc_year=r.nc_year,
                ground=r.ground.code(r.effective_date) if r.ground else None,
                ground_2024=r.ground.code_2024 if r.ground else None,
                previous_school_id=r.previous_school_id,
                rejected=r.rejected,
                problems=r.problems,
            )
            for r in self.returns
        ]
        exclusions = [
            ExclusionFact(
                child_id=r.child_id,
                school_id=r.school_id,
                excluded_from=r.effective_date,
                provision_from=r.effective_date if r.ap_taken_up else None,
            )
            for r in self.returns
            if r.ground is Ground.EXCLUDED and not r.rejected
        ]
        cases = [
            CaseFact(
                case_id=c.case_id,
                child_id=c.child_id,
                opened_on=c.opened_at.date(),
                is_cme=True,
                track=c.track.value,
                closed_on=c.closed_at.date() if c.closed_at else None,
                close_reason=c.close_reason,
                school_id=c.school_id,
                referral_kind=c.kind.value,
                whereabouts_unknown=c.whereabouts_unknown,
                nc_year=c.nc_year,
                ehcp=c.ehcp,
                social_care=c.social_care,
                sex=c.sex,
            )
            for c in self.cases
        ]
        return HistoryFacts(submissions=submissions, exclusions=exclusions, cases=cases)

    def events(self) -> Iterator[HistoryEvent]:
        """The contract events of the whole history in time order (ties keep the order each child's events
        happened in). Built lazily: a 100,000-case history is never all in memory as models."""
        return _Events(self).stream()

    def date_of_birth(self, child_id: UUID) -> date:
        return self._dobs[child_id]


# ---------------------------------------------------------------------------------------------------- calendar


def _is_school_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _BANK_HOLIDAYS


def _school_days(first: date, last: date) -> list[date]:
    days: list[date] = []
    day = first
    while day <= last:
        if _is_school_day(day):
            days.append(day)
        day += _ONE_DAY
    return days


def _step(day: date, school_days: int) -> date:
    """`school_days` school days after (or, when negative, before) `day`."""
    direction = _ONE_DAY if school_days >= 0 else -_ONE_DAY
    remaining = abs(school_days)
    while remaining:
        day += direction
        if _is_school_day(day):
            remaining -= 1
    return day


def _nth_thursday(year: int, month: int, n: int) -> date:
    day = date(year, month, 1)
    while day.weekday() != 3:
        day += _ONE_DAY
    return day + timedelta(weeks=n - 1)


def _census_days(school_year: int) -> tuple[date, date, date]:
    return (
        _nth_thursday(school_year, 10, 1),
        _nth_thursday(school_year + 1, 1, 3),
        _nth_thursday(school_year + 1, 5, 3),
    )


# ---------------------------------------------------------------------------------------------------- generation


def _school_plans(schools: int) -> tuple[SchoolPlan, ...]:
    if schools < 6:
        raise ValueError("at least 6 schools: the four planted ones and two ordinary ones")
    plans = [
        SchoolPlan(LATE_SCHOOL, "Late Lane Primary School", 0, 6, Pattern.LATE),
        SchoolPlan(OFF_ROLLING_SCHOOL, "Off Road High School", 7, 11, Pattern.OFF_ROLLING),
        SchoolPlan(WHEREABOUTS_SCHOOL, "Where Vale High School", 7, 11, Pattern.WHEREABOUTS),
        SchoolPlan(CLEAN_SCHOOL, "Clean Brook High School", 7, 11, Pattern.CLEAN),
    ]
    for number in range(5, schools + 1):
        primary = number % 2 == 1
        school_id = f"885{2 if primary else 4}{number:03d}"
        name = f"Ordinary {'Primary' if primary else 'High'} School {number}"
        plans.append(SchoolPlan(school_id, name, 0 if primary else 7, 6 if primary else 11, Pattern.ORDINARY))
    return tuple(plans)


@dataclass
class _YearDays:
    """The dates one school year offers each kind of choice."""

    transition_start: date
    joiner_days: list[date]
    leaver_days: list[date]
    end_of_year_days: list[date]
    census_windows: list[list[date]]


def _year_days(school_year: int) -> _YearDays:
    censuses = _census_days(school_year)
    # Ordinary leaving dates keep out of the 12 school days up to and including each census day.
    avoid = {day for census in censuses for day in [*(_step(census, -k) for k in range(1, 13)), census]}
    return _YearDays(
        transition_start=_step(date(school_year, 9, 1), 1),
        joiner_days=_school_days(date(school_year, 10, 1), date(school_year + 1, 7, 15)),
        leaver_days=[d for d in _school_days(date(school_year, 10, 1), date(school_year + 1, 5, 31)) if d not in avoid],
        end_of_year_days=_school_days(date(school_year + 1, 7, 1), date(school_year + 1, 7, 20)),
        census_windows=[[_step(census, -k) for k in range(1, 9)] for census in censuses],
    )


class _Generator:
    def __init__(self, seed: int, plans: tuple[SchoolPlan, ...], first_year: int, years: int, per_year: int) -> None:
        self.rng = random.Random(seed)
        self.plans = plans
        self.first_year = first_year
        self.years = years
        self.per_year = per_year
        self.returns: list[SchoolReturn] = []
        self.cases: list[CaseRecord] = []
        self.dobs: dict[UUID, date] = {}
        self.serial = 0
        self.end = date(first_year + years, 8, 31)

    def uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def child(self, nc_year: int, on: date) -> tuple[UUID, str]:
        child_id = self.uuid()
        school_year = on.year if on.month >= 9 else on.year - 1
        # Born January to August of this year: aged nc_year + 4 on the 31 August the school year starts after.
        birth_year = school_year - nc_year - 4
        self.dobs[child_id] = date(birth_year, self.rng.randint(1, 8), self.rng.randint(1, 28))
        return child_id, self.rng.choice("FFMMMU")

    def at(self, day: date) -> datetime:
        return datetime.combine(day, time(9 + self.rng.randint(0, 7), self.rng.randint(0, 59)), tzinfo=UTC)

    def submission_id(self, school_id: str) -> str:
        self.serial += 1
        return f"hist-{school_id}-{self.serial:07d}"

    def delay(self, late: bool) -> int:
        return self.rng.randint(8, 20) if late else self.rng.randint(0, 3)

    def add_return(
        self, plan: SchoolPlan, late: bool | None, *, rejected_first: bool = False, **fields: Any
    ) -> SchoolReturn:
        effective: date = fields["effective_date"]
        delay = self.delay(bool(late)) if late is not None else self.rng.randint(0, 20)
        submitted = self.at(_step(effective, delay))
        if rejected_first:
            kind = fields["return_type"]
            problem = self.rng.choice(
                ("documents", "child.upn", "leaving_reason")
                if kind is ReturnType.LEAVER
                else ("child.upn", "child.date_of_birth")
            )
            rejected_at = self.at(_step(effective, min(delay, 1)))
            rejected_at = min(rejected_at, submitted - timedelta(minutes=1))
            self.returns.append(
                SchoolReturn(
                    submission_id=self.submission_id(plan.school_id),
                    school_id=plan.school_id,
                    submitted_at=rejected_at,
                    rejected=True,
                    problems=(problem,),
                    late=late,
                    **fields,
                )
            )
        accepted = SchoolReturn(
            submission_id=self.submission_id(plan.school_id),
            school_id=plan.school_id,
            submitted_at=submitted,
            late=late,
            referral_id=self.uuid(),
            **fields,
        )
        self.returns.append(accepted)
        return accepted

    def run(self) -> None:
        for school_year in range(self.first_year, self.first_year + self.years):
            days = _year_days(school_year)
            for plan in self.plans:
                self.school_year(plan, school_year, days)

    def school_year(self, plan: SchoolPlan, school_year: int, days: _YearDays) -> None:
        rng, per_year = self.rng, self.per_year
        late_share = _late_share(plan.pattern)
        in_year_joiners = max(4, per_year // 2)
        transition_joiners = max(2, per_year // 4)
        leavers = max(4, per_year // 2)
        rejected_quota = max(1, per_year // 20)
        late_joiners = round(in_year_joiners * late_share)
        late_leavers = round(leavers * late_share)
        rejected_slots = set(rng.sample(range(in_year_joiners + leavers), rejected_quota))
        slot = 0
        ordinary_years = range(plan.first_year, plan.final_year + 1)

        # Standard transitions: joiners into the first year on the first days of September, sent whenever.
        for _ in range(transition_joiners):
            child_id, sex = self.child(plan.first_year, days.transition_start)
            feeder = next((p for p in self.plans if not p.secondary), None) if plan.secondary else None
            self.add_return(
                plan,
                None,
                return_type=ReturnType.JOINER,
                child_id=child_id,
                sex=sex,
                effective_date=_step(days.transition_start, rng.randint(0, 2)),
                nc_year=plan.first_year,
                previous_school_id=feeder.school_id if feeder else None,
            )
        # In-year joiners, from October to mid-July; a few named the late school as their previous one without it
        # ever sending a leaver return (planted deletions without a return).
        for index in range(in_year_joiners):
            start = rng.choice(days.joiner_days)
            nc_year = rng.choice(ordinary_years)
            previous = None
            if plan.pattern is Pattern.ORDINARY and not plan.secondary and index < 1:
                previous = LATE_SCHOOL
                nc_year = rng.randint(1, 6)
            child_id, sex = self.child(nc_year, start)
            self.add_return(
                plan,
                index < late_joiners,
                rejected_first=slot in rejected_slots,
                return_type=ReturnType.JOINER,
                child_id=child_id,
                sex=sex,
                effective_date=start,
                nc_year=nc_year,
                previous_school_id=previous,
            )
            slot += 1
        # In-year leavers, October to May, outside the census windows.
        for index in range(leavers):
            ground = self.ordinary_ground(plan, index)
            nc_year = rng.choice(ordinary_years)
            if ground is Ground.EHE and plan.secondary:
                nc_year = rng.choice((7, 8, 9))  # home education from Years 10-11 only where planted (below)
            self.leaver(
                plan,
                ground,
                nc_year,
                rng.choice(days.leaver_days),
                index < late_leavers,
                rejected_first=slot in rejected_slots,
            )
            slot += 1
        if plan.secondary:
            # One Year 10-11 home-education leaver a year, so the area has a rate to compare with.
            self.leaver(plan, Ground.EHE, rng.choice((10, 11)), rng.choice(days.leaver_days), False)
            # Year 11 leaving at the end of the school year: a standard transition.
            for _ in range(2):
                self.leaver(plan, Ground.CEASING_CSA, 11, rng.choice(days.end_of_year_days), None)
            # Permanent exclusions: alternative provision taken up, except at the whereabouts school.
            taken_up = plan.pattern is not Pattern.WHEREABOUTS
            for _ in range(1 if taken_up else 2):
                self.leaver(
                    plan,
                    Ground.EXCLUDED,
                    rng.choice((8, 9, 10)),
                    rng.choice(days.leaver_days),
                    False,
                    ap_taken_up=taken_up,
                )
        if plan.pattern is Pattern.OFF_ROLLING:
            per_census = max(4, per_year // 10)
            for window in days.census_windows:
                for _ in range(per_census):
                    self.leaver(plan, Ground.EHE, rng.choice((10, 11)), rng.choice(window), False, before_census=True)
        if plan.pattern is Pattern.WHEREABOUTS:
            for _ in range(4):
                ground = rng.choice((Ground.NOT_BACK_FROM_LEAVE, Ground.ABSENT_20_DAYS))
                self.leaver(plan, ground, rng.choice(ordinary_years), rng.choice(days.leaver_days), False)

    def ordinary_ground(self, plan: SchoolPlan, index: int) -> Ground:
        # Transfers, moves and home education; never whereabouts unknown outside the planted school.
        if index % 10 == 9:
            return Ground.EHE
        return Ground.MOVED_AWAY if index % 4 == 3 else Ground.TRANSFER

    def leaver(
        self,
        plan: SchoolPlan,
        ground: Ground,
        nc_year: int,
        leaving: date,
        late: bool | None,
        *,
        rejected_first: bool = False,
        before_census: bool = False,
        ap_taken_up: bool | None = None,
    ) -> None:
        child_id, sex = self.child(nc_year, leaving)
        destination = None
        if ground is Ground.TRANSFER:
            same_phase = [p for p in self.plans if p.secondary == plan.secondary and p.school_id != plan.school_id]
            destination = self.rng.choice(same_phase)
        accepted = self.add_return(
            plan,
            late,
            rejected_first=rejected_first,
            return_type=ReturnType.LEAVER,
            child_id=child_id,
            sex=sex,
            effective_date=leaving,
            nc_year=nc_year,
            ground=ground,
            destination_school_id=destination.school_id if destination else None,
            before_census=before_census,
            ap_taken_up=ap_taken_up,
        )
        if destination is not None:
            # The transfer's joiner return at the destination, a few school days later, naming this school.
            start = _step(leaving, self.rng.randint(1, 3))
            late = self.rng.random() < _late_share(destination.pattern)
            self.returns.append(
                SchoolReturn(
                    submission_id=self.submission_id(destination.school_id),
                    school_id=destination.school_id,
                    return_type=ReturnType.JOINER,
                    child_id=child_id,
                    sex=sex,
                    submitted_at=self.at(_step(start, self.delay(late))),
                    effective_date=start,
                    nc_year=nc_year,
                    previous_school_id=plan.school_id,
                    late=late,
                    referral_id=self.uuid(),
                )
            )
        self.case_for(accepted)

    def case_for(self, leaver: SchoolReturn) -> None:
        ground = leaver.ground
        cme = ground in {Ground.MOVED_AWAY, Ground.NOT_BACK_FROM_LEAVE, Ground.ABSENT_20_DAYS}
        cme = cme or (ground is Ground.EXCLUDED and leaver.ap_taken_up is False)
        if not cme or leaver.referral_id is None:
            return
        track = Track.EXCLUSION_AP if ground is Ground.EXCLUDED else Track.CME_ENQUIRY
        opened = leaver.submitted_at + timedelta(minutes=5)
        self.cases.append(
            self.outcome(
                CaseRecord(
                    case_id=self.uuid(),
                    child_id=leaver.child_id,
                    referral_id=leaver.referral_id,
                    kind=ReferralKind.LEAVER,
                    opened_at=opened,
                    track=track,
                    priority=self.priority(),
                    nc_year=leaver.nc_year,
                    sex=leaver.sex,
                    school_id=leaver.school_id,
                    ground=ground,
                    whereabouts_unknown=bool(ground and ground.whereabouts_unknown),
                    submission_id=leaver.submission_id,
                )
            )
        )

    def priority(self) -> Priority:
        return self.rng.choices((Priority.P1, Priority.P2, Priority.P3), (1, 3, 6))[0]

    def outcome(self, case: CaseRecord) -> CaseRecord:
        """What happened next: located and registered, moved away, or escalated to Missing Mondays and reviewed."""
        rng = self.rng
        end = datetime.combine(self.end, time(23, 59), tzinfo=UTC)
        fields: dict[str, Any] = {}
        if case.whereabouts_unknown or rng.random() < 0.1:
            escalated = case.opened_at + timedelta(days=rng.randint(20, 40))
            band = rng.choice((RiskBand.LO, RiskBand.LO, RiskBand.HI))
            fields.update(whereabouts_unknown=True, escalated_at=escalated, review_band=band)
            if band is RiskBand.LO:
                fields.update(
                    closed_at=escalated + timedelta(days=14), close_reason="whereabouts_unknown_closed_after_review"
                )
            elif rng.random() < 0.5:
                located = escalated + timedelta(days=rng.randint(30, 200))
                fields.update(
                    located_at=located, closed_at=located + timedelta(days=2), close_reason="registered_into_provision"
                )
        elif rng.random() < 0.9:
            reason = rng.choices(
                ("registered_into_provision", "moved_to_other_la", "moved_abroad", "ehe_confirmed"), (6, 2, 1, 1)
            )[0]
            fields.update(closed_at=case.opened_at + timedelta(days=rng.randint(5, 120)), close_reason=reason)
        # Whatever falls after the history's last day has not happened yet.
        if fields.get("closed_at") is not None and fields["closed_at"] > end:
            fields.update(closed_at=None, close_reason=None)
        if fields.get("located_at") is not None and fields["located_at"] > end:
            fields.update(located_at=None)
        if fields.get("escalated_at") is not None and fields["escalated_at"] > end:
            fields.update(escalated_at=None, review_band=None)
        return replace(case, **fields)

    def other_referrals(self, count: int) -> None:
        """Cases from other agencies' referrals, spread over the history, to reach the cases asked for."""
        kinds = (
            (ReferralKind.PROFESSIONAL_REFERRAL, 5),
            (ReferralKind.LA_ENQUIRY, 3),
            (ReferralKind.SOCIAL_CARE_NO_EDUCATION, 2),
        )
        first = date(self.first_year, 9, 1)
        span = (self.end - first).days
        for _ in range(count):
            day = first + timedelta(days=self.rng.randrange(span))
            nc_year = self.rng.randint(1, 10)
            child_id, sex = self.child(nc_year, day)
            kind = self.rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
            social_care = kind is ReferralKind.SOCIAL_CARE_NO_EDUCATION
            self.cases.append(
                self.outcome(
                    CaseRecord(
                        case_id=self.uuid(),
                        child_id=child_id,
                        referral_id=self.uuid(),
                        kind=kind,
                        opened_at=self.at(day),
                        track=Track.CME_ENQUIRY,
                        priority=Priority.P1 if social_care else self.priority(),
                        nc_year=nc_year,
                        sex=sex,
                        ehcp=self.rng.random() < 0.1,
                        social_care=social_care,
                    )
                )
            )


def generate_history(
    *,
    seed: int = 20261203,
    schools: int = 6,
    years: int = 5,
    first_school_year: int = 2021,
    returns_per_school_year: int = 40,
    cases: int | None = None,
) -> History:
    """A history of `years` school years from 1 September `first_school_year`, for `schools` schools (at least 6:
    the four planted and ordinary ones, primaries and secondaries in turn). `cases` tops the cases the schools'
    returns open up to that many with other agencies' referrals (default: 30 a year). Same arguments, same
    history, byte for byte."""
    plans = _school_plans(schools)
    generator = _Generator(seed, plans, first_school_year, years, returns_per_school_year)
    generator.run()
    target = cases if cases is not None else len(generator.cases) + 30 * years
    generator.other_referrals(max(0, target - len(generator.cases)))
    generator.returns.sort(key=lambda r: (r.submitted_at, r.submission_id))
    generator.cases.sort(key=lambda c: (c.opened_at, str(c.case_id)))
    return History(
        seed=seed,
        first=date(first_school_year, 9, 1),
        last=generator.end,
        schools=plans,
        returns=generator.returns,
        cases=generator.cases,
        _dobs=generator.dobs,
    )


# -------------------------------------------------------------------------------------------------- ground truth


def _school_year_of(day: date) -> int:
    return day.year if day.month >= 9 else day.year - 1


_PLANTED_SIGNALS: Mapping[Pattern, frozenset[str]] = {
    Pattern.LATE: frozenset({LATE_RETURNS}),
    Pattern.OFF_ROLLING: frozenset({EHE_YEARS_10_11, BEFORE_CENSUS}),
    Pattern.WHEREABOUTS: frozenset({WHEREABOUTS_DELETIONS, EXCLUSIONS_WITHOUT_PROVISION}),
    Pattern.CLEAN: frozenset(),
    Pattern.ORDINARY: frozenset(),
}


def _truth(history: History) -> GroundTruth:
    counts: defaultdict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    grounds: defaultdict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    problems: defaultdict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    leaver_children = {(r.school_id, r.child_id) for r in history.returns if r.return_type is ReturnType.LEAVER}
    for r in history.returns:
        if r.rejected:
            key = (r.school_id, _school_year_of(r.submitted_at.date()))
            counts[key]["rejected"] += 1
            problems[key].update(r.problems)
            continue
        key = (r.school_id, _school_year_of(r.effective_date))
        prefix = "joiners" if r.return_type is ReturnType.JOINER else "leavers"
        verdict = "standard_transition" if r.late is None else "late" if r.late else "on_time"
        counts[key][f"{prefix}_{verdict}"] += 1
        if r.return_type is ReturnType.JOINER:
            previous = r.previous_school_id
            if r.late is not None and previous is not None and (previous, r.child_id) not in leaver_children:
                counts[(previous, key[1])]["deletions_without_return"] += 1
            continue
        assert r.ground is not None
        grounds[key][r.ground.code_2024] += 1
        counts[key]["leavers"] += 1
        counts[key]["ehe_leavers_years_10_11"] += r.ground is Ground.EHE and r.nc_year in {10, 11}
        counts[key]["leavers_before_census"] += r.before_census
        counts[key]["whereabouts_unknown_leavers"] += r.ground.whereabouts_unknown
        counts[key]["exclusions"] += r.ground is Ground.EXCLUDED
        counts[key]["exclusions_without_provision"] += r.ground is Ground.EXCLUDED and r.ap_taken_up is False

    years = tuple(range(history.first.year, history.last.year))
    by_school_year: dict[tuple[str, int], SchoolYearTruth] = {}
    for plan in history.schools:
        for year in years:
            key = (plan.school_id, year)
            c = counts[key]
            by_school_year[key] = SchoolYearTruth(
                school_id=plan.school_id,
                school_year=year,
                joiners_on_time=c["joiners_on_time"],
                joiners_late=c["joiners_late"],
                joiners_standard_transition=c["joiners_standard_transition"],
                leavers_on_time=c["leavers_on_time"],
                leavers_late=c["leavers_late"],
                leavers_standard_transition=c["leavers_standard_transition"],
                leavers_by_ground=dict(grounds[key]),
                rejected=c["rejected"],
                rejected_by_problem=dict(problems[key]),
                deletions_without_return=c["deletions_without_return"],
                leavers=c["leavers"],
                ehe_leavers_years_10_11=c["ehe_leavers_years_10_11"],
                leavers_before_census=c["leavers_before_census"],
                whereabouts_unknown_leavers=c["whereabouts_unknown_leavers"],
                exclusions=c["exclusions"],
                exclusions_without_provision=c["exclusions_without_provision"],
                expected_signals=_PLANTED_SIGNALS[plan.pattern],
            )

    # Each case counts on the census days from its opening to its closing (both inclusive) while its child is in
    # Year 11 or below; a child is counted once a day.
    censuses = sorted(census for year in years for census in _census_days(year))
    children_on: list[set[UUID]] = [set() for _ in censuses]
    for case in history.cases:
        opened = case.opened_at.date()
        closed = case.closed_at.date() if case.closed_at else None
        for index in range(bisect_left(censuses, opened), len(censuses)):
            census = censuses[index]
            if closed is not None and closed < census:
                break
            if case.nc_year + _school_year_of(census) - _school_year_of(opened) <= 11:
                children_on[index].add(case.child_id)
    cme_on_census = {census: len(children) for census, children in zip(censuses, children_on, strict=True)}

    return GroundTruth(
        late_school=LATE_SCHOOL,
        off_rolling_school=OFF_ROLLING_SCHOOL,
        whereabouts_school=WHEREABOUTS_SCHOOL,
        clean_school=CLEAN_SCHOOL,
        school_years=years,
        by_school_year=by_school_year,
        expected_signals={plan.school_id: _PLANTED_SIGNALS[plan.pattern] for plan in history.schools},
        cases=len(history.cases),
        cme_on_census=cme_on_census,
    )


# --------------------------------------------------------------------------------------------------------- events


class _Events:
    """Builds each record's contract events, reusing the frozen parts several events share."""

    _CHILD_CACHE_LIMIT = 20_000

    def __init__(self, history: History) -> None:
        self.history = history
        self.plans = {plan.school_id: plan for plan in history.schools}
        self.children: dict[tuple[UUID, type[Child]], Child] = {}
        self.schools: dict[str, School] = {}
        self.grounds: dict[str, LeavingGround] = {}
        self.education = {value: EducationStatus(ap_taken_up=value) for value in (None, True, False)}
        self.safeguarding = {
            (ehcp, social_care): Safeguarding(ehcp=ehcp, child_in_need=social_care, open_to_social_care=social_care)
            for ehcp in (False, True)
            for social_care in (False, True)
        }

    def make(self, model: type[_M], **fields: Any) -> _M:
        return model(**fields)

    def stream(self) -> Iterator[HistoryEvent]:
        plan: list[tuple[datetime, int, Any, str]] = []
        for order, r in enumerate(self.history.returns):
            plan.append((r.submitted_at, order * 4, r, "return"))
        cases_by_submission = {c.submission_id: c for c in self.history.cases if c.submission_id}
        base = len(plan) * 4
        for order, c in enumerate(self.history.cases):
            # A case from another agency's referral starts with the referral, three minutes before it opens.
            first_event = c.opened_at if c.submission_id else c.opened_at - timedelta(minutes=3)
            plan.append((first_event, base + order, c, "case"))
        plan.sort(key=lambda item: (item[0], item[1]))
        pending: list[tuple[datetime, int, HistoryEvent]] = []
        sequence = 0
        for at, _, record, what in plan:
            while pending and pending[0][0] <= at:
                yield heapq.heappop(pending)[2]
            events = self.for_return(record, cases_by_submission) if what == "return" else self.for_case(record)
            for event in events:
                sequence += 1
                heapq.heappush(pending, (event.at, sequence, event))
        while pending:
            yield heapq.heappop(pending)[2]

    def child(self, child_id: UUID, sex: str, model: type[Child] = Child) -> Child:
        found = self.children.get((child_id, model))
        if found is not None:
            return found
        if len(self.children) > self._CHILD_CACHE_LIMIT:
            self.children.clear()
        # Invented names drawn from the child id's bits: the same child always has the same name.
        bits = child_id.int
        family = "".join(_SYLLABLES[(bits >> (8 * k)) % len(_SYLLABLES)] for k in range(1, 4)).capitalize()
        made = self.make(
            model,
            given_name=_GIVEN[bits % len(_GIVEN)],
            family_name=family,
            date_of_birth=self.history.date_of_birth(child_id),
            sex=sex,
        )
        self.children[(child_id, model)] = made
        return made

    def school(self, school_id: str | None) -> School | None:
        if school_id is None:
            return None
        if school_id not in self.schools:
            plan = self.plans.get(school_id)
            self.schools[school_id] = School(establishment_id=school_id, name=plan.name if plan else None)
        return self.schools[school_id]

    def ground(self, code: str) -> LeavingGround:
        if code not in self.grounds:
            self.grounds[code] = LeavingGround(
                code=code,
                legal_source=LegalSource.REGS_2024 if code.startswith("9") else LegalSource.REGS_2006,
                equivalents=GROUNDS_BY_CODE[code].equivalents,
            )
        return self.grounds[code]

    def for_return(self, r: SchoolReturn, cases: Mapping[str, CaseRecord]) -> list[HistoryEvent]:
        school = self.school(r.school_id)
        child = self.child(r.child_id, r.sex, SchoolReturnChild)
        common: dict[str, Any] = {
            "submission_id": r.submission_id,
            "submitted_at": r.submitted_at,
            "school": school,
            "child": child,
        }
        submitted: Event
        if r.return_type is ReturnType.JOINER:
            year_group = "R" if r.nc_year == 0 else str(r.nc_year)
            submitted = self.make(
                JoinerSubmitted,
                **common,
                start_date=r.effective_date,
                year_group=year_group,
                previous_school=self.school(r.previous_school_id),
            )
        else:
            assert r.ground is not None
            documents = (
                ()
                if "documents" in r.problems
                else tuple(
                    self.make(Document, kind=kind, reference=f"{r.submission_id}-{kind.value}")
                    for kind in _DOCUMENTS.get(r.ground, ())
                )
            )
            submitted = self.make(
                LeaverSubmitted,
                **common,
                leaving_date=r.effective_date,
                leaving_reason=r.ground.code(r.effective_date),
                destination=self.make(Destination, school_id=r.destination_school_id)
                if r.destination_school_id
                else None,
                documents=documents,
            )
        out = [HistoryEvent(r.submitted_at, r.submission_id, submitted)]
        decided_at = r.submitted_at + timedelta(minutes=2)
        if r.rejected:
            problems = tuple(self.make(Problem, field=name, message=_PROBLEMS[name]) for name in r.problems)
            rejection = self.make(
                SubmissionRejected,
                submission_id=r.submission_id,
                submission_type=r.return_type.value,
                rejected_at=r.submitted_at + timedelta(seconds=1),
                problems=problems,
                school_id=r.school_id,
            )
            return [*out, HistoryEvent(r.submitted_at + timedelta(seconds=1), r.submission_id, rejection)]
        assert r.referral_id is not None
        key = str(r.child_id)
        plain_child = self.child(r.child_id, r.sex)
        ground = self.ground(r.ground.code(r.effective_date)) if r.ground is not None else None
        kind = ReferralKind.JOINER if r.return_type is ReturnType.JOINER else ReferralKind.LEAVER
        received_at = r.submitted_at + timedelta(minutes=1)
        education = self.education[r.ap_taken_up]
        destination = self.make(Destination, school_id=r.destination_school_id) if r.destination_school_id else None
        referral = self.make(
            ReferralReceived,
            referral_id=r.referral_id,
            child_id=r.child_id,
            submission_id=r.submission_id,
            kind=kind,
            received_at=received_at,
            referral_date=r.effective_date,
            child=plain_child,
            school=school,
            leaving_ground=ground,
            destination=destination,
            education=education,
            previous_school=self.school(r.previous_school_id) if kind is ReferralKind.JOINER else None,
        )
        out.append(HistoryEvent(received_at, key, referral))
        case = cases.get(r.submission_id)
        track, is_cme = _triage(r)
        decision = self.make(
            TriageDecided,
            decision_id=UUID(int=r.referral_id.int ^ 1),
            referral_id=r.referral_id,
            child_id=r.child_id,
            decided_at=decided_at,
            is_cme=is_cme,
            track=track,
            priority=case.priority if case else Priority.P3,
            whereabouts_unknown=bool(r.ground and r.ground.whereabouts_unknown),
            joint_enquiries_required=bool(r.ground and r.ground.whereabouts_unknown),
            reasons=("generated history",),
            rules_version="history",
            kind=kind,
            child=plain_child,
            school=school,
            leaving_ground=ground,
            destination=destination,
        )
        out.append(HistoryEvent(decided_at, key, decision))
        return out

    def for_case(self, c: CaseRecord) -> list[HistoryEvent]:
        key = str(c.child_id)
        child = self.child(c.child_id, c.sex)
        school = self.school(c.school_id)
        safeguarding = self.safeguarding[(c.ehcp, c.social_care)]
        out: list[HistoryEvent] = []
        if c.submission_id is None:
            # Other agencies' referrals: intake's referral and triage's decision come first.
            received = c.opened_at - timedelta(minutes=3)
            referrer = self.make(Referrer, organisation_type=_REFERRERS[c.kind])
            out.append(
                HistoryEvent(
                    received,
                    key,
                    self.make(
                        ReferralReceived,
                        referral_id=c.referral_id,
                        child_id=c.child_id,
                        submission_id=f"ref-{c.referral_id}",
                        kind=c.kind,
                        received_at=received,
                        referral_date=received.date(),
                        child=child,
                        safeguarding=safeguarding,
                        referrer=referrer,
                    ),
                )
            )
            decided = c.opened_at - timedelta(minutes=1)
            out.append(
                HistoryEvent(
                    decided,
                    key,
                    self.make(
                        TriageDecided,
                        decision_id=UUID(int=c.referral_id.int ^ 1),
                        referral_id=c.referral_id,
                        child_id=c.child_id,
                        decided_at=decided,
                        is_cme=True,
                        track=c.track,
                        priority=c.priority,
                        reasons=("generated history",),
                        rules_version="history",
                        kind=c.kind,
                        child=child,
                        safeguarding=safeguarding,
                    ),
                )
            )
        out.append(
            HistoryEvent(
                c.opened_at,
                key,
                self.make(
                    CaseOpened,
                    case_id=c.case_id,
                    child_id=c.child_id,
                    referral_id=c.referral_id,
                    opened_at=c.opened_at,
                    priority=c.priority,
                    track=c.track,
                    due_date=(c.opened_at + timedelta(days=10)).date(),
                    child=child,
                    school=school,
                    safeguarding=safeguarding,
                ),
            )
        )
        allocated = c.opened_at + timedelta(days=1)
        out.append(
            HistoryEvent(
                allocated,
                key,
                self.make(
                    CaseUpdated,
                    case_id=c.case_id,
                    child_id=c.child_id,
                    updated_at=allocated,
                    change="allocated",
                    summary="Allocated to an officer",
                    status="allocated",
                    priority=c.priority,
                    officer_id=f"officer-{c.case_id.int % 7 + 1}",
                ),
            )
        )
        if c.escalated_at is not None:
            out.append(
                HistoryEvent(
                    c.escalated_at,
                    key,
                    self.make(
                        CaseEscalated,
                        case_id=c.case_id,
                        child_id=c.child_id,
                        escalated_at=c.escalated_at,
                        kind=EscalationKind.MISSING_MONDAYS,
                        cme_score=5,
                        safeguarding_score=1 if c.review_band is RiskBand.LO else 4,
                        escalated_by=f"officer-{c.case_id.int % 7 + 1}",
                    ),
                )
            )
            if c.review_band is not None:
                review_id = UUID(int=c.case_id.int ^ 2)
                meeting = c.escalated_at + timedelta(days=7 - c.escalated_at.weekday())
                low = c.review_band is RiskBand.LO
                out.append(
                    HistoryEvent(
                        meeting,
                        key,
                        self.make(
                            ReviewDecided,
                            review_id=review_id,
                            case_id=c.case_id,
                            child_id=c.child_id,
                            decided_at=meeting,
                            cme_score=5,
                            safeguarding_score=1 if low else 4,
                            risk_band=c.review_band,
                            may_close=low,
                            needs_senior_sign_off=True,
                            recommendation="Close" if low else "Keep open",
                        ),
                    )
                )
                signed = c.escalated_at + timedelta(days=13) if low else meeting + timedelta(days=7)
                out.append(
                    HistoryEvent(
                        signed,
                        key,
                        self.make(
                            ReviewSignedOff,
                            review_id=review_id,
                            case_id=c.case_id,
                            child_id=c.child_id,
                            signed_off_at=signed,
                            risk_band=c.review_band,
                            cme_score=5,
                            safeguarding_score=1 if low else 4,
                            decision=ClosureDecision.CLOSE if low else ClosureDecision.REMAIN_OPEN,
                            senior_officer_id="senior-1",
                            senior_officer_name="Senior Officer",
                            senior_officer_role="Assistant Director",
                        ),
                    )
                )
        if c.located_at is not None:
            out.append(
                HistoryEvent(
                    c.located_at,
                    key,
                    self.make(
                        CaseUpdated,
                        case_id=c.case_id,
                        child_id=c.child_id,
                        updated_at=c.located_at,
                        change="child_located",
                        summary="Child located",
                        status="enquiries",
                        priority=c.priority,
                    ),
                )
            )
        if c.closed_at is not None:
            out.append(
                HistoryEvent(
                    c.closed_at,
                    key,
                    self.make(
                        CaseClosed,
                        case_id=c.case_id,
                        child_id=c.child_id,
                        closed_at=c.closed_at,
                        reason=c.close_reason or "other",
                        closed_by=f"officer-{c.case_id.int % 7 + 1}",
                    ),
                )
            )
        return out


_REFERRERS: Mapping[ReferralKind, OrganisationType] = {
    ReferralKind.PROFESSIONAL_REFERRAL: OrganisationType.HEALTH,
    ReferralKind.LA_ENQUIRY: OrganisationType.OTHER_LOCAL_AUTHORITY,
    ReferralKind.SOCIAL_CARE_NO_EDUCATION: OrganisationType.SOCIAL_CARE,
}


def _triage(r: SchoolReturn) -> tuple[Track, bool]:
    """Triage's reading of a return, as the suite's rules give it for these grounds."""
    if r.return_type is ReturnType.JOINER:
        return Track.NO_ACTION, False
    match r.ground:
        case Ground.TRANSFER:
            return Track.WATCH_FOR_JOINER, False
        case Ground.EHE:
            return Track.EHE, False
        case Ground.CEASING_CSA:
            return Track.POST_16, False
        case Ground.EXCLUDED:
            return Track.EXCLUSION_AP, r.ap_taken_up is False
        case _:
            return Track.CME_ENQUIRY, True
