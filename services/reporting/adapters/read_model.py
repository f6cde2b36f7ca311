"""The read model's port and its PostgreSQL implementation, side by side.

Writes take many rows at once, so the consumers apply a whole batch of events in a few statements; every write
is keyed by the events' own ids, so a replayed event gives the same rows. Reads return the pure domain's facts
for one week's pack.
"""

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from cme_runtime.db import Transaction
from cme_runtime.inbox import Delivery
from contracts.base import Event
from services.reporting.adapters.tables import (
    READ_MODEL,
    case_changes,
    cases,
    escalations,
    inbox,
    referrals,
    rejections,
    reviews,
    triage_decisions,
)
from services.reporting.domain.pack import (
    AgendaItem,
    CaseFact,
    EscalationFact,
    Facts,
    ReferralFact,
    StatusChange,
    facts_window,
)


@dataclass(frozen=True)
class Delivered:
    """An event as delivered from a topic: its CloudEvents id and type, the digest of its content (for the
    inbox) and the event."""

    event_id: str
    event_type: str
    digest: str
    event: Event


class ReadModel(ABC):
    """The port reporting's service layer keeps and reads its read model through. Writes take many rows at once:
    the consumers apply a whole batch of events in a few statements."""

    @abstractmethod
    async def record_deliveries(
        self, tx: Transaction, consumer: str, deliveries: Sequence[tuple[str, str, str]]
    ) -> list[Delivery]:
        """Record (event id, type, content digest) in the inbox; for each, whether it is new, a duplicate or a
        conflict (the same id with other content), as cme_runtime.inbox does one at a time."""

    @abstractmethod
    async def add(self, tx: Transaction, table: str, rows: Sequence[dict[str, Any]]) -> None:
        """Insert insert-only facts (referrals, triage_decisions, case_changes, escalations, rejections); a row
        whose key is already there is left as it is."""

    @abstractmethod
    async def cases(self, tx: Transaction, case_ids: Iterable[UUID]) -> dict[UUID, dict[str, Any]]: ...

    @abstractmethod
    async def save_cases(self, tx: Transaction, rows: Sequence[dict[str, Any]]) -> None: ...

    @abstractmethod
    async def unknown_referrals(self, tx: Transaction, referral_ids: Iterable[UUID]) -> set[UUID]:
        """Those of the referrals triage decided with the child's whereabouts unknown."""

    @abstractmethod
    async def mark_unknown_from_opening(self, tx: Transaction, referral_ids: Iterable[UUID]) -> None:
        """Cases opened from these referrals (read before their decision) are whereabouts unknown since opening."""

    @abstractmethod
    async def reviews(self, tx: Transaction, review_ids: Iterable[UUID]) -> dict[UUID, dict[str, Any]]: ...

    @abstractmethod
    async def save_reviews(self, tx: Transaction, rows: Sequence[dict[str, Any]]) -> None: ...

    @abstractmethod
    async def facts(self, tx: Transaction, week_start: date) -> Facts:
        """What the pack for the week beginning `week_start` counts (see domain/pack.py `Facts`)."""

    @abstractmethod
    async def clear(self, tx: Transaction) -> None:
        """Drop every row of the read model and the inbox, before a rebuild replays the topics."""


INSERT_ONLY = {table.name: table for table in (referrals, triage_decisions, case_changes, escalations, rejections)}
# Many rows go as one executemany: SQLAlchemy batches them into multi-row statements it compiles once and caches
# (compiling a fresh 500-row VALUES clause per batch cost more than running it).


class SqlReadModel(ReadModel):
    async def record_deliveries(
        self, tx: Transaction, consumer: str, deliveries: Sequence[tuple[str, str, str]]
    ) -> list[Delivery]:
        first_seen: dict[str, str] = {}
        for event_id, _, digest in deliveries:
            first_seen.setdefault(event_id, digest)
        unique: dict[str, dict[str, Any]] = {}
        for event_id, event_type, digest in deliveries:
            unique.setdefault(
                event_id,
                {"consumer": consumer, "event_id": event_id, "event_type": event_type, "content_digest": digest},
            )
        inserted: set[str] = set()
        if unique:
            result = await tx.execute(
                insert(inbox).on_conflict_do_nothing().returning(inbox.c.event_id), list(unique.values())
            )
            inserted.update(result.scalars())
        stored: dict[str, str | None] = {}
        earlier = [event_id for event_id in first_seen if event_id not in inserted]
        if earlier:
            result = await tx.execute(
                select(inbox.c.event_id, inbox.c.content_digest).where(
                    inbox.c.consumer == consumer, inbox.c.event_id.in_(earlier)
                )
            )
            stored = {event_id: digest for event_id, digest in result.tuples()}
        outcomes = []
        counted: set[str] = set()
        for event_id, _, digest in deliveries:
            if event_id in inserted and event_id not in counted:
                counted.add(event_id)
                outcomes.append(Delivery.FIRST)
                continue
            known = first_seen[event_id] if event_id in inserted else stored.get(event_id)
            # Rows recorded before the digest existed have none: those can only be taken on trust as duplicates.
            outcomes.append(Delivery.DUPLICATE if known is None or known == digest else Delivery.CONFLICT)
        return outcomes

    async def add(self, tx: Transaction, table: str, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await tx.execute(insert(INSERT_ONLY[table]).on_conflict_do_nothing(), list(rows))

    async def cases(self, tx: Transaction, case_ids: Iterable[UUID]) -> dict[UUID, dict[str, Any]]:
        wanted = list(set(case_ids))
        if not wanted:
            return {}
        result = await tx.execute(select(cases).where(cases.c.case_id.in_(wanted)))
        return {row["case_id"]: dict(row) for row in result.mappings()}

    async def save_cases(self, tx: Transaction, rows: Sequence[dict[str, Any]]) -> None:
        await self._upsert_all(tx, cases, "case_id", rows)

    async def unknown_referrals(self, tx: Transaction, referral_ids: Iterable[UUID]) -> set[UUID]:
        wanted = list(set(referral_ids))
        if not wanted:
            return set()
        result = await tx.execute(
            select(triage_decisions.c.referral_id).where(
                triage_decisions.c.referral_id.in_(wanted), triage_decisions.c.whereabouts_unknown.is_(True)
            )
        )
        return set(result.scalars())

    async def mark_unknown_from_opening(self, tx: Transaction, referral_ids: Iterable[UUID]) -> None:
        wanted = list(set(referral_ids))
        if wanted:
            await tx.execute(
                update(cases)
                .where(cases.c.referral_id.in_(wanted), cases.c.whereabouts_unknown_since.is_(None))
                .values(whereabouts_unknown_since=cases.c.opened_at)
            )

    async def reviews(self, tx: Transaction, review_ids: Iterable[UUID]) -> dict[UUID, dict[str, Any]]:
        wanted = list(set(review_ids))
        if not wanted:
            return {}
        result = await tx.execute(select(reviews).where(reviews.c.review_id.in_(wanted)))
        return {row["review_id"]: dict(row) for row in result.mappings()}

    async def save_reviews(self, tx: Transaction, rows: Sequence[dict[str, Any]]) -> None:
        await self._upsert_all(tx, reviews, "review_id", rows)

    @staticmethod
    async def _upsert_all(tx: Transaction, table: Any, key: str, rows: Sequence[dict[str, Any]]) -> None:
        columns = [column.name for column in table.columns]
        if not rows:
            return
        statement = insert(table)
        await tx.execute(
            statement.on_conflict_do_update(
                index_elements=[key], set_={name: statement.excluded[name] for name in columns if name != key}
            ),
            [{name: row.get(name) for name in columns} for row in rows],
        )

    async def clear(self, tx: Transaction) -> None:
        for table in (*READ_MODEL, inbox):
            await tx.execute(delete(table))

    async def facts(self, tx: Transaction, week_start: date) -> Facts:
        window_start, end = facts_window(week_start)
        case_rows = (
            await tx.execute(
                select(
                    cases.c.case_id, cases.c.opened_at, cases.c.priority, cases.c.track, cases.c.due_date,
                    cases.c.whereabouts_unknown_since, cases.c.located_at, cases.c.closed_at, cases.c.close_reason,
                ).where(
                    cases.c.opened_at < end,
                    or_(cases.c.closed_at.is_(None), cases.c.closed_at >= window_start),
                )
            )
        ).all()
        # Status history only for the cases open at the end of the week: the only ones whose status is counted.
        history: dict[UUID, list[StatusChange]] = defaultdict(list)
        change_rows = await tx.execute(
            select(case_changes.c.case_id, case_changes.c.at, case_changes.c.status, case_changes.c.priority)
            .join(cases, cases.c.case_id == case_changes.c.case_id)
            .where(
                case_changes.c.at < end,
                cases.c.opened_at < end,
                or_(cases.c.closed_at.is_(None), cases.c.closed_at >= end),
            )
            .order_by(case_changes.c.case_id, case_changes.c.at)
        )
        for case_id, at, status, priority in change_rows:
            history[case_id].append(StatusChange(at, status, priority))
        case_facts = [
            CaseFact(
                case_id=str(row.case_id), opened_at=row.opened_at, priority=row.priority or "", track=row.track or "",
                due_date=row.due_date, whereabouts_unknown_since=row.whereabouts_unknown_since,
                located_at=row.located_at, closed_at=row.closed_at, close_reason=row.close_reason,
                changes=tuple(history.get(row.case_id, ())),
            )
            for row in case_rows
        ]
        referral_facts = [
            ReferralFact(received_at, kind, ground)
            for received_at, kind, ground in await tx.execute(
                select(referrals.c.received_at, referrals.c.kind, referrals.c.ground).where(
                    referrals.c.received_at >= window_start, referrals.c.received_at < end
                )
            )
        ]
        escalation_facts = [
            EscalationFact(at, kind)
            for at, kind in await tx.execute(
                select(escalations.c.escalated_at, escalations.c.kind).where(
                    escalations.c.escalated_at >= window_start, escalations.c.escalated_at < end
                )
            )
        ]
        return Facts(referral_facts, case_facts, escalation_facts, await self.agenda(tx, week_start))

    async def agenda(self, tx: Transaction, week_start: date) -> list[AgendaItem]:
        rows = await tx.execute(
            select(
                reviews.c.review_id, reviews.c.case_id, reviews.c.meeting_date, reviews.c.step, reviews.c.risk_band,
                cases.c.given_name, cases.c.family_name, cases.c.date_of_birth,
            )
            .join(cases, cases.c.case_id == reviews.c.case_id, isouter=True)
            .where(
                and_(
                    reviews.c.meeting_date >= week_start,
                    reviews.c.meeting_date < week_start + timedelta(days=7),
                    reviews.c.withdrawn.is_(False),
                )
            )
        )
        return [
            AgendaItem(
                review_id=str(row.review_id), case_id=str(row.case_id), meeting_date=row.meeting_date,
                child_name=" ".join(part for part in (row.given_name, row.family_name) if part) or "(not yet known)",
                date_of_birth=row.date_of_birth, step=row.step or "", risk_band=row.risk_band,
            )
            for row in rows
        ]
