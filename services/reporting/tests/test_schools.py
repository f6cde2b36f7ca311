"""Schools' reporting habits and off-rolling signals: the planted history, the App. C exemption, and each
signal's threshold edges."""

import math
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from uuid import UUID, uuid4

import pytest

from services.reporting.domain.dfe_return import Term, census_day
from services.reporting.domain.facts import ExclusionFact, ReturnType, SubmissionFact
from services.reporting.domain.schools import (
    SchoolDays,
    SchoolsReport,
    SignalKind,
    Thresholds,
    Timeliness,
    assess_schools,
    ground_label,
    timeliness,
)
from tests.support.reporting_history import (
    CLEAN_SCHOOL,
    LATE_SCHOOL,
    OFF_ROLLING_SCHOOL,
    WHEREABOUTS_SCHOOL,
    History,
    generate_history,
)

PRIMARY = (0, 6)
SECONDARY = (7, 11)
CALENDAR = SchoolDays()


@cache
def _history() -> History:
    return generate_history()


@cache
def _assessed(school_year: int) -> SchoolsReport:
    facts = _history().facts()
    return assess_schools(
        facts.submissions, facts.exclusions, date(school_year, 9, 1), date(school_year + 1, 8, 31), calendar=CALENDAR
    )


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=UTC)


def joiner(
    start: date, submitted: date, nc_year: int = 3, school: str = "8852100", child: UUID | None = None, **more: object
) -> SubmissionFact:
    return SubmissionFact(
        submission_id=str(uuid4()),
        school_id=school,
        return_type=ReturnType.JOINER,
        submitted_at=_at(submitted),
        effective_date=start,
        child_id=child or uuid4(),
        nc_year=nc_year,
        **more,  # type: ignore[arg-type]
    )


def leaver(
    leaving: date, ground: str = "9(1)(a)", nc_year: int = 9, school: str = "8854100", submitted: date | None = None
) -> SubmissionFact:
    return SubmissionFact(
        submission_id=str(uuid4()),
        school_id=school,
        return_type=ReturnType.LEAVER,
        submitted_at=_at(submitted or leaving),
        effective_date=leaving,
        child_id=uuid4(),
        nc_year=nc_year,
        ground=ground,
        ground_2024=ground,
    )


def kinds(report: SchoolsReport, school: str) -> set[SignalKind]:
    return {signal.kind for signal in report.schools[school].signals}


# ------------------------------------------------------------------------------------------------ planted history


@pytest.mark.parametrize("school_year", [2021, 2023, 2025])
def test_each_school_raises_exactly_the_planted_signals(school_year: int) -> None:
    report = _assessed(school_year)
    truth = _history().truth
    for school, expected in truth.expected_signals.items():
        assert {kind.value for kind in kinds(report, school)} == expected, school
    assert kinds(report, LATE_SCHOOL) == {SignalKind.LATE_NEW_PUPIL_RETURNS}
    assert kinds(report, OFF_ROLLING_SCHOOL) == {SignalKind.EHE_LEAVERS_YEARS_10_11, SignalKind.LEAVERS_BEFORE_CENSUS}
    assert kinds(report, WHEREABOUTS_SCHOOL) == {
        SignalKind.WHEREABOUTS_UNKNOWN_DELETIONS,
        SignalKind.EXCLUSIONS_WITHOUT_DAY6_PROVISION,
    }
    assert kinds(report, CLEAN_SCHOOL) == set()
    assert report.schools[CLEAN_SCHOOL].rank is None


def test_the_ranked_list_puts_the_two_signal_schools_first_and_leaves_clean_schools_out() -> None:
    ranked = _assessed(2022).ranked
    assert {entry.school_id for entry in ranked} == {LATE_SCHOOL, OFF_ROLLING_SCHOOL, WHEREABOUTS_SCHOOL}
    assert [entry.rank for entry in ranked] == [1, 2, 3]
    assert ranked[-1].school_id == LATE_SCHOOL
    assert {entry.school_id for entry in ranked[:2]} == {OFF_ROLLING_SCHOOL, WHEREABOUTS_SCHOOL}
    assert ranked[0].severity >= ranked[1].severity


@pytest.mark.parametrize("school_year", [2021, 2024])
def test_per_school_counts_equal_the_generators_own_counts(school_year: int) -> None:
    report = _assessed(school_year)
    truth = _history().truth
    for school, view in report.schools.items():
        expected = truth.year(school, school_year)
        totals = view.totals
        assert (totals.joiners_on_time, totals.joiners_late, totals.joiners_standard_transition) == (
            expected.joiners_on_time,
            expected.joiners_late,
            expected.joiners_standard_transition,
        ), school
        assert (totals.leavers_on_time, totals.leavers_late, totals.leavers_standard_transition) == (
            expected.leavers_on_time,
            expected.leavers_late,
            expected.leavers_standard_transition,
        ), school
        assert dict(totals.leavers_by_ground) == dict(expected.leavers_by_ground), school
        assert totals.rejected == expected.rejected, school
        assert dict(totals.rejected_by_problem) == dict(expected.rejected_by_problem), school
        assert totals.deletions_without_return == expected.deletions_without_return, school
        # The terms add up to the year.
        assert sum(term.joiners_late for term in view.terms) == expected.joiners_late
        assert all(term.term.school_year == school_year for term in view.terms)


def test_the_late_schools_pupils_found_elsewhere_without_its_leaver_return_count_against_it() -> None:
    report = _assessed(2023)
    assert (
        report.schools[LATE_SCHOOL].totals.deletions_without_return
        == _history().truth.year(LATE_SCHOOL, 2023).deletions_without_return
    )
    assert report.schools[LATE_SCHOOL].totals.deletions_without_return >= 1
    assert report.schools[CLEAN_SCHOOL].totals.deletions_without_return == 0


def test_each_signal_explains_itself_with_its_numbers() -> None:
    report = _assessed(2022)
    truth = _history().truth.year(OFF_ROLLING_SCHOOL, 2022)
    ehe = next(s for s in report.schools[OFF_ROLLING_SCHOOL].signals if s.kind is SignalKind.EHE_LEAVERS_YEARS_10_11)
    assert ehe.count == truth.ehe_leavers_years_10_11
    assert f"{truth.ehe_leavers_years_10_11} of {truth.leavers} leavers" in ehe.explanation
    assert "2 times the area's rate with at least 5" in ehe.explanation
    census = next(s for s in report.schools[OFF_ROLLING_SCHOOL].signals if s.kind is SignalKind.LEAVERS_BEFORE_CENSUS)
    assert census.count == truth.leavers_before_census
    assert f"{truth.leavers_before_census} of {truth.leavers} leavers" in census.explanation


# ------------------------------------------------------------------------------------- the 5-day rule and App. C


def test_a_return_on_the_fifth_school_day_is_on_time_and_on_the_sixth_is_late() -> None:
    start = date(2025, 3, 3)  # a Monday: the fifth school day after it is Monday 10 March
    assert timeliness(joiner(start, date(2025, 3, 10)), CALENDAR, PRIMARY) is Timeliness.ON_TIME
    assert timeliness(joiner(start, date(2025, 3, 11)), CALENDAR, PRIMARY) is Timeliness.LATE
    assert timeliness(joiner(start, date(2025, 2, 28)), CALENDAR, PRIMARY) is Timeliness.ON_TIME


def test_bank_holidays_are_not_school_days_for_the_deadline() -> None:
    start = date(2025, 4, 16)  # Wednesday before Easter: Good Friday 18 and Easter Monday 21 April are holidays
    assert CALENDAR.add(start, 5) == date(2025, 4, 25)
    assert timeliness(joiner(start, date(2025, 4, 25)), CALENDAR, PRIMARY) is Timeliness.ON_TIME
    assert timeliness(joiner(start, date(2025, 4, 28)), CALENDAR, PRIMARY) is Timeliness.LATE


def test_app_c_a_reception_joiner_at_the_start_of_the_year_is_not_late_however_late_the_return() -> None:
    september = joiner(date(2025, 9, 3), date(2025, 10, 20), nc_year=0)
    assert timeliness(september, CALENDAR, PRIMARY) is Timeliness.STANDARD_TRANSITION
    # The same class joined later in the year is an in-year admission: the rule applies.
    assert timeliness(joiner(date(2025, 11, 3), date(2025, 11, 20), nc_year=0), CALENDAR, PRIMARY) is Timeliness.LATE
    # A pupil joining any other year in September is not at the school's standard transition point.
    assert timeliness(joiner(date(2025, 9, 3), date(2025, 10, 20), nc_year=1), CALENDAR, PRIMARY) is Timeliness.LATE
    # Year 7 is the first year of a secondary school.
    year_7 = joiner(date(2025, 9, 4), date(2025, 10, 1), nc_year=7, school="8854100")
    assert timeliness(year_7, CALENDAR, SECONDARY) is Timeliness.STANDARD_TRANSITION


def test_app_c_final_year_leavers_at_the_end_of_the_year_need_no_return_unless_home_educated_or_lost() -> None:
    late = date(2026, 9, 30)
    assert timeliness(leaver(date(2026, 7, 17), "9(1)(l)", 11, submitted=late), CALENDAR, SECONDARY) is (
        Timeliness.STANDARD_TRANSITION
    )
    assert timeliness(leaver(date(2026, 7, 17), "9(1)(f)", 11, submitted=late), CALENDAR, SECONDARY) is Timeliness.LATE
    assert timeliness(leaver(date(2026, 7, 17), "9(1)(g)", 11, submitted=late), CALENDAR, SECONDARY) is Timeliness.LATE
    assert timeliness(leaver(date(2026, 3, 2), "9(1)(a)", 11, submitted=late), CALENDAR, SECONDARY) is Timeliness.LATE


def test_the_exemption_reads_the_schools_first_year_from_its_own_returns_when_not_given() -> None:
    school = "8852100"
    returns = [
        joiner(date(2025, 9, 3), date(2025, 10, 30), nc_year=0, school=school),  # sent 40 days late
        joiner(date(2025, 11, 3), date(2025, 11, 4), nc_year=2, school=school),
    ]
    report = assess_schools(returns, [], date(2025, 9, 1), date(2026, 8, 31), calendar=CALENDAR)
    totals = report.schools[school].totals
    assert (totals.joiners_standard_transition, totals.joiners_on_time, totals.joiners_late) == (1, 1, 0)


# --------------------------------------------------------------------------------------------- threshold edges


def _late_school(late: int, on_time: int) -> SchoolsReport:
    returns = [joiner(date(2025, 11, 3), date(2025, 12, 1)) for _ in range(late)]
    returns += [joiner(date(2025, 11, 3), date(2025, 11, 4)) for _ in range(on_time)]
    return assess_schools(returns, [], date(2025, 9, 1), date(2026, 8, 31), calendar=CALENDAR)


def test_late_returns_need_more_than_a_quarter_late_and_at_least_three() -> None:
    assert kinds(_late_school(3, 9), "8852100") == set()  # exactly 25%
    assert kinds(_late_school(3, 8), "8852100") == {SignalKind.LATE_NEW_PUPIL_RETURNS}  # 27%
    assert kinds(_late_school(2, 0), "8852100") == set()  # 100%, but only 2
    signal = _late_school(3, 8).schools["8852100"].signals[0]
    assert signal.explanation.startswith("3 of 11 new-pupil returns due (27%) were made after the 5-school-day")


def _ehe_area(ehe_here: int, others_here: int) -> SchoolsReport:
    """One school with `ehe_here` Year 10-11 EHE leavers among its leavers; the rest of the area 1 in 10."""
    day = date(2025, 11, 12)
    returns = [leaver(day, "9(1)(f)", 10, school="8854001") for _ in range(ehe_here)]
    returns += [leaver(day, "9(1)(a)", 9, school="8854001") for _ in range(others_here)]
    returns += [leaver(day, "9(1)(f)", 11, school="8854009") for _ in range(2)]
    returns += [leaver(day, "9(1)(a)", 8, school="8854009") for _ in range(18)]
    return assess_schools(returns, [], date(2025, 9, 1), date(2026, 8, 31), calendar=CALENDAR)


def test_ehe_leavers_need_more_than_twice_the_rest_of_the_areas_rate_and_at_least_five() -> None:
    assert kinds(_ehe_area(5, 20), "8854001") == set()  # 20%: exactly twice the rest's 10%
    assert kinds(_ehe_area(5, 19), "8854001") == {SignalKind.EHE_LEAVERS_YEARS_10_11}  # 20.8%
    assert kinds(_ehe_area(4, 0), "8854001") == set()  # 100%, but only 4
    # Home education from other years does not count.
    day = date(2025, 11, 12)
    younger = [leaver(day, "9(1)(f)", 8, school="8854001") for _ in range(6)]
    younger += [leaver(day, "9(1)(a)", 8, school="8854009") for _ in range(20)]
    report = assess_schools(younger, [], date(2025, 9, 1), date(2026, 8, 31), calendar=CALENDAR)
    assert kinds(report, "8854001") == set()


def test_leavers_dated_before_the_2024_regulations_count_under_the_2006_ground() -> None:
    day = date(2023, 11, 15)
    returns = [leaver(day, "8(1)(d)", 11, school="8854001") for _ in range(5)]
    returns += [leaver(day, "8(1)(b)", 8, school="8854009") for _ in range(20)]
    report = assess_schools(returns, [], date(2023, 9, 1), date(2024, 8, 31), calendar=CALENDAR)
    assert kinds(report, "8854001") == {SignalKind.EHE_LEAVERS_YEARS_10_11}


def test_the_census_window_is_the_ten_school_days_before_the_census_day() -> None:
    census = census_day(Term(2025, 0))  # Thursday 2 October 2025
    assert census == date(2025, 10, 2)
    assert CALENDAR.window_before(census, 10) == (date(2025, 9, 18), date(2025, 10, 1))
    school = "8854001"
    first, last = date(2025, 9, 1), date(2026, 8, 31)
    elsewhere = [leaver(date(2025, 11, 12), school=school) for _ in range(10)]
    edges = [leaver(day, school=school) for day in (date(2025, 9, 18), date(2025, 10, 1)) for _ in range(3)]
    report = assess_schools(elsewhere + edges, [], first, last, calendar=CALENDAR)
    signal = next(s for s in report.schools[school].signals if s.kind is SignalKind.LEAVERS_BEFORE_CENSUS)
    assert signal.count == 6
    # The school day before the window and the census day itself are outside it.
    beyond = [leaver(day, school=school) for day in (date(2025, 9, 17), census) for _ in range(3)]
    report = assess_schools(elsewhere + beyond, [], first, last, calendar=CALENDAR)
    assert SignalKind.LEAVERS_BEFORE_CENSUS not in kinds(report, school)


def test_census_clustering_needs_more_than_twice_the_expected_share_and_at_least_five() -> None:
    school = "8854001"
    first, last = date(2025, 9, 1), date(2026, 8, 31)
    window_start, _ = CALENDAR.window_before(census_day(Term(2025, 1)), 10)
    expected = assess_schools([], [], first, last, calendar=CALENDAR).census_window_share
    assert 0.1 < expected < 0.15  # 30 of about 250 school days
    # With 5 leavers in a window and n elsewhere the share is 5 / (5 + n): at most the bar from n = at_bar on.
    at_bar = math.ceil(5 / (2 * expected) - 5)

    def raised(in_window: int, outside: int) -> bool:
        returns = [leaver(window_start, school=school) for _ in range(in_window)]
        returns += [leaver(date(2026, 3, 4), school=school) for _ in range(outside)]
        report = assess_schools(returns, [], first, last, calendar=CALENDAR)
        return SignalKind.LEAVERS_BEFORE_CENSUS in kinds(report, school)

    assert not raised(5, at_bar)
    assert raised(5, at_bar - 1)
    assert not raised(4, 0)  # every leaver in a window, but only four


def test_whereabouts_unknown_deletions_are_raised_at_three() -> None:
    def report(count: int) -> set[SignalKind]:
        grounds = ["9(1)(h)", "9(1)(i)", "8(1)(f)", "8(1)(h)"]
        returns = [leaver(date(2025, 11, 3 + k), grounds[k % 4], school="8854001") for k in range(count)]
        return kinds(assess_schools(returns, [], date(2025, 9, 1), date(2026, 8, 31), calendar=CALENDAR), "8854001")

    assert SignalKind.WHEREABOUTS_UNKNOWN_DELETIONS not in report(2)
    assert SignalKind.WHEREABOUTS_UNKNOWN_DELETIONS in report(3)


def test_an_exclusion_needs_provision_by_its_sixth_school_day() -> None:
    excluded = date(2025, 11, 3)  # a Monday: the sixth school day of the exclusion is Monday 10 November

    def raised(provision: date | None) -> bool:
        exclusion = ExclusionFact(
            child_id=uuid4(), school_id="8854001", excluded_from=excluded, provision_from=provision
        )
        report = assess_schools([], [exclusion], date(2025, 9, 1), date(2026, 8, 31), calendar=CALENDAR)
        return SignalKind.EXCLUSIONS_WITHOUT_DAY6_PROVISION in kinds(report, "8854001")

    assert not raised(date(2025, 11, 10))
    assert raised(date(2025, 11, 11))
    assert raised(None)


def test_thresholds_can_be_set_by_the_authority() -> None:
    returns = [leaver(date(2025, 11, 3), "9(1)(i)", school="8854001") for _ in range(2)]
    stricter = Thresholds(whereabouts_unknown_min=2)
    report = assess_schools(returns, [], date(2025, 9, 1), date(2026, 8, 31), calendar=CALENDAR, thresholds=stricter)
    assert kinds(report, "8854001") == {SignalKind.WHEREABOUTS_UNKNOWN_DELETIONS}


def test_rejected_returns_are_counted_with_their_problems_and_never_timed() -> None:
    rejected = SubmissionFact(
        submission_id="r-1",
        school_id="8852100",
        return_type=ReturnType.LEAVER,
        submitted_at=_at(date(2025, 11, 20)),
        effective_date=date(2025, 11, 3),
        rejected=True,
        problems=("documents", "child.upn"),
    )
    report = assess_schools([rejected], [], date(2025, 9, 1), date(2026, 8, 31), calendar=CALENDAR)
    totals = report.schools["8852100"].totals
    assert totals.rejected == 1
    assert dict(totals.rejected_by_problem) == {"documents": 1, "child.upn": 1}
    assert (totals.leavers_on_time, totals.leavers_late) == (0, 0)


def test_school_days_count_and_add_agree() -> None:
    first = date(2025, 4, 14)
    for days in range(40):
        assert CALENDAR.count(first + timedelta(days=1), CALENDAR.add(first, days)) == days
    terms = SchoolDays([(date(2025, 9, 3), date(2025, 10, 24)), (date(2025, 11, 3), date(2025, 12, 19))])
    assert terms.add(date(2025, 10, 23), 2) == date(2025, 11, 3)
    with pytest.raises(ValueError, match="term dates end"):
        terms.add(date(2025, 12, 18), 5)
    # Term dates are honoured by the census windows too, and a census before the first term does not hang.
    assert terms.window_before(date(2025, 11, 6), 10) == (date(2025, 10, 16), date(2025, 11, 5))
    assert terms.window_before(date(2025, 9, 1), 10) == (date(2025, 9, 1), date(2025, 8, 31))  # empty


def test_grounds_are_labelled_with_the_regulations_words() -> None:
    assert ground_label("9(1)(f)") == "9(1)(f): parent has notified in writing that the child will be home educated"
    assert ground_label("none given") == "none given"
