"""Schools' reporting habits, off-rolling signals and the DfE termly return, from the read model: the use cases the
internal API, casework's Schools pages and `cme report --census-date` go through."""

from dataclasses import dataclass
from datetime import date

from cme_runtime.clock import Clock
from cme_runtime.db import Transaction
from services.reporting.adapters.school_facts import SchoolFacts
from services.reporting.domain.dfe_return import DfeReturn, Term, census_day, dfe_return
from services.reporting.domain.facts import school_year_of
from services.reporting.domain.pack import LONDON
from services.reporting.domain.schools import SchoolsReport, SchoolView, TermHabits, assess_schools


class UnknownCensusDate(ValueError):
    """The date given is not the census day of its term (the rule, first Thursday of October, third of January or
    May); the message says which day is."""


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date


class SchoolsService:
    def __init__(self, facts: SchoolFacts, clock: Clock) -> None:
        self.facts = facts
        self.clock = clock

    def default_period(self) -> Period:
        """The last school year and this one so far: always at least one whole school year (every term and census
        day), which the yearly quotas behind the signals need, plus the terms since."""
        today = self.clock().astimezone(LONDON).date()
        return Period(date(school_year_of(today) - 1, 9, 1), today)

    async def report(self, tx: Transaction, first: date, last: date) -> SchoolsReport:
        """Every school's habits and signals over `first`..`last`, ranked."""
        submissions = await self.facts.submissions(tx)
        exclusions = await self.facts.exclusions(tx)
        return assess_schools(submissions, exclusions, first, last)

    async def school(self, tx: Transaction, school_id: str, first: date, last: date) -> SchoolView:
        """One school's page; a school that sent nothing in the period (or was never heard of) has empty terms and
        no signals: a school id is not personal data, and "nothing received" is itself the answer."""
        view = (await self.report(tx, first, last)).schools.get(school_id)
        if view is None:
            return SchoolView(school_id=school_id, terms=(), signals=(), totals=TermHabits(school_id, Term.of(first)))
        return view

    def latest_census_day(self) -> date:
        """The most recent census day on or before today (the return a team makes next or has just made)."""
        today = self.clock().astimezone(LONDON).date()
        term = Term.of(today)
        while census_day(term) > today:
            term = Term(term.school_year - 1, 2) if term.position == 0 else Term(term.school_year, term.position - 1)
        return census_day(term)

    async def dfe_return(self, tx: Transaction, census_date: date, la_code: str) -> DfeReturn:
        """The DfE return for the term whose census day is `census_date`."""
        term = Term.of(census_date)
        expected = census_day(term)
        if expected != census_date:
            raise UnknownCensusDate(
                f"{census_date.isoformat()} is not a census day: the {term.label} census day is {expected.isoformat()}"
            )
        return dfe_return(await self.facts.cases(tx), term, la_code)
