"""The DfE termly return: census days, terms, the CME figures and the CSV."""

from datetime import date
from functools import cache
from uuid import UUID

import pytest

from services.reporting.domain.dfe_return import (
    CSV_HEADER,
    LENGTH_BANDS,
    DfeReturn,
    Season,
    Term,
    census_day,
    census_days_between,
    dfe_return,
    missing_education_on,
    to_csv,
)
from services.reporting.domain.facts import CaseFact
from tests.support.reporting_history import History, generate_history


@cache
def _history() -> History:
    return generate_history()


def case(
    number: int,
    opened: date,
    closed: date | None = None,
    *,
    nc_year: int | None = 5,
    sex: str | None = "F",
    is_cme: bool = True,
    child: int | None = None,
) -> CaseFact:
    return CaseFact(
        case_id=UUID(int=number),
        child_id=UUID(int=1000 + (child if child is not None else number)),
        opened_on=opened,
        is_cme=is_cme,
        track="cme_enquiry" if is_cme else "ehe",
        closed_on=closed,
        nc_year=nc_year,
        sex=sex,
    )


@pytest.mark.parametrize(
    ("term", "published"),
    [
        # The collection's published 2022/23 census dates.
        (Term.named(Season.AUTUMN, 2022), date(2022, 10, 6)),
        (Term.named(Season.SPRING, 2022), date(2023, 1, 19)),
        (Term.named(Season.SUMMER, 2022), date(2023, 5, 18)),
        # The school census dates of 2024/25.
        (Term.named(Season.AUTUMN, 2024), date(2024, 10, 3)),
        (Term.named(Season.SPRING, 2024), date(2025, 1, 16)),
        (Term.named(Season.SUMMER, 2024), date(2025, 5, 15)),
    ],
)
def test_census_days_follow_the_published_dates(term: Term, published: date) -> None:
    assert census_day(term) == published
    assert published.weekday() == 3


def test_a_published_census_day_overrides_the_rule() -> None:
    term = Term.named(Season.SPRING, 2026)
    assert census_day(term, {term: date(2027, 1, 14)}) == date(2027, 1, 14)
    assert census_day(term) == date(2027, 1, 21)


def test_terms_split_at_1_september_1_january_and_easter_monday() -> None:
    assert Term.of(date(2025, 9, 1)) == Term(2025, 0)
    assert Term.of(date(2025, 12, 31)) == Term(2025, 0)
    assert Term.of(date(2026, 1, 1)) == Term(2025, 1)
    assert Term.of(date(2026, 4, 5)) == Term(2025, 1)  # Easter Sunday 2026
    assert Term.of(date(2026, 4, 6)) == Term(2025, 2)  # Easter Monday
    assert Term.of(date(2026, 8, 31)) == Term(2025, 2)
    assert Term(2025, 1).last_day == date(2026, 4, 5)
    assert Term(2025, 2).first_day == date(2026, 4, 6)
    assert Term(2025, 2).next() == Term(2026, 0)
    assert (Term(2024, 0).time_period, Term(2024, 0).time_identifier, Term(2024, 0).label) == (
        "202425",
        "Autumn term",
        "Autumn 2024/25",
    )
    assert census_days_between(date(2025, 9, 1), date(2026, 8, 31)) == [
        date(2025, 10, 2),
        date(2026, 1, 15),
        date(2026, 5, 21),
    ]


def test_who_counts_as_missing_education_on_the_census_day() -> None:
    census = date(2025, 10, 2)
    cases = [
        case(1, date(2025, 9, 1)),  # open: counts
        case(2, date(2025, 9, 1), closed=census),  # closed on the day: was missing education that day
        case(3, date(2025, 9, 1), closed=date(2025, 10, 1)),  # closed the day before: does not count
        case(4, date(2025, 10, 3)),  # opened after: does not count
        case(5, date(2025, 9, 1), is_cme=False),  # not missing education (EHE): does not count
        case(6, date(2024, 9, 1), nc_year=11),  # Year 11 last year, Year 12 now: past compulsory school age
        case(7, date(2025, 6, 1), child=1),  # the same child as case 1: counted once
    ]
    found = missing_education_on(cases, census)
    assert sorted(c.case_id.int for c in found.values()) == [2, 7]
    assert len(found) == 2


def test_a_known_small_case_gives_this_csv() -> None:
    term = Term.named(Season.AUTUMN, 2025)  # census Thursday 2 October 2025
    cases = [
        case(1, date(2025, 9, 29), nc_year=0, sex="F"),  # 3 days: less than 4 weeks, Reception
        case(2, date(2025, 6, 2), nc_year=6, sex="M"),  # Year 6 in 2024/25, so Year 7 on the census day; 122 days
        case(3, date(2024, 9, 10), nc_year=9, sex=None),  # Year 10 now; 387 days
        case(4, date(2025, 1, 6), closed=date(2025, 7, 1), nc_year=3, sex="F"),  # closed before: the year only
        case(5, date(2025, 9, 15), closed=date(2025, 9, 20), nc_year=None, sex="U"),  # closed in the year
    ]
    report = dfe_return(cases, term, "885")
    assert report.census_date == date(2025, 10, 2)
    text = to_csv(report)
    lines = text.split("\r\n")
    assert lines[0] == ",".join(CSV_HEADER)
    assert lines[0] == "time_period,time_identifier,census_date,new_la_code,breakdown_topic,breakdown,child_count"
    prefix = "202526,Autumn term,2025-10-02,885,"
    assert lines[1] == prefix + "Total,Total,3"
    assert lines[2:5] == [prefix + "Sex,Female,1", prefix + "Sex,Male,1", prefix + "Sex,Unknown,1"]
    assert lines[5] == prefix + "Year group,Reception,1"
    assert prefix + "Year group,Year 7,1" in lines
    assert prefix + "Year group,Year 10,1" in lines
    assert prefix + "Year group,Unknown,0" in lines
    assert prefix + "Length of time missing education,Less than 4 weeks,1" in lines
    assert prefix + "Length of time missing education,3 months to less than 6 months,1" in lines
    assert prefix + "Length of time missing education,12 months or more,1" in lines
    # Cases 1, 2, 3 open on the day, and 5 open in September: case 4 closed before the year began.
    assert lines[-2] == prefix + "CME at any time in the academic year to the census date,Total,4"
    assert lines[-1] == ""
    assert len(lines) == 1 + 1 + 3 + 13 + len(LENGTH_BANDS) + 1 + 1


def test_breakdowns_add_up_to_the_total() -> None:
    facts = _history().facts()
    report = dfe_return(facts.cases, Term.named(Season.SPRING, 2024), "885")
    total = report.count("Total", "Total")
    for topic in ("Sex", "Year group", "Length of time missing education"):
        assert sum(row.child_count for row in report.rows if row.breakdown_topic == topic) == total


def test_the_planted_historys_census_counts_equal_the_generators_own() -> None:
    history = _history()
    facts = history.facts()
    for school_year in history.truth.school_years:
        for position in range(3):
            report: DfeReturn = dfe_return(facts.cases, Term(school_year, position), "885")
            assert report.count("Total", "Total") == history.truth.cme_on_census[report.census_date]
    assert max(history.truth.cme_on_census.values()) > 10
