"""Steps of the Missing Mondays meeting that the end-to-end and browser tests share."""

from datetime import UTC, date, datetime, time

from cme_runtime.testing import FixedClock
from services.review.app import build as build_review
from services.review.settings import ReviewSettings
from tests.support.suite import RunningSuite


async def pass_at(suite: RunningSuite, case_id: str, chair_id: str, on: date) -> None:
    """The chair passes the form on at the following meeting: review's use case with the clock at that meeting."""
    env = suite.specs["review"].env
    settings = ReviewSettings(
        DATABASE_URL=env["DATABASE_URL"],
        KAFKA_BOOTSTRAP_SERVERS=env["KAFKA_BOOTSTRAP_SERVERS"],
        topic_prefix=suite.topic_prefix,
        start_consumers=False,
        log_level="WARNING",
    )
    components = build_review(settings, clock=FixedClock(datetime.combine(on, time(10), UTC)))
    try:
        async with components.runtime.session_factory.begin() as session:
            [form] = [each for each in await components.service.reviews.for_case(session, case_id) if each.is_active]
            await components.service.pass_to_senior_officer(session, form.review_id, by=chair_id)
    finally:
        await components.runtime.engine.dispose()
