"""Joiner watches as rows: opened by transfer leaver returns, closed by joiner returns or the scheduler."""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from cme_runtime.db import Transaction
from contracts.events.referral_v1 import ReferralKind, ReferralReceived
from services.triage.adapters.tables import decisions, watches
from services.triage.domain.watch import JoinerWatch, WatchStatus


@dataclass(frozen=True)
class StoredWatch:
    watch: JoinerWatch
    referral: ReferralReceived


@dataclass(frozen=True)
class RecordedJoiner:
    referral_id: UUID
    school_id: str
    joined_on: date


def _watch(row: Any) -> JoinerWatch:
    return JoinerWatch(
        watch_id=str(row.watch_id),
        child_id=str(row.child_id),
        school_id=row.school_id,
        started_on=row.started_on,
        deadline=row.deadline,
        status=WatchStatus(row.status),
        joined_school_id=row.joined_school_id,
        joined_on=row.joined_on,
    )


class WatchRepository(ABC):
    """The port triage's service layer keeps joiner watches through. Every method works inside `session`."""

    @abstractmethod
    async def add(
        self,
        session: Transaction,
        watch: JoinerWatch,
        referral: ReferralReceived,
        satisfied_by: UUID | None,
        decided_at: datetime | None,
    ) -> None:
        """Keep a new watch on `referral` (the leaver return); a second watch on the same referral is ignored."""

    @abstractmethod
    async def open_for_child(self, session: Transaction, child_id: UUID) -> list[JoinerWatch]:
        """The child's open watches, oldest first, held against concurrent change until `session` ends."""

    @abstractmethod
    async def open_due_by(self, session: Transaction, as_of: datetime) -> list[StoredWatch]:
        """Open watches that may have expired by `as_of` (a superset: the domain decides), earliest deadline first."""

    @abstractmethod
    async def record_satisfied(
        self, session: Transaction, watch: JoinerWatch, satisfied_by: UUID, at: datetime
    ) -> None:
        """Keep `watch` as satisfied by the joiner referral `satisfied_by`."""

    @abstractmethod
    async def record_cancelled(
        self, session: Transaction, watch: JoinerWatch, cancelled_by: UUID, at: datetime
    ) -> None:
        """Keep `watch` as cancelled by the referral `cancelled_by`."""

    @abstractmethod
    async def record_expired(self, session: Transaction, watch: JoinerWatch, decision_id: UUID, at: datetime) -> None:
        """Keep `watch` as expired, with the CME decision published for it."""

    @abstractmethod
    async def recorded_joiners(self, session: Transaction, child_id: UUID) -> list[RecordedJoiner]:
        """Joiner returns already triaged for the child, latest start date first."""


class SqlWatchRepository(WatchRepository):
    async def add(
        self,
        session: Transaction,
        watch: JoinerWatch,
        referral: ReferralReceived,
        satisfied_by: UUID | None,
        decided_at: datetime | None,
    ) -> None:
        await session.execute(
            insert(watches)
            .values(
                watch_id=UUID(watch.watch_id),
                child_id=UUID(watch.child_id),
                referral_id=referral.referral_id,
                school_id=watch.school_id,
                started_on=watch.started_on,
                deadline=watch.deadline,
                status=watch.status.value,
                referral=referral.model_dump(mode="json"),
                satisfied_by=satisfied_by,
                joined_school_id=watch.joined_school_id,
                joined_on=watch.joined_on,
                decided_at=decided_at,
            )
            .on_conflict_do_nothing(index_elements=["referral_id"])
        )

    async def open_for_child(self, session: Transaction, child_id: UUID) -> list[JoinerWatch]:
        """The child's open watches, locked until the caller's transaction ends.

        Waiting on a lock the scheduler holds is deliberate: once it commits, a watch it expired is no
        longer open and is left alone.
        """
        rows = await session.execute(
            select(watches)
            .where(watches.c.child_id == child_id, watches.c.status == WatchStatus.OPEN.value)
            .order_by(watches.c.started_on, watches.c.watch_id)
            .with_for_update()
        )
        return [_watch(row) for row in rows]

    async def open_due_by(self, session: Transaction, as_of: datetime) -> list[StoredWatch]:
        """Open watches that may have expired by `as_of`, locked; watches another scheduler holds are skipped.

        The domain decides which have expired. This is a superset of them: UK time is never behind UTC, so a
        deadline day that has ended in the UK is on or before the UTC date.
        """
        latest_deadline = as_of.astimezone(UTC).date()
        rows = await session.execute(
            select(watches)
            .where(watches.c.status == WatchStatus.OPEN.value, watches.c.deadline <= latest_deadline)
            .order_by(watches.c.deadline, watches.c.watch_id)
            .with_for_update(skip_locked=True)
        )
        return [StoredWatch(_watch(row), ReferralReceived.model_validate(row.referral)) for row in rows]

    async def record_satisfied(
        self, session: Transaction, watch: JoinerWatch, satisfied_by: UUID, at: datetime
    ) -> None:
        await session.execute(
            update(watches)
            .where(watches.c.watch_id == UUID(watch.watch_id))
            .values(
                status=watch.status.value,
                satisfied_by=satisfied_by,
                joined_school_id=watch.joined_school_id,
                joined_on=watch.joined_on,
                decided_at=at,
            )
        )

    async def record_cancelled(
        self, session: Transaction, watch: JoinerWatch, cancelled_by: UUID, at: datetime
    ) -> None:
        await session.execute(
            update(watches)
            .where(watches.c.watch_id == UUID(watch.watch_id))
            .values(status=watch.status.value, satisfied_by=cancelled_by, decided_at=at)
        )

    async def record_expired(self, session: Transaction, watch: JoinerWatch, decision_id: UUID, at: datetime) -> None:
        await session.execute(
            update(watches)
            .where(watches.c.watch_id == UUID(watch.watch_id))
            .values(status=watch.status.value, expiry_decision_id=decision_id, decided_at=at)
        )

    async def recorded_joiners(self, session: Transaction, child_id: UUID) -> list[RecordedJoiner]:
        """Joiner returns already triaged for the child, latest start date first."""
        rows = await session.execute(
            select(decisions.c.referral_id, decisions.c.school_id, decisions.c.referral_date)
            .where(
                decisions.c.child_id == child_id,
                decisions.c.referral_kind == ReferralKind.JOINER.value,
                decisions.c.school_id.is_not(None),
                decisions.c.referral_date.is_not(None),
            )
            .order_by(decisions.c.referral_date.desc(), decisions.c.decided_at.desc())
        )
        return [RecordedJoiner(row.referral_id, row.school_id, row.referral_date) for row in rows]
