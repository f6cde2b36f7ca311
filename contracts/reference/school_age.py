"""Compulsory school age (CSA) in England.

A child starts to be of CSA on the first prescribed day (31 December, 31 March, 31 August) on or after their
fifth birthday (Education Act 1996 s8(2), (3)). They stop being of CSA after the school leaving date: the last
Friday in June of the school year (1 September to 31 August) in which they turn 16 (s8(4); Education (School
Leaving Date) Order 1997). Both ends of the window are inclusive.

The law, once, for every service: triage reads the whole window (who is of CSA), casework its end (a case may
close as "past compulsory school age"). Standard library only, like the rest of contracts.reference.
"""

from datetime import date, timedelta
from enum import StrEnum

_PRESCRIBED_DAYS: tuple[tuple[int, int], ...] = (
    (3, 31),
    (8, 31),
    (12, 31),
)  # (month, day), in calendar order
_SCHOOL_YEAR_FIRST_MONTH = 9
_FRIDAY = 4


class CsaStatus(StrEnum):
    PRE_SCHOOL = "pre_school"
    OF_COMPULSORY_SCHOOL_AGE = "of_compulsory_school_age"
    PAST_COMPULSORY_SCHOOL_AGE = "past_compulsory_school_age"


def _birthday_in(year: int, date_of_birth: date) -> date:
    """The day in `year` on which a child born on `date_of_birth` attains a new age.

    Someone born on 29 February attains a new age on 1 March in a common year. Reading it as 28 February
    instead would not change either end of the CSA window: both dates lead to the same prescribed day
    (31 March) and fall in the same school year.
    """
    if (date_of_birth.month, date_of_birth.day) == (2, 29):
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 3, 1)
    return date_of_birth.replace(year=year)


def csa_start(date_of_birth: date) -> date:
    """The first day of compulsory school age."""
    fifth_birthday = _birthday_in(date_of_birth.year + 5, date_of_birth)
    # 31 December closes the list, so some prescribed day of the same year always qualifies.
    return next(
        prescribed_day
        for prescribed_day in (date(fifth_birthday.year, month, day) for month, day in _PRESCRIBED_DAYS)
        if prescribed_day >= fifth_birthday
    )


def last_friday_of_june(year: int) -> date:
    june_30 = date(year, 6, 30)
    return june_30 - timedelta(days=(june_30.weekday() - _FRIDAY) % 7)


def csa_end(date_of_birth: date) -> date:
    """The last day of compulsory school age (the school leaving date)."""
    sixteenth_birthday = _birthday_in(date_of_birth.year + 16, date_of_birth)
    school_year_ends_in = sixteenth_birthday.year + (1 if sixteenth_birthday.month >= _SCHOOL_YEAR_FIRST_MONTH else 0)
    return last_friday_of_june(school_year_ends_in)


def csa_window(date_of_birth: date) -> tuple[date, date]:
    """First and last day (both inclusive) on which the child is of compulsory school age."""
    return csa_start(date_of_birth), csa_end(date_of_birth)


def csa_status(date_of_birth: date, on: date) -> CsaStatus:
    start, end = csa_window(date_of_birth)
    if on < start:
        return CsaStatus.PRE_SCHOOL
    if on > end:
        return CsaStatus.PAST_COMPULSORY_SCHOOL_AGE
    return CsaStatus.OF_COMPULSORY_SCHOOL_AGE


def past_compulsory_school_age(date_of_birth: date | None, on: date) -> bool:
    """True once the school leaving date has passed (the leaving date itself is still of CSA)."""
    return date_of_birth is not None and on > csa_end(date_of_birth)
