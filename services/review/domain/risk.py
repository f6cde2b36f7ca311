"""The Missing Mondays whereabouts-unknown review: risk band from the CME and safeguarding scores (App. F)."""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class RiskBand(StrEnum):
    LO = "LO"
    MED = "MED"
    HI = "HI"


CME_SCORE_MEANINGS = {
    1: "Home address and new school provided",
    2: "New school provided",
    3: "New address provided",
    4: "Destination country provided",
    5: "Left the country, destination not provided",
}
SAFEGUARDING_SCORE_MEANINGS = {
    1: "Not known to attendees or no concerns",
    2: "Some support needs or minor concerns",
    3: "Single-agency awareness and/or some concerns",
    4: "Multi-agency (including social care) and/or many concerns",
    5: "Multi-agency (including social care) and/or serious concerns",
}

# Rows: CME score 5, then CME scores 1 to 4 (which share a row). Columns: safeguarding score 1..5.
_LEFT_COUNTRY_ROW = (RiskBand.MED, RiskBand.MED, RiskBand.HI, RiskBand.HI, RiskBand.HI)
_OTHER_ROW = (RiskBand.LO, RiskBand.LO, RiskBand.MED, RiskBand.HI, RiskBand.HI)
HIGH_RISK_REVIEW_INTERVAL = timedelta(days=365)


class ScoreError(ValueError):
    pass


@dataclass(frozen=True)
class ReviewOutcome:
    risk_band: RiskBand
    may_close: bool
    needs_senior_sign_off: bool
    next_review_date: date | None
    recommendation: str


def risk_band(cme_score: int, safeguarding_score: int) -> RiskBand:
    for name, score in (("CME score", cme_score), ("safeguarding score", safeguarding_score)):
        if not 1 <= score <= 5:
            raise ScoreError(f"{name} must be from 1 to 5")
    row = _LEFT_COUNTRY_ROW if cme_score == 5 else _OTHER_ROW
    return row[safeguarding_score - 1]


def review(cme_score: int, safeguarding_score: int, reviewed_on: date) -> ReviewOutcome:
    band = risk_band(cme_score, safeguarding_score)
    if band is RiskBand.HI:
        return ReviewOutcome(
            band,
            may_close=False,
            needs_senior_sign_off=False,
            next_review_date=reviewed_on + HIGH_RISK_REVIEW_INTERVAL,
            recommendation="High risk: must not be closed; checks continue; review again in 12 months",
        )
    if band is RiskBand.MED:
        return ReviewOutcome(
            band,
            may_close=True,
            needs_senior_sign_off=True,
            next_review_date=None,
            recommendation="Medium risk: a senior officer decides on closure from the evidence",
        )
    return ReviewOutcome(
        band,
        may_close=True,
        needs_senior_sign_off=True,
        next_review_date=None,
        recommendation="Low risk: the meeting may recommend closure; a senior officer decides",
    )
