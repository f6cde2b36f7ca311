"""In-memory stand-ins for review's ports, for service-layer tests. They subclass the ports they stand in for."""

import copy
from collections.abc import Sequence
from datetime import date

from cme_runtime.db import Transaction
from services.review.adapters.meetings import ConcurrentReviewChange, MeetingRepository
from services.review.domain.meeting import MissingMondaysReview, ReviewStatus


class FakeMeetingRepository(MeetingRepository):
    def __init__(self) -> None:
        self.rows: dict[str, MissingMondaysReview] = {}
        self.rechecks: set[tuple[str, date]] = set()

    async def add(self, session: Transaction, review: MissingMondaysReview) -> None:
        if review.review_id in self.rows:
            raise ValueError(f"review {review.review_id} exists")
        self.rows[review.review_id] = self._copy(review)

    async def get(
        self, session: Transaction, review_id: str, *, for_update: bool = False
    ) -> MissingMondaysReview | None:
        found = self.rows.get(review_id)
        return self._copy(found) if found else None

    async def save(self, session: Transaction, review: MissingMondaysReview, expected_version: int) -> None:
        if self.rows[review.review_id].version != expected_version:
            raise ConcurrentReviewChange(review.review_id)
        self.rows[review.review_id] = self._copy(review)

    async def on_agenda(self, session: Transaction, meeting_date: date) -> list[MissingMondaysReview]:
        return [self._copy(r) for r in self.rows.values()
                if r.meeting_date == meeting_date and r.status is not ReviewStatus.WITHDRAWN]

    async def in_status(self, session: Transaction, status: ReviewStatus) -> list[MissingMondaysReview]:
        return [self._copy(r) for r in self.rows.values() if r.status is status]

    async def for_case(self, session: Transaction, case_id: str) -> list[MissingMondaysReview]:
        return [self._copy(r) for r in self.rows.values() if r.case_id == case_id]

    async def kept_open(self, session: Transaction) -> list[MissingMondaysReview]:
        return [self._copy(r) for r in self.rows.values()
                if r.status is ReviewStatus.SIGNED_OFF and r.signature is not None
                and r.signature.next_review_date is not None and not r.follow_up_scheduled]

    async def add_rechecks(self, session: Transaction, review: MissingMondaysReview, due: Sequence[date]) -> list[date]:
        new = [day for day in due if (review.review_id, day) not in self.rechecks]
        self.rechecks.update((review.review_id, day) for day in new)
        return new

    @staticmethod
    def _copy(review: MissingMondaysReview) -> MissingMondaysReview:
        kept = copy.deepcopy(review)
        kept.events = []
        return kept
