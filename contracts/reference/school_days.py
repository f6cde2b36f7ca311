"""School days: the unit in which the regulations and the county policy set deadlines.

A school day is a weekday that is not an England and Wales bank holiday and, when the authority has
configured its term dates, falls inside a term. Without term dates, school holidays count as school days, so
deadlines come out earlier than they should: the safe direction for a child who may be missing education.
Configure terms for exact counts.
"""

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import holidays

_SATURDAY = 5
_ONE_DAY = timedelta(days=1)


class TermDatesExhausted(ValueError):
    """Counting school days ran past the last configured term: the authority's term dates need extending."""


class SchoolCalendar:
    def __init__(self, term_dates: Sequence[tuple[date, date]] | None = None) -> None:
        """`term_dates` are (first day, last day) pairs, both inclusive. None or empty means "no terms"."""
        terms = tuple(sorted(term_dates or ()))
        if any(last < first for first, last in terms):
            raise ValueError("a term cannot end before it starts")
        self._terms = terms
        self._bank_holidays = holidays.country_holidays("GB", subdiv="ENG")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "SchoolCalendar":
        """Build from an authority's settings, such as
        ``{"terms": [{"start": "2025-09-03", "end": "2025-10-24"}, ...]}``.

        Dates are ISO 8601 strings. A missing or empty ``terms`` list means no term dates are configured.
        """
        raw_terms = config.get("terms") or ()
        terms: list[tuple[date, date]] = []
        for position, term in enumerate(raw_terms):
            try:
                terms.append((date.fromisoformat(term["start"]), date.fromisoformat(term["end"])))
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(f"term {position} needs 'start' and 'end' as ISO dates (YYYY-MM-DD)") from error
        return cls(terms)

    @property
    def term_dates(self) -> tuple[tuple[date, date], ...]:
        return self._terms

    def is_bank_holiday(self, day: date) -> bool:
        return day in self._bank_holidays

    def in_term(self, day: date) -> bool:
        """True when no terms are configured, otherwise whether `day` falls inside one of them."""
        return not self._terms or any(first <= day <= last for first, last in self._terms)

    def is_school_day(self, day: date) -> bool:
        return day.weekday() < _SATURDAY and not self.is_bank_holiday(day) and self.in_term(day)

    def add_school_days(self, start: date, school_days: int) -> date:
        """The `school_days`-th school day after `start` (`start` itself never counts); `start` when zero."""
        if school_days < 0:
            raise ValueError("school_days must not be negative")
        day = start
        remaining = school_days
        while remaining:
            day += _ONE_DAY
            if self._terms and day > self._terms[-1][1]:
                raise TermDatesExhausted("the configured term dates end before the deadline")
            if self.is_school_day(day):
                remaining -= 1
        return day

    def school_days_between(self, start: date, end: date) -> int:
        """School days after `start` up to and including `end`; negative when `end` is before `start`.

        It is the inverse of `add_school_days`: ``school_days_between(a, add_school_days(a, n)) == n``.
        """
        if end < start:
            return -self.school_days_between(end, start)
        return sum(
            1 for offset in range(1, (end - start).days + 1) if self.is_school_day(start + timedelta(days=offset))
        )
