from datetime import date, timedelta

import pytest

from contracts.reference.school_days import SchoolCalendar, TermDatesExhausted

SPRING_2026_TERMS = [
    (date(2026, 1, 5), date(2026, 2, 13)),
    (date(2026, 2, 23), date(2026, 3, 27)),
]


@pytest.mark.parametrize(
    ("day", "is_school_day"),
    [
        ("2025-11-03", True),  # Monday
        ("2025-11-08", False),  # Saturday
        ("2025-11-09", False),  # Sunday
        ("2025-12-25", False),  # Christmas Day
        ("2025-12-26", False),  # Boxing Day
        ("2026-04-03", False),  # Good Friday
        ("2026-04-06", False),  # Easter Monday
        ("2026-04-07", True),
        ("2026-08-31", False),  # Late Summer bank holiday
        ("2026-12-28", False),  # Boxing Day, observed on Monday
    ],
)
def test_school_day_without_terms_is_a_weekday_that_is_not_a_bank_holiday(day: str, is_school_day: bool) -> None:
    assert SchoolCalendar().is_school_day(date.fromisoformat(day)) is is_school_day


@pytest.mark.parametrize(
    ("start", "school_days", "expected"),
    [
        ("2025-11-03", 0, "2025-11-03"),
        ("2025-11-07", 1, "2025-11-10"),  # Friday to Monday over the weekend
        ("2025-11-08", 1, "2025-11-10"),  # a weekend start counts from the next school day
        ("2025-11-03", 10, "2025-11-17"),
        ("2025-12-24", 1, "2025-12-29"),  # skips 25 and 26 December and the weekend
        ("2025-12-15", 20, "2026-01-15"),  # also skips 1 January
        ("2026-04-02", 1, "2026-04-07"),  # skips Good Friday, the weekend and Easter Monday
    ],
)
def test_add_school_days_without_terms(start: str, school_days: int, expected: str) -> None:
    result = SchoolCalendar().add_school_days(date.fromisoformat(start), school_days)
    assert result == date.fromisoformat(expected)


def test_days_outside_configured_terms_are_not_school_days() -> None:
    calendar = SchoolCalendar(SPRING_2026_TERMS)
    assert calendar.is_school_day(date(2026, 2, 13))
    assert not calendar.is_school_day(date(2026, 2, 16))  # half term
    assert not calendar.is_school_day(date(2026, 1, 2))  # before the first term
    assert calendar.is_school_day(date(2026, 2, 23))


def test_add_school_days_skips_half_term() -> None:
    calendar = SchoolCalendar(SPRING_2026_TERMS)
    assert calendar.add_school_days(date(2026, 2, 12), 2) == date(2026, 2, 23)
    assert calendar.add_school_days(date(2026, 2, 13), 5) == date(2026, 2, 27)


def test_counting_past_the_last_configured_term_is_an_error() -> None:
    calendar = SchoolCalendar(SPRING_2026_TERMS)
    with pytest.raises(TermDatesExhausted):
        calendar.add_school_days(date(2026, 3, 20), 10)


def test_negative_school_days_are_rejected() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        SchoolCalendar().add_school_days(date(2025, 11, 3), -1)


@pytest.mark.parametrize("terms", [None, SPRING_2026_TERMS])
def test_school_days_between_inverts_add_school_days(terms: list[tuple[date, date]] | None) -> None:
    calendar = SchoolCalendar(terms)
    start = date(2026, 1, 2)
    for school_days in range(45):
        end = calendar.add_school_days(start, school_days)
        assert calendar.school_days_between(start, end) == school_days


def test_school_days_between_counts_backwards_as_negative() -> None:
    calendar = SchoolCalendar()
    assert calendar.school_days_between(date(2025, 12, 29), date(2025, 12, 24)) == -1
    assert calendar.school_days_between(date(2025, 11, 3), date(2025, 11, 3)) == 0


def test_school_days_between_over_christmas() -> None:
    # 24 Dec 2025 to 2 Jan 2026: only 29, 30, 31 December and 2 January are school days.
    assert SchoolCalendar().school_days_between(date(2025, 12, 24), date(2026, 1, 2)) == 4


def test_from_config_reads_iso_term_dates() -> None:
    calendar = SchoolCalendar.from_config(
        {
            "terms": [
                {"start": "2026-02-23", "end": "2026-03-27"},
                {"start": "2026-01-05", "end": "2026-02-13"},
            ]
        }
    )
    assert calendar.term_dates == tuple(SPRING_2026_TERMS)


@pytest.mark.parametrize("config", [{}, {"terms": []}, {"terms": None}])
def test_from_config_without_terms_counts_every_weekday(config: dict[str, object]) -> None:
    calendar = SchoolCalendar.from_config(config)
    assert calendar.term_dates == ()
    assert calendar.is_school_day(date(2026, 8, 3))  # summer holidays count when no terms are set


@pytest.mark.parametrize(
    "terms",
    [
        [{"start": "2026-01-05"}],
        [{"start": "05/01/2026", "end": "2026-02-13"}],
        ["2026-01-05"],
    ],
)
def test_from_config_rejects_malformed_terms(terms: list[object]) -> None:
    with pytest.raises(ValueError, match="term 0 needs"):
        SchoolCalendar.from_config({"terms": terms})


def test_a_term_that_ends_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValueError, match="cannot end before it starts"):
        SchoolCalendar([(date(2026, 2, 13), date(2026, 1, 5))])


def test_school_days_are_never_weekends_or_bank_holidays_over_a_year() -> None:
    calendar = SchoolCalendar()
    days = [date(2026, 1, 1) + timedelta(days=offset) for offset in range(365)]
    school_days = [day for day in days if calendar.is_school_day(day)]
    # 261 weekdays in 2026, less the 8 bank holidays that fall on weekdays (Boxing Day is a Saturday).
    assert len(school_days) == 261 - 8
    assert all(day.weekday() < 5 for day in school_days)
