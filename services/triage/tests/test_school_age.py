from datetime import date, timedelta

import pytest

from contracts.reference.school_age import CsaStatus, csa_status, csa_window, last_friday_of_june


@pytest.mark.parametrize(
    ("born", "starts", "ends"),
    [
        # Around 31 December: a birthday on the prescribed day starts CSA that same day.
        ("2015-12-30", "2020-12-31", "2032-06-25"),
        ("2015-12-31", "2020-12-31", "2032-06-25"),
        ("2016-01-01", "2021-03-31", "2032-06-25"),
        # Around 31 March.
        ("2016-03-30", "2021-03-31", "2032-06-25"),
        ("2016-03-31", "2021-03-31", "2032-06-25"),
        ("2016-04-01", "2021-08-31", "2032-06-25"),
        # Around 31 August, which is also the school-year boundary for the end date.
        ("2016-08-30", "2021-08-31", "2032-06-25"),
        ("2016-08-31", "2021-08-31", "2032-06-25"),
        ("2016-09-01", "2021-12-31", "2033-06-24"),
        # Turning 16 in July or August ends CSA in the June before the birthday; September, a year later.
        ("2010-07-15", "2015-08-31", "2026-06-26"),
        ("2010-08-15", "2015-08-31", "2026-06-26"),
        ("2010-09-01", "2015-12-31", "2027-06-25"),
    ],
)
def test_csa_window_on_boundary_birthdays(born: str, starts: str, ends: str) -> None:
    assert csa_window(date.fromisoformat(born)) == (date.fromisoformat(starts), date.fromisoformat(ends))


@pytest.mark.parametrize(
    ("born", "starts", "ends"),
    [
        # Fifth birthday in a common year (2021): 28 Feb / 1 Mar both lead to 31 March.
        ("2016-02-29", "2021-03-31", "2032-06-25"),
        # Sixteenth birthday on a real 29 February (2028).
        ("2012-02-29", "2017-03-31", "2028-06-30"),
        # Fifth birthday in a common year, sixteenth in a leap year (2036).
        ("2020-02-29", "2025-03-31", "2036-06-27"),
    ],
)
def test_csa_window_for_leap_day_birthdays(born: str, starts: str, ends: str) -> None:
    assert csa_window(date.fromisoformat(born)) == (date.fromisoformat(starts), date.fromisoformat(ends))


def test_leap_day_birthday_has_the_same_window_as_28_february_and_1_march_births() -> None:
    leap_day_window = csa_window(date(2016, 2, 29))
    assert csa_window(date(2016, 2, 28)) == leap_day_window
    assert csa_window(date(2016, 3, 1)) == leap_day_window


@pytest.mark.parametrize(
    ("year", "last_friday"),
    [
        ("2026", "2026-06-26"),
        ("2027", "2027-06-25"),
        ("2028", "2028-06-30"),  # 30 June is itself a Friday
        ("2029", "2029-06-29"),
        ("2032", "2032-06-25"),
    ],
)
def test_last_friday_of_june(year: str, last_friday: str) -> None:
    result = last_friday_of_june(int(year))
    assert result == date.fromisoformat(last_friday)
    assert result.weekday() == 4
    assert (result + timedelta(days=7)).month == 7


@pytest.mark.parametrize(
    ("on", "status"),
    [
        ("2021-03-30", CsaStatus.PRE_SCHOOL),
        ("2021-03-31", CsaStatus.OF_COMPULSORY_SCHOOL_AGE),
        ("2026-11-03", CsaStatus.OF_COMPULSORY_SCHOOL_AGE),
        ("2032-06-25", CsaStatus.OF_COMPULSORY_SCHOOL_AGE),
        ("2032-06-26", CsaStatus.PAST_COMPULSORY_SCHOOL_AGE),
    ],
)
def test_csa_status_is_inclusive_at_both_ends(on: str, status: CsaStatus) -> None:
    assert csa_status(date(2016, 1, 1), date.fromisoformat(on)) is status


def test_child_turning_16_in_august_is_past_csa_before_the_birthday() -> None:
    born = date(2010, 8, 15)
    assert csa_status(born, date(2026, 7, 1)) is CsaStatus.PAST_COMPULSORY_SCHOOL_AGE
    assert csa_status(born, date(2026, 6, 26)) is CsaStatus.OF_COMPULSORY_SCHOOL_AGE
