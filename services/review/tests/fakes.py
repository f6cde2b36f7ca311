"""In-memory stand-ins for review's ports, for service-layer tests. They subclass the ports they stand in for."""


from cme_runtime.db import Transaction
from services.review.adapters.repository import Review, ReviewRepository


class FakeReviewRepository(ReviewRepository):
    def __init__(self) -> None:
        self.reviews: list[Review] = []

    async def add(self, session: Transaction, review: Review) -> None:
        # The reviews table allows one review per escalation event.
        if any(each.escalation_event_id == review.escalation_event_id for each in self.reviews):
            raise ValueError(f"escalation {review.escalation_event_id} was reviewed before")
        self.reviews.append(review)
