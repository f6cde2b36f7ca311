"""The register of children: finds the child a submission is about, or adds a new one."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.adapters.tables import child_keys, children
from services.intake.domain.identity import PersonRecord, blocking_keys, household_key, resolve


@dataclass(frozen=True)
class RegisterResolution:
    child_id: UUID
    decision: str
    score: str | None
    reasons: tuple[str, ...]


def _record(row: Mapping[Any, Any]) -> PersonRecord:
    return PersonRecord(
        given_name=row["given_name"],
        family_name=row["family_name"],
        middle_names=row["middle_names"],
        date_of_birth=row["date_of_birth"],
        sex=row["sex"],
        upn=row["upn"],
        former_upns=tuple(row["former_upns"]),
        nhs_number=row["nhs_number"],
        postcode=row["postcode"],
        address_line=row["address_line"],
    )


class ChildRegister:
    async def resolve(self, session: AsyncSession, record: PersonRecord) -> RegisterResolution:
        keys = sorted(blocking_keys(record))
        # Two submissions about one new child at the same moment must not create two children.
        for key in keys:
            await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
        rows = (
            (
                await session.execute(
                    select(children).where(
                        children.c.child_id.in_(select(child_keys.c.child_id).where(child_keys.c.key.in_(keys)))
                    )
                )
            )
            .mappings()
            .all()
        )
        resolution = resolve(record, [(str(row["child_id"]), _record(row)) for row in rows])
        decision = resolution.decision.value
        best = resolution.best
        if resolution.child_id is not None and decision == "matched_existing":
            child_id = UUID(resolution.child_id)
        else:
            child_id = await self._add_child(session, record)
        await self._index(session, child_id, keys)
        return RegisterResolution(
            child_id=child_id,
            decision=decision,
            score=f"{best.score:.3f}" if best else None,
            reasons=tuple(best.reasons) if best else (),
        )

    async def _add_child(self, session: AsyncSession, record: PersonRecord) -> UUID:
        child_id = uuid4()
        await session.execute(
            children.insert().values(
                child_id=child_id,
                given_name=record.given_name,
                family_name=record.family_name,
                middle_names=record.middle_names,
                date_of_birth=record.date_of_birth,
                sex=record.sex,
                upn=record.upn,
                former_upns=list(record.former_upns),
                nhs_number=record.nhs_number,
                postcode=record.postcode,
                address_line=record.address_line,
                household_key=household_key(record),
            )
        )
        return child_id

    async def _index(self, session: AsyncSession, child_id: UUID, keys: list[str]) -> None:
        if keys:
            await session.execute(
                insert(child_keys).values([{"key": key, "child_id": child_id} for key in keys]).on_conflict_do_nothing()
            )
