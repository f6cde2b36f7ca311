"""Merged cases in PostgreSQL: intake's merges as casework applied them, and the child-id aliases they leave.

The port (abstract) and its SQL implementation side by side; the tables sit on casework's MetaData. The case page's
read of a merge (banner, the merged case's timeline) is here too.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import Column, DateTime, ForeignKey, Index, Table, Text, delete, or_, select, update
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cme_runtime.db import Transaction
from services.casework.adapters.queries import TimelineEntry, case_timeline
from services.casework.adapters.tables import cases, metadata

case_merges = Table(
    "case_merges",
    metadata,
    Column("merge_id", PgUUID(as_uuid=True), primary_key=True, comment="Intake's merge id"),
    Column("surviving_child_id", PgUUID(as_uuid=True), nullable=False, comment="Intake's surviving child"),
    Column("merged_child_id", PgUUID(as_uuid=True), nullable=False),
    Column("surviving_case_id", PgUUID(as_uuid=True), ForeignKey("cases.case_id"), index=True),
    Column("merged_case_id", PgUUID(as_uuid=True), ForeignKey("cases.case_id"), index=True),
    Column("merged_case_status", Text, comment="The merged case's status before the merge, restored by an undo"),
    Column("merged_case_closed_at", DateTime(timezone=True)),
    Column("decided_by", Text, nullable=False),
    Column("merged_at", DateTime(timezone=True), nullable=False),
    Column("undone_at", DateTime(timezone=True)),
    Column("undone_by", Text),
)

# Events about `alias_child_id` go to `child_id`'s case while the merge that made the alias stands.
child_aliases = Table(
    "child_aliases",
    metadata,
    Column("alias_child_id", PgUUID(as_uuid=True), primary_key=True),
    Column("child_id", PgUUID(as_uuid=True), nullable=False),
    Column("merge_id", PgUUID(as_uuid=True), ForeignKey("case_merges.merge_id"), nullable=False),
    Index("ix_child_aliases_merge_id", "merge_id"),
)

# Merges of merges are few; a longer chain than this is a loop, never a real history.
_MAX_ALIAS_HOPS = 32


@dataclass(frozen=True)
class CaseMerge:
    merge_id: str
    surviving_child_id: str
    merged_child_id: str
    surviving_case_id: str | None
    merged_case_id: str | None
    merged_case_status: str | None
    merged_case_closed_at: datetime | None
    decided_by: str
    merged_at: datetime
    undone_at: datetime | None = None


@dataclass(frozen=True)
class LinkedCase:
    case_id: str
    reference: str


@dataclass(frozen=True)
class MergeView:
    """What the case page shows of merges: the case this one was merged into, or the cases merged into it with
    their timelines (each entry under its own case's reference)."""

    merged_into: LinkedCase | None
    also_known_as: tuple[LinkedCase, ...]
    merged_timelines: tuple[tuple[LinkedCase, tuple[TimelineEntry, ...]], ...]


class MergeStore(ABC):
    @abstractmethod
    async def get(self, session: Transaction, merge_id: str) -> CaseMerge | None: ...

    @abstractmethod
    async def add(self, session: Transaction, merge: CaseMerge, alias_child_id: str, case_child_id: str) -> None:
        """Record the merge and the alias it makes, in the caller's transaction."""

    @abstractmethod
    async def undo(self, session: Transaction, merge_id: str, by: str, at: datetime) -> None:
        """Mark the merge undone and remove its alias."""

    @abstractmethod
    async def case_child_id(self, session: Transaction, child_id: str) -> str:
        """The child id whose cases events about `child_id` belong to: its own, or where its aliases lead."""


class SqlMergeStore(MergeStore):
    async def get(self, session: AsyncSession, merge_id: str) -> CaseMerge | None:
        row = (await session.execute(select(case_merges).where(case_merges.c.merge_id == UUID(merge_id)))).first()
        if row is None:
            return None

        def text_id(value: UUID | None) -> str | None:
            return str(value) if value is not None else None

        return CaseMerge(
            merge_id=str(row.merge_id),
            surviving_child_id=str(row.surviving_child_id),
            merged_child_id=str(row.merged_child_id),
            surviving_case_id=text_id(row.surviving_case_id),
            merged_case_id=text_id(row.merged_case_id),
            merged_case_status=row.merged_case_status,
            merged_case_closed_at=row.merged_case_closed_at,
            decided_by=row.decided_by,
            merged_at=row.merged_at,
            undone_at=row.undone_at,
        )

    async def add(self, session: AsyncSession, merge: CaseMerge, alias_child_id: str, case_child_id: str) -> None:
        await session.execute(
            case_merges.insert().values(
                merge_id=UUID(merge.merge_id),
                surviving_child_id=UUID(merge.surviving_child_id),
                merged_child_id=UUID(merge.merged_child_id),
                surviving_case_id=UUID(merge.surviving_case_id) if merge.surviving_case_id else None,
                merged_case_id=UUID(merge.merged_case_id) if merge.merged_case_id else None,
                merged_case_status=merge.merged_case_status,
                merged_case_closed_at=merge.merged_case_closed_at,
                decided_by=merge.decided_by,
                merged_at=merge.merged_at,
            )
        )
        values = {"child_id": UUID(case_child_id), "merge_id": UUID(merge.merge_id)}
        await session.execute(
            insert(child_aliases)
            .values(alias_child_id=UUID(alias_child_id), **values)
            .on_conflict_do_update(index_elements=[child_aliases.c.alias_child_id], set_=values)
        )

    async def undo(self, session: AsyncSession, merge_id: str, by: str, at: datetime) -> None:
        await session.execute(delete(child_aliases).where(child_aliases.c.merge_id == UUID(merge_id)))
        await session.execute(
            update(case_merges).where(case_merges.c.merge_id == UUID(merge_id)).values(undone_at=at, undone_by=by)
        )

    async def case_child_id(self, session: AsyncSession, child_id: str) -> str:
        current, seen = child_id, {child_id}
        for _ in range(_MAX_ALIAS_HOPS):
            target = (
                await session.execute(
                    select(child_aliases.c.child_id).where(child_aliases.c.alias_child_id == UUID(current))
                )
            ).scalar()
            if target is None or str(target) in seen:
                return current
            current = str(target)
            seen.add(current)
        return current


async def _linked(session: AsyncSession, case_ids: list[UUID]) -> list[LinkedCase]:
    if not case_ids:
        return []
    rows = await session.execute(
        select(cases.c.case_id, cases.c.reference).where(cases.c.case_id.in_(case_ids)).order_by(cases.c.opened_at)
    )
    return [LinkedCase(str(case_id), reference) for case_id, reference in rows]


async def merge_view(session: AsyncSession, case_id: str) -> MergeView:
    """The merges standing on this case: the one it was merged into, and those merged into it."""
    this = UUID(case_id)
    rows = (
        await session.execute(
            select(case_merges.c.surviving_case_id, case_merges.c.merged_case_id).where(
                case_merges.c.undone_at.is_(None),
                or_(case_merges.c.surviving_case_id == this, case_merges.c.merged_case_id == this),
            )
        )
    ).all()
    into = [row.surviving_case_id for row in rows if row.merged_case_id == this and row.surviving_case_id]
    merged = [row.merged_case_id for row in rows if row.surviving_case_id == this and row.merged_case_id]
    surviving = await _linked(session, into[:1])
    merged_into = surviving[0] if surviving else None
    also_known_as = await _linked(session, merged)
    timelines = [(linked, tuple(await case_timeline(session, linked.case_id))) for linked in also_known_as]
    return MergeView(merged_into, tuple(also_known_as), tuple(timelines))
