"""Review's use case against in-memory ports: a Missing Mondays escalation is scored, kept and published."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from cme_runtime.testing import TRANSACTION, FixedClock, RecordingOutbox
from contracts.envelope import CloudEventAttributes, new_attributes
from contracts.events.case_v1 import CaseEscalated, EscalationKind
from contracts.events.review_v1 import ReviewDecided, RiskBand
from services.review.domain.risk import RiskBand as DomainRiskBand
from services.review.service_layer.reviews import ReviewService
from services.review.tests.fakes import FakeReviewRepository

NOW = datetime(2025, 11, 3, 10, 15, tzinfo=UTC)  # a Missing Mondays meeting


@dataclass
class Reviews:
    service: ReviewService
    outbox: RecordingOutbox
    repository: FakeReviewRepository
    clock: FixedClock


@pytest.fixture
def reviews() -> Reviews:
    outbox = RecordingOutbox(declared=frozenset({ReviewDecided.event_type}))
    repository = FakeReviewRepository()
    clock = FixedClock(NOW)
    return Reviews(ReviewService(outbox, repository, clock), outbox, repository, clock)


def escalation(
    kind: EscalationKind = EscalationKind.MISSING_MONDAYS,
    cme_score: int | None = 3,
    safeguarding_score: int | None = 2,
) -> CaseEscalated:
    return CaseEscalated(
        case_id=uuid4(),
        child_id=uuid4(),
        escalated_at=NOW - timedelta(minutes=5),
        kind=kind,
        cme_score=cme_score,
        safeguarding_score=safeguarding_score,
        escalated_by="officer-1",
    )


def attributes(event: CaseEscalated, time: datetime = NOW) -> CloudEventAttributes:
    return new_attributes(event, source="/casework", subject=str(event.case_id), time=time)


@pytest.mark.parametrize(
    ("cme_score", "safeguarding_score", "band"),
    [
        (1, 1, RiskBand.LO),
        (4, 2, RiskBand.LO),
        (2, 3, RiskBand.MED),
        (3, 4, RiskBand.HI),
        (5, 1, RiskBand.MED),
        (5, 2, RiskBand.MED),
        (5, 3, RiskBand.HI),
        (4, 5, RiskBand.HI),
    ],
)
async def test_a_missing_mondays_escalation_is_reviewed_once_and_its_band_published(
    reviews: Reviews, cme_score: int, safeguarding_score: int, band: RiskBand
) -> None:
    escalated = escalation(cme_score=cme_score, safeguarding_score=safeguarding_score)
    envelope = attributes(escalated)

    await reviews.service.on_case_escalated(TRANSACTION, envelope, escalated)

    [kept] = reviews.repository.reviews
    assert kept.case_id == escalated.case_id
    assert kept.child_id == escalated.child_id
    assert kept.escalation_event_id == envelope.id
    assert (kept.cme_score, kept.safeguarding_score) == (cme_score, safeguarding_score)
    assert kept.outcome.risk_band is DomainRiskBand(band.value)
    assert kept.decided_at == NOW
    [published] = reviews.outbox.published
    assert published.key == str(escalated.child_id)
    assert published.subject == str(escalated.case_id)
    decided = published.event
    assert isinstance(decided, ReviewDecided)
    assert decided.review_id == kept.review_id
    assert decided.case_id == escalated.case_id
    assert decided.risk_band is band
    assert (decided.cme_score, decided.safeguarding_score) == (cme_score, safeguarding_score)
    assert decided.decided_at == NOW
    assert decided.may_close is (band is not RiskBand.HI)
    assert decided.needs_senior_sign_off is (band is not RiskBand.HI)
    assert decided.next_review_date == (date(2026, 11, 3) if band is RiskBand.HI else None)
    assert decided.recommendation == kept.outcome.recommendation


async def test_the_review_is_dated_in_the_escalations_own_timezone(reviews: Reviews) -> None:
    reviews.clock.now = datetime(2025, 11, 2, 20, 0, tzinfo=UTC)  # already Monday 3 Nov at UTC+10
    plus_ten = timezone(timedelta(hours=10))
    escalated = escalation(cme_score=5, safeguarding_score=4)

    await reviews.service.on_case_escalated(
        TRANSACTION, attributes(escalated, datetime(2025, 11, 3, 5, 55, tzinfo=plus_ten)), escalated
    )

    [published] = reviews.outbox.published
    decided = published.event
    assert isinstance(decided, ReviewDecided)
    assert decided.decided_at == datetime(2025, 11, 3, 6, 0, tzinfo=plus_ten)
    assert decided.decided_at.utcoffset() == timedelta(hours=10)
    assert decided.next_review_date == date(2026, 11, 3)


@pytest.mark.parametrize("kind", [kind for kind in EscalationKind if kind is not EscalationKind.MISSING_MONDAYS])
async def test_other_escalations_are_not_reviewed(reviews: Reviews, kind: EscalationKind) -> None:
    escalated = escalation(kind=kind, cme_score=5, safeguarding_score=5)

    await reviews.service.on_case_escalated(TRANSACTION, attributes(escalated), escalated)

    assert reviews.repository.reviews == []
    assert reviews.outbox.published == []


@pytest.mark.parametrize(("cme_score", "safeguarding_score"), [(None, 3), (3, None), (None, None)])
async def test_a_missing_mondays_escalation_without_both_scores_is_not_reviewed(
    reviews: Reviews, cme_score: int | None, safeguarding_score: int | None
) -> None:
    escalated = escalation(cme_score=cme_score, safeguarding_score=safeguarding_score)

    await reviews.service.on_case_escalated(TRANSACTION, attributes(escalated), escalated)

    assert reviews.repository.reviews == []
    assert reviews.outbox.published == []
