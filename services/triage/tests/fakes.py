"""In-memory stand-ins for triage's ports, for service-layer tests. Each keeps what the SQL one keeps, in a list.

They subclass the ports, so a method the service layer needs and a fake lacks fails at construction.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import UUID

from cme_runtime.db import Transaction
from contracts.events.referral_v1 import ReferralKind, ReferralReceived
from services.triage.adapters.decisions import DecisionRepository
from services.triage.adapters.watches import RecordedJoiner, StoredWatch, WatchRepository
from services.triage.domain.decision import TriageDecision
from services.triage.domain.watch import JoinerWatch, WatchStatus


@dataclass(frozen=True)
class StoredDecision:
    decision_id: UUID
    referral: ReferralReceived
    decision: TriageDecision
    decided_at: datetime


class FakeDecisionRepository(DecisionRepository):
    def __init__(self) -> None:
        self.stored: list[StoredDecision] = []

    async def add(
        self,
        session: Transaction,
        decision_id: UUID,
        referral: ReferralReceived,
        decision: TriageDecision,
        decided_at: datetime,
    ) -> bool:
        if any(each.referral.referral_id == referral.referral_id for each in self.stored):
            return False
        self.stored.append(StoredDecision(decision_id, referral, decision, decided_at))
        return True


@dataclass(frozen=True)
class WatchRow:
    """A watch as the `watches` table keeps it."""

    watch: JoinerWatch
    referral: ReferralReceived
    satisfied_by: UUID | None = None
    expiry_decision_id: UUID | None = None
    decided_at: datetime | None = None


class FakeWatchRepository(WatchRepository):
    """Joiner watches in a list. Like the SQL repository, it finds recorded joiners among the stored decisions."""

    def __init__(self, decisions: FakeDecisionRepository) -> None:
        self.decisions = decisions
        self.rows: list[WatchRow] = []

    def row(self, watch_id: str) -> WatchRow:
        return next(row for row in self.rows if row.watch.watch_id == watch_id)

    def _index(self, watch: JoinerWatch) -> int:
        return next(i for i, row in enumerate(self.rows) if row.watch.watch_id == watch.watch_id)

    async def add(
        self,
        session: Transaction,
        watch: JoinerWatch,
        referral: ReferralReceived,
        satisfied_by: UUID | None,
        decided_at: datetime | None,
    ) -> None:
        if any(row.referral.referral_id == referral.referral_id for row in self.rows):
            return
        self.rows.append(WatchRow(watch, referral, satisfied_by=satisfied_by, decided_at=decided_at))

    async def open_for_child(self, session: Transaction, child_id: UUID) -> list[JoinerWatch]:
        open_watches = [
            row.watch
            for row in self.rows
            if row.watch.child_id == str(child_id) and row.watch.status is WatchStatus.OPEN
        ]
        return sorted(open_watches, key=lambda watch: (watch.started_on, watch.watch_id))

    async def open_due_by(self, session: Transaction, as_of: datetime) -> list[StoredWatch]:
        latest_deadline = as_of.astimezone(UTC).date()
        due = [
            row for row in self.rows if row.watch.status is WatchStatus.OPEN and row.watch.deadline <= latest_deadline
        ]
        due.sort(key=lambda row: (row.watch.deadline, row.watch.watch_id))
        return [StoredWatch(row.watch, row.referral) for row in due]

    async def record_satisfied(
        self, session: Transaction, watch: JoinerWatch, satisfied_by: UUID, at: datetime
    ) -> None:
        index = self._index(watch)
        self.rows[index] = replace(self.rows[index], watch=watch, satisfied_by=satisfied_by, decided_at=at)

    async def record_cancelled(
        self, session: Transaction, watch: JoinerWatch, cancelled_by: UUID, at: datetime
    ) -> None:
        index = self._index(watch)
        self.rows[index] = replace(self.rows[index], watch=watch, satisfied_by=cancelled_by, decided_at=at)

    async def record_expired(self, session: Transaction, watch: JoinerWatch, decision_id: UUID, at: datetime) -> None:
        index = self._index(watch)
        self.rows[index] = replace(self.rows[index], watch=watch, expiry_decision_id=decision_id, decided_at=at)

    async def recorded_joiners(self, session: Transaction, child_id: UUID) -> list[RecordedJoiner]:
        """The child's triaged joiner returns that name a school, latest start date (then latest decided) first."""
        latest_first = sorted(
            self.decisions.stored, key=lambda stored: (stored.referral.referral_date, stored.decided_at), reverse=True
        )
        return [
            RecordedJoiner(referral.referral_id, referral.school.establishment_id, referral.referral_date)
            for referral in (stored.referral for stored in latest_first)
            if referral.child_id == child_id and referral.kind is ReferralKind.JOINER and referral.school is not None
        ]
