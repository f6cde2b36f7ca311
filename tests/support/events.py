"""Valid events for runtime tests that need any event at all (the consumer plumbing does not care which)."""

from uuid import uuid4

from contracts.events.review_v1 import ReviewDecided, RiskBand


def review_event() -> ReviewDecided:
    return ReviewDecided(
        review_id=uuid4(),
        case_id=uuid4(),
        child_id=uuid4(),
        decided_at="2026-11-27T10:00:00Z",
        cme_score=5,
        safeguarding_score=5,
        risk_band=RiskBand.HI,
        may_close=False,
        needs_senior_sign_off=False,
        recommendation="High risk",
    )
