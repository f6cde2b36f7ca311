"""Joiner watches: after a transfer to a named school (8(1)(b) / 9(1)(a)), wait for a joiner return.

A joiner return from any school satisfies the watch: it shows the child is on a roll. A watch still open
after its deadline has expired, and the caller opens a CME enquiry. Nothing here reads the clock: callers
pass the time in, so the same inputs always give the same answer.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

# Deadlines are school days in England, so "has the deadline day ended" is asked in UK local time.
_UK_TIME = ZoneInfo("Europe/London")


class WatchStatus(StrEnum):
    OPEN = "open"
    SATISFIED = "satisfied"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class JoinerWatch:
    """`deadline` is the last day (inclusive) on which a joiner return keeps the watch from expiring."""

    watch_id: str
    child_id: str
    school_id: str
    started_on: date
    deadline: date
    status: WatchStatus = WatchStatus.OPEN
    joined_school_id: str | None = None
    joined_on: date | None = None


def satisfy_on_joiner(watch: JoinerWatch, joiner_school_id: str, joined_on: date) -> JoinerWatch:
    """Record that the child joined a school. Only an open watch changes; the others are returned as they are.

    An expired watch stays expired: its CME enquiry is already open, and casework closes that case when the
    same joiner return reaches it.
    """
    if watch.status is not WatchStatus.OPEN:
        return watch
    return replace(watch, status=WatchStatus.SATISFIED, joined_school_id=joiner_school_id, joined_on=joined_on)


def cancel(watch: JoinerWatch) -> JoinerWatch:
    """No joiner return will come (the child has died): an open watch must never turn into a CME enquiry."""
    if watch.status is not WatchStatus.OPEN:
        return watch
    return replace(watch, status=WatchStatus.CANCELLED)


def expired(watches: Iterable[JoinerWatch], as_of: datetime) -> list[JoinerWatch]:
    """The open watches whose deadline day has ended by `as_of`, marked EXPIRED, in the order given.

    `as_of` must carry a timezone: a naive time could fall either side of midnight in the UK.
    """
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("as_of must be timezone-aware")
    today = as_of.astimezone(_UK_TIME).date()
    return [
        replace(watch, status=WatchStatus.EXPIRED)
        for watch in watches
        if watch.status is WatchStatus.OPEN and watch.deadline < today
    ]
