"""The DfE termly return on children missing education, its census days and the school terms.

Sources (found with the project's search tool, December 2026):

- The collection's landing page, "Elective home education and children missing education: submit your data"
  (GOV.UK; copy at https://www.fenews.co.uk/resources/elective-home-education-and-children-missing-education-submit-your-data/):
  a termly aggregate return made through DfE COLLECT, census dates Thursday 6 October 2022, Thursday 19
  January 2023 and Thursday 18 May 2023 for 2022/23. The return template it links to (the spreadsheet with
  the data items) could NOT be found, so its exact cells are not implemented.
- What DfE publishes from the returns, "Children missing education" on explore-education-statistics
  (methodology, and the data guidance of the autumn 2024/25 and 2025/26 releases, file cme_census.csv):
  the number of children missing education on the census date, by sex, by year group and by length of
  time missing education (added autumn 2023), the primary reason for CME (added autumn 2023, five more
  reasons in autumn 2025), and the number missing education at any time in the academic year. The
  published columns are time_period (e.g. 202526), time_identifier ("Autumn term"), breakdown_topic,
  breakdown and child_count. The collection became mandatory in autumn 2024.

So the CSV below follows the published data set's shape (one row per breakdown, the same column names for
the same things) and its breakdowns, with each figure's definition beside the code that counts it. Chosen
where the guide could not be read: the length-of-time bands (`LENGTH_BANDS`), and no "primary reason"
breakdown, because DfE's reason categories were not found and the suite's tracks are not a faithful
mapping onto them.

Pure: no I/O. The reporting service writes the text this module returns.
"""

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from uuid import UUID

import holidays

from services.reporting.domain.facts import RECEPTION, CaseFact, school_year_of

_THURSDAY = 3
_LAST_YEAR_OF_COMPULSORY_SCHOOL_AGE = 11


class Season(StrEnum):
    AUTUMN = "autumn"
    SPRING = "spring"
    SUMMER = "summer"


_SEASONS = (Season.AUTUMN, Season.SPRING, Season.SUMMER)


@cache
def _easter_monday(year: int) -> date:
    # England's bank holidays include Easter Monday, so the holidays library (already the project's source of
    # bank holidays) gives Easter without a hand-written computus.
    (day,) = holidays.country_holidays("GB", subdiv="ENG", years=year).get_named("Easter Monday", lookup="exact")
    return day


@dataclass(frozen=True, order=True, slots=True)
class Term:
    """A school term: autumn (1 September to 31 December), spring (1 January to Easter Sunday) and summer
    (Easter Monday to 31 August), the split DfE's census terms use, on the 1 September school year."""

    school_year: int
    """The calendar year the school year starts in (2024 for 2024/25)."""
    position: int
    """0 autumn, 1 spring, 2 summer: orders terms within a school year."""

    @classmethod
    def of(cls, day: date) -> "Term":
        year = school_year_of(day)
        if day.month >= 9:
            return cls(year, 0)
        return cls(year, 1) if day < _easter_monday(day.year) else cls(year, 2)

    @classmethod
    def named(cls, season: Season, school_year: int) -> "Term":
        return cls(school_year, _SEASONS.index(season))

    @property
    def season(self) -> Season:
        return _SEASONS[self.position]

    @property
    def first_day(self) -> date:
        if self.position == 0:
            return date(self.school_year, 9, 1)
        if self.position == 1:
            return date(self.school_year + 1, 1, 1)
        return _easter_monday(self.school_year + 1)

    @property
    def last_day(self) -> date:
        if self.position == 0:
            return date(self.school_year, 12, 31)
        if self.position == 1:
            return _easter_monday(self.school_year + 1) - timedelta(days=1)
        return date(self.school_year + 1, 8, 31)

    @property
    def time_period(self) -> str:
        """DfE's academic-year code: "202425" for 2024/25."""
        return f"{self.school_year}{(self.school_year + 1) % 100:02d}"

    @property
    def time_identifier(self) -> str:
        """DfE's term label: "Autumn term"."""
        return f"{self.season.value.capitalize()} term"

    @property
    def label(self) -> str:
        """For people: "Autumn 2024/25"."""
        return f"{self.season.value.capitalize()} {self.school_year}/{(self.school_year + 1) % 100:02d}"

    def next(self) -> "Term":
        return Term(self.school_year, self.position + 1) if self.position < 2 else Term(self.school_year + 1, 0)


def _nth_thursday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(_THURSDAY - first.weekday()) % 7 + 7 * (n - 1))


def census_day(term: Term, overrides: Mapping[Term, date] | None = None) -> date:
    """The census day of a term.

    Rule: the school census days, which the EHE and CME collection uses: autumn the first Thursday of
    October, spring the third Thursday of January, summer the third Thursday of May. Checked against the
    collection's published 2022/23 dates (6 October 2022, 19 January 2023, 18 May 2023) and the school census
    dates of 2024/25 (3 October 2024, 16 January 2025, 15 May 2025). DfE publishes the dates each year and
    has moved a census day before; `overrides` takes a published date in place of the rule.
    """
    if overrides and term in overrides:
        return overrides[term]
    if term.season is Season.AUTUMN:
        return _nth_thursday(term.school_year, 10, 1)
    if term.season is Season.SPRING:
        return _nth_thursday(term.school_year + 1, 1, 3)
    return _nth_thursday(term.school_year + 1, 5, 3)


def census_days_between(first: date, last: date) -> list[date]:
    """Every census day from `first` to `last`, both inclusive, in order."""
    days: list[date] = []
    term = Term(school_year_of(first) - 1, 0)
    while True:
        day = census_day(term)
        if day > last:
            return days
        if day >= first:
            days.append(day)
        term = term.next()


# ---------------------------------------------------------------------------------------------------- the return


@dataclass(frozen=True, slots=True)
class LengthBand:
    label: str
    min_days: int
    max_days: int | None
    """Exclusive upper bound in calendar days; None for the open-ended last band."""


LENGTH_BANDS: tuple[LengthBand, ...] = (
    LengthBand("Less than 4 weeks", 0, 28),
    LengthBand("4 weeks to less than 3 months", 28, 91),
    LengthBand("3 months to less than 6 months", 91, 182),
    LengthBand("6 months to less than 12 months", 182, 365),
    LengthBand("12 months or more", 365, None),
)
"""Chosen bands for "length of time missing education at census date" (the guide's own bands were not found):
calendar days from the day the LA identified the child as missing education (the case opened) to the census
day, the first band matching."""

_SEX_LABELS: Mapping[str, str] = {"F": "Female", "M": "Male"}
UNKNOWN = "Unknown"

CSV_HEADER: tuple[str, ...] = (
    "time_period",
    "time_identifier",
    "census_date",
    "new_la_code",
    "breakdown_topic",
    "breakdown",
    "child_count",
)


@dataclass(frozen=True, slots=True)
class DfeRow:
    breakdown_topic: str
    breakdown: str
    child_count: int


@dataclass(frozen=True, slots=True)
class DfeReturn:
    term: Term
    census_date: date
    la_code: str
    rows: tuple[DfeRow, ...]

    def count(self, topic: str, breakdown: str) -> int:
        for row in self.rows:
            if row.breakdown_topic == topic and row.breakdown == breakdown:
                return row.child_count
        raise KeyError(f"no row {topic!r} / {breakdown!r}")


def _nc_year_at(case: CaseFact, day: date) -> int | None:
    # The case keeps the NC year at opening; children move up a year each 1 September.
    if case.nc_year is None:
        return None
    return case.nc_year + school_year_of(day) - school_year_of(case.opened_on)


def _of_compulsory_school_age(case: CaseFact, day: date) -> bool:
    # Compulsory school age ends on the last Friday of June of Year 11, after every census day of that year,
    # so a child in Year 11 or below on a census day is counted; a child whose year is unknown is counted too
    # (triage only finds a child of compulsory school age missing education).
    year = _nc_year_at(case, day)
    return year is None or year <= _LAST_YEAR_OF_COMPULSORY_SCHOOL_AGE


def missing_education_on(cases: Iterable[CaseFact], day: date) -> dict[UUID, CaseFact]:
    """CME on census date: distinct children with a case triage found missing education (is_cme) that had
    opened on or before the day and had not closed before it (a case closed on the census day still counts:
    the child was missing education on that day), of compulsory school age on the day. One child with two
    such cases counts once (the earlier-opened case is kept: it gives the length of time)."""
    found: dict[UUID, CaseFact] = {}
    for case in cases:
        if not case.is_cme or case.opened_on > day:
            continue
        if case.closed_on is not None and case.closed_on < day:
            continue
        if not _of_compulsory_school_age(case, day):
            continue
        kept = found.get(case.child_id)
        if kept is None or case.opened_on < kept.opened_on:
            found[case.child_id] = case
    return found


def _length_band(days: int) -> str:
    for band in LENGTH_BANDS:
        if days >= band.min_days and (band.max_days is None or days < band.max_days):
            return band.label
    raise ValueError("a length of time cannot be negative")


def _year_group_label(year: int | None) -> str:
    if year is None:
        return UNKNOWN
    return "Reception" if year == RECEPTION else f"Year {year}"


def dfe_return(
    cases: Sequence[CaseFact], term: Term, la_code: str, census_overrides: Mapping[Term, date] | None = None
) -> DfeReturn:
    """The CME figures of the termly return for one term's census day."""
    census = census_day(term, census_overrides)
    on_census = missing_education_on(cases, census)
    rows: list[DfeRow] = []

    # Total: CME on census date (definition in `missing_education_on`).
    rows.append(DfeRow("Total", "Total", len(on_census)))

    # Sex: the CME on census date by the sex the referral recorded; anything but F or M (U, blank) is Unknown.
    by_sex = {label: 0 for label in (*_SEX_LABELS.values(), UNKNOWN)}
    for case in on_census.values():
        by_sex[_SEX_LABELS.get((case.sex or "").upper(), UNKNOWN)] += 1
    rows.extend(DfeRow("Sex", label, count) for label, count in by_sex.items())

    # Year group: the CME on census date by National Curriculum year on the census day (year at opening, plus
    # one for each 1 September since); Reception to Year 11, then Unknown when no date of birth was given.
    year_labels = [_year_group_label(year) for year in range(RECEPTION, _LAST_YEAR_OF_COMPULSORY_SCHOOL_AGE + 1)]
    by_year = {label: 0 for label in (*year_labels, UNKNOWN)}
    for case in on_census.values():
        year = _nc_year_at(case, census)
        label = _year_group_label(year if year is not None and year >= RECEPTION else None)
        by_year[label] += 1
    rows.extend(DfeRow("Year group", label, count) for label, count in by_year.items())

    # Length of time missing education: calendar days from the case opening (the day the LA identified the
    # child as missing education) to the census day, in LENGTH_BANDS.
    by_length = {band.label: 0 for band in LENGTH_BANDS}
    for case in on_census.values():
        by_length[_length_band((census - case.opened_on).days)] += 1
    rows.extend(DfeRow("Length of time missing education", label, count) for label, count in by_length.items())

    # CME at any time in the academic year: distinct children missing education on any day from 1 September
    # of the school year to the census day, i.e. an is_cme case opened on or before the census day and not
    # closed before 1 September (compulsory school age judged on the census day).
    year_start = date(term.school_year, 9, 1)
    at_any_time = {
        case.child_id
        for case in cases
        if case.is_cme
        and case.opened_on <= census
        and (case.closed_on is None or case.closed_on >= year_start)
        and _of_compulsory_school_age(case, census)
    }
    rows.append(DfeRow("CME at any time in the academic year to the census date", "Total", len(at_any_time)))

    return DfeReturn(term=term, census_date=census, la_code=la_code, rows=tuple(rows))


def to_csv(report: DfeReturn) -> str:
    """The return as CSV text: CSV_HEADER, then one line per row; RFC 4180 quoting, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in report.rows:
        writer.writerow(
            (
                report.term.time_period,
                report.term.time_identifier,
                report.census_date.isoformat(),
                report.la_code,
                row.breakdown_topic,
                row.breakdown,
                row.child_count,
            )
        )
    return buffer.getvalue()
