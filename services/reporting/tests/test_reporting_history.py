"""The generated history the reporting tests and benchmark read: deterministic, valid contract events, and events
that say what the generator's records say."""

from collections import Counter
from functools import cache
from itertools import pairwise

from contracts.events.case_v1 import CaseClosed, CaseOpened
from contracts.events.intake_v1 import JoinerSubmitted, LeaverSubmitted, SubmissionRejected
from contracts.events.referral_v1 import ReferralReceived
from contracts.events.triage_v1 import TriageDecided
from contracts.registry import BY_TYPE
from services.reporting.domain.facts import ReturnType, nc_year_from_year_group, nc_year_on
from tests.support.reporting_history import History, HistoryEvent, generate_history


@cache
def _history() -> History:
    return generate_history()


@cache
def _events() -> tuple[HistoryEvent, ...]:
    return tuple(_history().events())


def test_the_same_seed_gives_the_same_history_and_another_seed_another() -> None:
    again = generate_history()
    assert again.returns == _history().returns
    assert again.cases == _history().cases
    assert generate_history(seed=7).returns != _history().returns


def test_events_are_registered_contract_types_in_time_order() -> None:
    events = _events()
    assert all(BY_TYPE[item.event.event_type] is type(item.event) for item in events)
    assert all(earlier.at <= later.at for earlier, later in pairwise(events))
    # Events about a child are keyed by the child; raw submissions and rejections by the submission.
    for item in events:
        event = item.event
        if isinstance(event, (JoinerSubmitted, LeaverSubmitted, SubmissionRejected)):
            assert item.key == event.submission_id
        else:
            assert item.key == str(event.child_id)  # type: ignore[attr-defined]


def test_events_carry_what_the_records_say() -> None:
    history, events = _history(), _events()
    by_type = Counter(type(item.event) for item in events)
    accepted = [r for r in history.returns if not r.rejected]
    rejected = [r for r in history.returns if r.rejected]
    other_referrals = [c for c in history.cases if c.submission_id is None]
    assert by_type[JoinerSubmitted] + by_type[LeaverSubmitted] == len(history.returns)
    assert by_type[SubmissionRejected] == len(rejected)
    assert by_type[ReferralReceived] == by_type[TriageDecided] == len(accepted) + len(other_referrals)
    assert by_type[CaseOpened] == len(history.cases)
    assert by_type[CaseClosed] == sum(1 for c in history.cases if c.closed_at is not None)
    # The raw submissions give back the chosen school, dates, year and ground.
    records = {r.submission_id: r for r in history.returns}
    for item in events:
        event = item.event
        if isinstance(event, JoinerSubmitted):
            record = records[event.submission_id]
            assert (event.school.establishment_id, event.start_date) == (record.school_id, record.effective_date)
            assert nc_year_from_year_group(event.year_group) == record.nc_year
            assert nc_year_on(event.child.date_of_birth, event.start_date) == record.nc_year
            assert (event.previous_school.establishment_id if event.previous_school else None) == (
                record.previous_school_id
            )
        elif isinstance(event, LeaverSubmitted):
            record = records[event.submission_id]
            assert record.return_type is ReturnType.LEAVER and record.ground is not None
            assert event.leaving_reason == record.ground.code(record.effective_date)
            assert nc_year_on(event.child.date_of_birth, event.leaving_date) == record.nc_year


def test_the_history_spans_both_codings_of_the_leaving_grounds() -> None:
    codes = {item.event.leaving_reason for item in _events() if isinstance(item.event, LeaverSubmitted)}
    assert {"8(1)(d)", "9(1)(f)", "8(1)(h)", "9(1)(i)", "8(1)(m)", "9(1)(o)"} <= codes


def test_cases_can_be_asked_for_by_number() -> None:
    history = generate_history(years=1, cases=500)
    assert len(history.cases) == 500
    assert history.truth.cases == 500
