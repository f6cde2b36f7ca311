"""The helpers the read model uses to fill the facts: National Curriculum years from dates of birth and year groups."""

from datetime import date

import pytest

from services.reporting.domain.facts import RECEPTION, nc_year_from_year_group, nc_year_on, school_year_of


@pytest.mark.parametrize(
    ("born", "on", "year"),
    [
        (date(2020, 8, 31), date(2024, 9, 4), RECEPTION),  # 4 on 31 August 2024: Reception
        (date(2020, 9, 1), date(2024, 9, 4), -1),  # a day younger: nursery age, a year below Reception
        (date(2013, 8, 31), date(2025, 7, 1), 7),  # 11 on 31 August 2024: Year 7 all of 2024/25
        (date(2010, 3, 15), date(2024, 10, 1), 10),
        (date(2008, 9, 1), date(2025, 6, 26), 11),  # Year 11 until the end of the school year
    ],
)
def test_nc_year_follows_age_on_the_31_august_before_the_school_year(born: date, on: date, year: int) -> None:
    assert nc_year_on(born, on) == year


@pytest.mark.parametrize(
    ("text", "year"),
    [("R", 0), ("Reception", 0), ("7", 7), ("Y7", 7), ("Year 10", 10), (" 11 ", 11), ("N2", None), ("14", None)],
)
def test_year_groups_as_schools_write_them(text: str, year: int | None) -> None:
    assert nc_year_from_year_group(text) == year


def test_school_years_start_on_1_september() -> None:
    assert school_year_of(date(2025, 8, 31)) == 2024
    assert school_year_of(date(2025, 9, 1)) == 2025
    assert nc_year_from_year_group(None) is None
