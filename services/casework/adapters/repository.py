"""Cases in PostgreSQL: the aggregate as JSON, with the columns lists and queues need beside it."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cme_runtime.snapshots import build, to_json
from services.casework.adapters.tables import case_referrals, cases, timeline
from services.casework.domain.allocation import working_due_date
from services.casework.domain.case import Case


class ConcurrentChange(RuntimeError):
    """Someone else changed the case since it was read; the caller retries or asks the officer to reload."""


def reference_for(case_id: str | UUID) -> str:
    return f"CME-{str(case_id).replace('-', '')[:8].upper()}"


def _row(case: Case) -> dict[str, Any]:
    child = to_json(case.child)
    return {
        "status": case.status.value,
        "priority": case.priority.value,
        "track": case.track.value,
        "due_date": case.due_date,
        "officer_id": case.officer_id,
        "school_id": case.child.school_id,
        "closed_at": case.closed_at,
        "child": child,
        "search_name": f"{case.child.given_name} {case.child.family_name}".casefold(),
        "given_name_key": case.child.given_name.casefold(),
        "family_name_key": case.child.family_name.casefold(),
        "upn": case.child.upn,
        "date_of_birth": case.child.date_of_birth,
        "school_name_key": case.child.school_name.casefold() if case.child.school_name else None,
        "working_due_date": working_due_date(case),
        "state": to_json(case),
        "version": case.version,
    }


class CaseRepository:
    async def unused_case_id(self, session: AsyncSession) -> str:
        """A new case id whose short reference (32 bits of it) no other case has: references are what officers
        quote, so they must be unique, and at county volumes two random ids do share one now and then."""
        while True:
            case_id = str(uuid4())
            taken = await session.execute(select(cases.c.case_id).where(cases.c.reference == reference_for(case_id)))
            if taken.first() is None:
                return case_id

    async def lock_child(self, session: AsyncSession, child_id: str) -> None:
        """Serialises changes to one child's cases, whatever process makes them."""
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:id, 1))"), {"id": child_id})

    async def for_child(self, session: AsyncSession, child_id: str) -> list[Case]:
        rows = await session.execute(select(cases.c.state, cases.c.version).where(cases.c.child_id == UUID(child_id)))
        return [self._case(state, version) for state, version in rows]

    async def get(self, session: AsyncSession, case_id: str) -> Case | None:
        row = (
            await session.execute(select(cases.c.state, cases.c.version).where(cases.c.case_id == UUID(case_id)))
        ).first()
        return self._case(*row) if row else None

    async def child_of(self, session: AsyncSession, case_id: str) -> str | None:
        """The child a case is about, so a caller can take the child's lock before reading the case."""
        child_id = (await session.execute(select(cases.c.child_id).where(cases.c.case_id == UUID(case_id)))).scalar()
        return str(child_id) if child_id is not None else None

    def _case(self, state: dict[str, Any], version: int) -> Case:
        case = build(Case, state)
        case.version = version
        return case

    async def add(self, session: AsyncSession, case: Case) -> None:
        await session.execute(
            cases.insert().values(
                case_id=UUID(case.case_id),
                reference=reference_for(case.case_id),
                child_id=UUID(case.child_id),
                opened_at=case.opened_at,
                **_row(case),
            )
        )
        await self._record_referrals(session, case)

    async def save(self, session: AsyncSession, case: Case, expected_version: int) -> None:
        result = await session.execute(
            update(cases)
            .where(cases.c.case_id == UUID(case.case_id), cases.c.version == expected_version)
            .values(updated_at=text("now()"), **_row(case))
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentChange(case.case_id)
        await self._record_referrals(session, case)

    async def _record_referrals(self, session: AsyncSession, case: Case) -> None:
        await session.execute(
            insert(case_referrals)
            # clock_timestamp, not now(): a batch applies several of a child's returns in one transaction, and
            # their attachment times must still say in which order they came.
            .values(
                [
                    {"referral_id": UUID(r), "case_id": UUID(case.case_id), "attached_at": func.clock_timestamp()}
                    for r in case.referral_ids
                ]
            )
            .on_conflict_do_nothing()
        )

    async def add_timeline(self, session: AsyncSession, entries: Sequence[dict[str, Any]]) -> None:
        if entries:
            await session.execute(insert(timeline).values(list(entries)).on_conflict_do_nothing())
