from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from services.triage.domain.watch import JoinerWatch, WatchStatus, cancel, expired, satisfy_on_joiner

WATCH = JoinerWatch(
    watch_id="watch-1",
    child_id="child-1",
    school_id="8852001",
    started_on=date(2025, 11, 3),
    deadline=date(2025, 11, 17),
)


@pytest.mark.parametrize("joiner_school_id", ["8852002", "3302001", WATCH.school_id])
def test_a_joiner_return_from_any_school_satisfies_an_open_watch(joiner_school_id: str) -> None:
    satisfied = satisfy_on_joiner(WATCH, joiner_school_id, date(2025, 11, 10))
    assert satisfied.status is WatchStatus.SATISFIED
    assert satisfied.joined_school_id == joiner_school_id
    assert satisfied.joined_on == date(2025, 11, 10)
    assert WATCH.status is WatchStatus.OPEN


@pytest.mark.parametrize("status", [WatchStatus.SATISFIED, WatchStatus.EXPIRED])
def test_only_open_watches_change_on_a_joiner(status: WatchStatus) -> None:
    closed = replace(WATCH, status=status)
    assert satisfy_on_joiner(closed, "8852002", date(2025, 11, 10)) == closed


@pytest.mark.parametrize(
    ("as_of", "is_expired"),
    [
        (datetime(2025, 11, 17, 23, 59, tzinfo=UTC), False),  # the deadline day is still running
        (datetime(2025, 11, 18, 0, 0, tzinfo=UTC), True),
        (datetime(2025, 11, 10, 9, 0, tzinfo=UTC), False),
    ],
)
def test_watch_expires_once_its_deadline_day_has_ended(as_of: datetime, is_expired: bool) -> None:
    result = expired([WATCH], as_of)
    assert [watch.watch_id for watch in result] == (["watch-1"] if is_expired else [])
    assert all(watch.status is WatchStatus.EXPIRED for watch in result)


def test_deadline_day_ends_at_midnight_uk_time_in_summer() -> None:
    summer = replace(WATCH, deadline=date(2026, 6, 16))
    # 23:30 UTC on the deadline day is already 00:30 on the next day in British Summer Time.
    assert expired([summer], datetime(2026, 6, 16, 23, 30, tzinfo=UTC))
    assert not expired([summer], datetime(2026, 6, 16, 22, 59, tzinfo=UTC))


def test_expiry_reads_the_time_given_in_any_timezone() -> None:
    new_york = timezone(timedelta(hours=-5))
    assert expired([WATCH], datetime(2025, 11, 17, 19, 30, tzinfo=new_york))  # 00:30 on 18 Nov in London


def test_only_open_watches_expire_and_order_is_kept() -> None:
    watches = [
        replace(WATCH, watch_id="late-b"),
        replace(WATCH, watch_id="satisfied", status=WatchStatus.SATISFIED),
        replace(WATCH, watch_id="already-expired", status=WatchStatus.EXPIRED),
        replace(WATCH, watch_id="not-due", deadline=date(2025, 12, 1)),
        replace(WATCH, watch_id="late-a", deadline=date(2025, 11, 4)),
    ]
    as_of = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)
    result = expired(watches, as_of)
    assert [watch.watch_id for watch in result] == ["late-b", "late-a"]
    assert expired(watches, as_of) == result
    assert watches[0].status is WatchStatus.OPEN


def test_naive_times_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        expired([WATCH], datetime(2025, 11, 20, 12, 0))


def test_a_death_cancels_an_open_watch_so_it_never_expires_into_an_enquiry() -> None:
    watch = JoinerWatch(
        watch_id="w1", child_id="c1", school_id="8852001", started_on=date(2026, 11, 2), deadline=date(2026, 11, 16)
    )
    cancelled = cancel(watch)
    assert cancelled.status is WatchStatus.CANCELLED
    assert expired([cancelled], datetime(2026, 12, 1, 9, tzinfo=UTC)) == []
    assert cancel(cancelled) == cancelled
