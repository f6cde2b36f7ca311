"""From the event topics to the facts: replaying the generated history's events through `FactsFromEvents` gives
the rules what the generator's own records give, so the planted schools are flagged from the events alone."""

from datetime import date
from functools import cache

import pytest

from services.reporting.domain.dfe_return import Term, dfe_return
from services.reporting.domain.facts import FactsFromEvents
from services.reporting.domain.schools import SchoolDays, assess_schools
from tests.support.reporting_history import History, generate_history


@cache
def _history() -> History:
    return generate_history()


@cache
def _fold() -> FactsFromEvents:
    fold = FactsFromEvents()
    for item in _history().events():
        fold.add(item.event)
    return fold


def test_the_events_give_the_same_facts_as_the_records() -> None:
    direct = _history().facts()
    assert sorted(_fold().submissions(), key=lambda f: f.submission_id) == sorted(
        direct.submissions, key=lambda f: f.submission_id
    )
    assert sorted(_fold().exclusions(), key=lambda f: str(f.child_id)) == sorted(
        direct.exclusions, key=lambda f: str(f.child_id)
    )
    from_events = {fact.case_id: fact for fact in _fold().cases()}
    for fact in direct.cases:
        mapped = from_events[fact.case_id]
        assert (mapped.child_id, mapped.opened_on, mapped.closed_on, mapped.close_reason) == (
            fact.child_id,
            fact.opened_on,
            fact.closed_on,
            fact.close_reason,
        )
        assert (mapped.nc_year, mapped.sex, mapped.is_cme, mapped.track) == (fact.nc_year, fact.sex, True, fact.track)
    assert len(from_events) == len(direct.cases)


@pytest.mark.parametrize("school_year", [2022, 2025])
def test_the_planted_schools_are_flagged_from_the_events_alone(school_year: int) -> None:
    fold, truth = _fold(), _history().truth
    report = assess_schools(
        fold.submissions(),
        fold.exclusions(),
        date(school_year, 9, 1),
        date(school_year + 1, 8, 31),
        calendar=SchoolDays(),
    )
    for school, expected in truth.expected_signals.items():
        assert {signal.kind.value for signal in report.schools[school].signals} == expected, school
        assert report.schools[school].totals.joiners_late == truth.year(school, school_year).joiners_late


def test_the_dfe_census_counts_from_the_events_equal_the_generators_own() -> None:
    cases, truth = _fold().cases(), _history().truth
    for school_year in truth.school_years:
        for position in range(3):
            report = dfe_return(cases, Term(school_year, position), "885")
            assert report.count("Total", "Total") == truth.cme_on_census[report.census_date]
