"""Missing Mondays review forms as rows: the form as JSON, with the columns the agenda and the scheduler query."""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import UTC, date, datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from cme_runtime.db import Transaction
from cme_runtime.snapshots import build, to_json
from services.review.adapters.tables import missing_mondays_reviews, rechecks
from services.review.domain.meeting import MissingMondaysReview, ReviewStatus


class ConcurrentReviewChange(RuntimeError):
    """Someone else changed the review since it was read."""


class MeetingRepository(ABC):
    """The port review's service layer keeps its review forms through."""

    @abstractmethod
    async def add(self, session: Transaction, review: MissingMondaysReview) -> None: ...

    @abstractmethod
    async def get(
        self, session: Transaction, review_id: str, *, for_update: bool = False
    ) -> MissingMondaysReview | None:
        ...

    @abstractmethod
    async def save(self, session: Transaction, review: MissingMondaysReview, expected_version: int) -> None: ...

    @abstractmethod
    async def on_agenda(self, session: Transaction, meeting_date: date) -> list[MissingMondaysReview]:
        """Reviews awaiting that meeting, and forms circulated at it (the papers)."""

    @abstractmethod
    async def in_status(self, session: Transaction, status: ReviewStatus) -> list[MissingMondaysReview]: ...

    @abstractmethod
    async def for_case(self, session: Transaction, case_id: str) -> list[MissingMondaysReview]: ...

    @abstractmethod
    async def kept_open(self, session: Transaction) -> list[MissingMondaysReview]:
        """Reviews signed off as remain open whose further review is not yet on an agenda."""

    @abstractmethod
    async def add_rechecks(self, session: Transaction, review: MissingMondaysReview, due: Sequence[date]) -> list[date]:
        """Record re-checks; returns those that were new."""


class SqlMeetingRepository(MeetingRepository):
    async def add(self, session: Transaction, review: MissingMondaysReview) -> None:
        await session.execute(missing_mondays_reviews.insert().values(**self._row(review)))

    async def get(
        self, session: Transaction, review_id: str, *, for_update: bool = False
    ) -> MissingMondaysReview | None:
        query = select(missing_mondays_reviews.c.data).where(missing_mondays_reviews.c.review_id == UUID(review_id))
        if for_update:
            query = query.with_for_update()
        data = (await session.execute(query)).scalar_one_or_none()
        return build(MissingMondaysReview, data) if data is not None else None

    async def save(self, session: Transaction, review: MissingMondaysReview, expected_version: int) -> None:
        row = self._row(review)
        result = await session.execute(
            update(missing_mondays_reviews)
            .where(missing_mondays_reviews.c.review_id == UUID(review.review_id),
                   missing_mondays_reviews.c.version == expected_version)
            .values(**{key: value for key, value in row.items() if key != "review_id"})
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentReviewChange(review.review_id)

    async def on_agenda(self, session: Transaction, meeting_date: date) -> list[MissingMondaysReview]:
        return await self._session_where(session, missing_mondays_reviews.c.meeting_date == meeting_date,
                                         missing_mondays_reviews.c.status != ReviewStatus.WITHDRAWN.value)

    async def in_status(self, session: Transaction, status: ReviewStatus) -> list[MissingMondaysReview]:
        return await self._session_where(session, missing_mondays_reviews.c.status == status.value)

    async def for_case(self, session: Transaction, case_id: str) -> list[MissingMondaysReview]:
        return await self._session_where(session, missing_mondays_reviews.c.case_id == UUID(case_id))

    async def kept_open(self, session: Transaction) -> list[MissingMondaysReview]:
        reviews = await self._session_where(
            session,
            missing_mondays_reviews.c.status == ReviewStatus.SIGNED_OFF.value,
            missing_mondays_reviews.c.next_review_date.is_not(None),
        )
        return [review for review in reviews if not review.follow_up_scheduled]

    async def add_rechecks(self, session: Transaction, review: MissingMondaysReview, due: Sequence[date]) -> list[date]:
        if not due:
            return []
        inserted = await session.execute(
            insert(rechecks)
            .values([{"review_id": UUID(review.review_id), "due_on": day, "case_id": UUID(review.case_id),
                      "created_at": datetime.now(UTC)} for day in due])
            .on_conflict_do_nothing()
            .returning(rechecks.c.due_on)
        )
        return sorted(inserted.scalars())

    async def _session_where(self, session: Transaction, *conditions: object) -> list[MissingMondaysReview]:
        query = select(missing_mondays_reviews.c.data).where(*conditions).order_by(  # type: ignore[arg-type]
            missing_mondays_reviews.c.meeting_date, missing_mondays_reviews.c.review_id)
        return [build(MissingMondaysReview, data) for data in (await session.execute(query)).scalars()]

    @staticmethod
    def _row(review: MissingMondaysReview) -> dict[str, object]:
        signed = review.signature
        return {
            "review_id": UUID(review.review_id),
            "case_id": UUID(review.case_id),
            "child_id": UUID(review.child_id),
            "status": review.status.value,
            "meeting_date": review.meeting_date,
            "next_review_date": signed.next_review_date if signed else None,
            "data": to_json(review),
            "version": review.version,
            "updated_at": datetime.now(UTC),
        }
