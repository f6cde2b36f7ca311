from datetime import date

import pytest

from services.review.domain.risk import RiskBand, ScoreError, review, risk_band

# The matrix in the policy's Appendix F, written out cell by cell.
MATRIX = {
    5: "MED MED HI HI HI",
    4: "LO LO MED HI HI",
    3: "LO LO MED HI HI",
    2: "LO LO MED HI HI",
    1: "LO LO MED HI HI",
}


@pytest.mark.parametrize(
    ("cme_score", "safeguarding_score", "expected"),
    [(cme, sg, band) for cme, row in MATRIX.items() for sg, band in enumerate(row.split(), start=1)],
)
def test_every_cell_of_the_missing_mondays_matrix(cme_score: int, safeguarding_score: int, expected: str) -> None:
    assert risk_band(cme_score, safeguarding_score) == RiskBand(expected)


@pytest.mark.parametrize(("cme_score", "safeguarding_score"), [(0, 1), (6, 1), (1, 0), (1, 6)])
def test_scores_outside_one_to_five_are_refused(cme_score: int, safeguarding_score: int) -> None:
    with pytest.raises(ScoreError):
        risk_band(cme_score, safeguarding_score)


def test_high_risk_must_not_close_and_is_reviewed_again_in_twelve_months() -> None:
    outcome = review(5, 5, date(2026, 11, 30))
    assert outcome.risk_band is RiskBand.HI
    assert outcome.may_close is False
    assert outcome.next_review_date == date(2027, 11, 30)


@pytest.mark.parametrize(("cme_score", "safeguarding_score"), [(5, 1), (1, 1)])
def test_medium_and_low_risk_need_a_senior_officer_to_close(cme_score: int, safeguarding_score: int) -> None:
    outcome = review(cme_score, safeguarding_score, date(2026, 11, 30))
    assert outcome.may_close is True
    assert outcome.needs_senior_sign_off is True
