"""The Missing Mondays meeting's rules (policy §10, App. F): agenda dates, the objection window, the chair's
hand-over and the senior officer's sign-off."""

from datetime import UTC, date, datetime, timedelta

import pytest

from services.review.domain.meeting import (
    AgendaReason,
    Decision,
    MissingMondaysReview,
    ReviewRuleBroken,
    ReviewStatus,
    meeting_on_or_after,
    months_later,
    next_meeting_after,
    recheck_dates,
)
from services.review.domain.risk import RiskBand

ESCALATED = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday
FIRST_MEETING = date(2026, 3, 9)  # the following Monday
OFFICER, CHAIR, SENIOR = "officer-1", "lead-1", "senior-1"


def at(day: date, hour: int = 11) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def review() -> MissingMondaysReview:
    return MissingMondaysReview(
        review_id="review-1", case_id="case-1", child_id="child-1", escalated_by=OFFICER, escalated_at=ESCALATED,
        meeting_date=next_meeting_after(ESCALATED.date()), agenda_reason=AgendaReason.ESCALATED,
        proposed_cme_score=5, proposed_safeguarding_score=1,
    )


def scored(cme: int = 4, safeguarding: int = 1, recommendation: Decision = Decision.CLOSE,
           meeting: date = FIRST_MEETING) -> MissingMondaysReview:
    form = review()
    form.score(chair_id=CHAIR, meeting_date=meeting, cme_score=cme, safeguarding_score=safeguarding,
               attendees=["Lead officer", "Social care"], comments="All checks exhausted",
               recommendation=recommendation, at=at(meeting))
    return form


def passed(**kwargs: object) -> MissingMondaysReview:
    form = scored(**kwargs)  # type: ignore[arg-type]
    form.pass_to_senior_officer(by=CHAIR, at=at(FIRST_MEETING + timedelta(days=7)))
    return form


def test_meetings_fall_on_the_configured_weekday_after_the_escalation() -> None:
    assert next_meeting_after(date(2026, 3, 4)) == date(2026, 3, 9)
    assert next_meeting_after(date(2026, 3, 9)) == date(2026, 3, 16)  # papers need a day: not the same Monday
    assert next_meeting_after(date(2026, 3, 4), weekday=2) == date(2026, 3, 11)
    assert meeting_on_or_after(date(2026, 3, 9)) == date(2026, 3, 9)


@pytest.mark.parametrize(
    ("day", "later"),
    [(date(2028, 2, 29), date(2029, 2, 28)), (date(2026, 3, 9), date(2027, 3, 9)), (date(2026, 1, 31),
                                                                                    date(2027, 1, 31))],
)
def test_twelve_calendar_months_later(day: date, later: date) -> None:
    assert months_later(day, 12) == later


def test_an_escalation_waits_for_the_next_meeting_and_is_not_scored_until_then() -> None:
    form = review()

    assert form.meeting_date == FIRST_MEETING
    assert form.status is ReviewStatus.AWAITING_MEETING
    assert form.scoring is None
    with pytest.raises(ReviewRuleBroken, match="on the agenda of 2026-03-09"):
        form.score(chair_id=CHAIR, meeting_date=date(2026, 3, 16), cme_score=4, safeguarding_score=1,
                   attendees=["x"], comments="c", recommendation=Decision.CLOSE, at=at(date(2026, 3, 16)))


def test_scoring_at_the_meeting_circulates_the_form_with_its_band_and_window() -> None:
    form = scored(cme=4, safeguarding=1)

    assert form.status is ReviewStatus.CIRCULATED
    assert form.scoring is not None
    assert form.scoring.risk_band is RiskBand.LO
    assert form.scoring.cme_meaning == "Destination country provided"
    assert form.window_closes == date(2026, 3, 16)
    assert form.events[-1].kind == "review.scored"


def test_the_meeting_cannot_recommend_closing_a_high_risk_case() -> None:
    with pytest.raises(ReviewRuleBroken, match="must not be recommended for closure"):
        scored(cme=5, safeguarding=5, recommendation=Decision.CLOSE)


def test_a_concern_in_the_window_sends_the_review_back_to_the_next_agenda_and_the_next_scoring_resolves_it() -> None:
    form = scored()

    form.raise_concern(concern_id="c-1", by="sw-1", team="Social care", text="Sibling seen locally",
                       at=at(date(2026, 3, 12)))

    assert form.status is ReviewStatus.AWAITING_MEETING
    assert form.meeting_date == date(2026, 3, 16)
    assert form.agenda_reason is AgendaReason.CONCERN_RAISED
    assert [concern.concern_id for concern in form.open_concerns] == ["c-1"]
    with pytest.raises(ReviewRuleBroken, match="only a circulated form"):
        form.pass_to_senior_officer(by=CHAIR, at=at(date(2026, 3, 16)))

    form.score(chair_id=CHAIR, meeting_date=date(2026, 3, 16), cme_score=4, safeguarding_score=1,
               attendees=["Lead officer"], comments="Sibling was a different child", recommendation=Decision.CLOSE,
               at=at(date(2026, 3, 16)))
    assert form.open_concerns == []
    assert form.concerns[0].resolved_on == date(2026, 3, 16)
    assert form.window_closes == date(2026, 3, 23)


def test_no_concern_after_the_window_and_no_hand_over_before_it_closes() -> None:
    form = scored()

    with pytest.raises(ReviewRuleBroken, match="open until the meeting of 2026-03-16"):
        form.pass_to_senior_officer(by=CHAIR, at=at(date(2026, 3, 15)))
    with pytest.raises(ReviewRuleBroken, match="window for concerns closed"):
        form.raise_concern(concern_id="c", by="x", team="Housing", text="late", at=at(date(2026, 3, 17)))
    with pytest.raises(ReviewRuleBroken, match="only the chair"):
        form.pass_to_senior_officer(by="someone-else", at=at(date(2026, 3, 16)))

    form.pass_to_senior_officer(by=CHAIR, at=at(date(2026, 3, 16)))
    assert form.status is ReviewStatus.WITH_SENIOR_OFFICER


def test_the_senior_officer_signs_a_low_risk_closure() -> None:
    form = passed()

    signed = form.sign_off(senior_officer_id=SENIOR, name="Invented Senior", role="Assistant Director",
                           decision=Decision.CLOSE, comments="Agreed", at=at(date(2026, 3, 17)))

    assert form.status is ReviewStatus.SIGNED_OFF
    assert signed.next_review_date is None
    assert form.events[-1].summary == "Signed off by the senior officer (Assistant Director): case to be closed"


@pytest.mark.parametrize("who", [OFFICER, CHAIR])
def test_neither_the_escalating_officer_nor_the_chair_can_sign_off(who: str) -> None:
    form = passed()

    with pytest.raises(ReviewRuleBroken, match="cannot sign off"):
        form.sign_off(senior_officer_id=who, name="N", role="R", decision=Decision.CLOSE, comments="",
                      at=at(date(2026, 3, 17)))
    assert form.status is ReviewStatus.WITH_SENIOR_OFFICER


def test_high_risk_is_signed_only_as_remain_open_with_the_review_twelve_months_on() -> None:
    form = passed(cme=5, safeguarding=5, recommendation=Decision.REMAIN_OPEN)

    with pytest.raises(ReviewRuleBroken, match="only be signed as remain open"):
        form.sign_off(senior_officer_id=SENIOR, name="N", role="AD", decision=Decision.CLOSE, comments="",
                      at=at(date(2026, 3, 17)))
    signed = form.sign_off(senior_officer_id=SENIOR, name="N", role="AD", decision=Decision.REMAIN_OPEN,
                           comments="Checks continue", at=at(date(2026, 3, 17)))

    assert signed.next_review_date == date(2027, 3, 9)


def test_a_leap_day_meeting_is_reviewed_again_on_28_february() -> None:
    leap_monday = date(2027, 3, 1)  # any Monday works for the arithmetic; 29 Feb 2028 is a Tuesday
    assert months_later(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert next_meeting_after(date(2028, 2, 28), weekday=1) == date(2028, 2, 29)
    form = MissingMondaysReview(
        review_id="r", case_id="c", child_id="ch", escalated_by=OFFICER, escalated_at=at(date(2028, 2, 28)),
        meeting_date=date(2028, 2, 29), agenda_reason=AgendaReason.ESCALATED, proposed_cme_score=5,
        proposed_safeguarding_score=5,
    )
    form.score(chair_id=CHAIR, meeting_date=date(2028, 2, 29), cme_score=5, safeguarding_score=5, attendees=["a"],
               comments="c", recommendation=Decision.REMAIN_OPEN, at=at(date(2028, 2, 29)))
    form.pass_to_senior_officer(by=CHAIR, at=at(date(2028, 3, 7)))
    signed = form.sign_off(senior_officer_id=SENIOR, name="N", role="AD", decision=Decision.REMAIN_OPEN,
                           comments="", at=at(date(2028, 3, 7)))
    assert signed.next_review_date == date(2029, 2, 28)
    assert leap_monday.weekday() == 0


def test_a_case_kept_open_is_due_again_a_year_on_and_rechecked_in_between() -> None:
    form = passed(cme=5, safeguarding=5, recommendation=Decision.REMAIN_OPEN)
    signed = form.sign_off(senior_officer_id=SENIOR, name="N", role="AD", decision=Decision.REMAIN_OPEN,
                           comments="", at=at(date(2026, 3, 17)))
    assert signed.next_review_date is not None

    again = form.re_review(review_id="review-2", as_of=at(date(2027, 3, 10)))

    assert again.meeting_date == date(2027, 3, 15)
    assert again.agenda_reason is AgendaReason.TWELVE_MONTH_REVIEW
    assert again.previous_review_id == "review-1"
    with pytest.raises(ReviewRuleBroken, match="already on an agenda"):
        form.re_review(review_id="review-3", as_of=at(date(2027, 3, 10)))
    rechecks = recheck_dates(signed, timedelta(weeks=4), signed.next_review_date)
    assert rechecks[0] == date(2026, 4, 14)
    assert rechecks[-1] < date(2027, 3, 9)
    assert len(rechecks) == 12


def test_the_chair_withdraws_a_case_with_a_reason() -> None:
    form = review()

    with pytest.raises(ReviewRuleBroken, match="say why"):
        form.withdraw(by=CHAIR, reason=" ", at=ESCALATED)
    form.withdraw(by=CHAIR, reason="Child found on GIAP", at=ESCALATED)

    assert form.status is ReviewStatus.WITHDRAWN
    assert form.agenda_changes[0].reason == "Child found on GIAP"


def test_the_chair_adds_a_case_kept_open_back_to_the_next_agenda_with_a_reason() -> None:
    form = passed(cme=5, safeguarding=5, recommendation=Decision.REMAIN_OPEN)
    form.sign_off(senior_officer_id=SENIOR, name="N", role="AD", decision=Decision.REMAIN_OPEN, comments="",
                  at=at(date(2026, 3, 17)))

    with pytest.raises(ReviewRuleBroken, match="say why"):
        form.add_to_agenda(review_id="review-2", by=CHAIR, reason="", at=at(date(2026, 6, 3)))
    added = form.add_to_agenda(review_id="review-2", by=CHAIR, reason="New sighting reported by police",
                               at=at(date(2026, 6, 3)))

    assert added.meeting_date == date(2026, 6, 8)
    assert added.agenda_reason is AgendaReason.ADDED_BY_CHAIR
    assert added.agenda_changes[0].reason == "New sighting reported by police"
    assert form.follow_up_scheduled
    with pytest.raises(ReviewRuleBroken, match="already has a later review"):
        form.add_to_agenda(review_id="review-3", by=CHAIR, reason="again", at=at(date(2026, 6, 3)))
