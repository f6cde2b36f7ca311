"""The returns behind each case: one row per submission triage decided on (the school's leaver return, a
partner's referral), as triage carried it forward, with the documents intake stored for it. A later return for
the same child adds a row; a redelivered decision adds none (one row per referral).

Port (abstract) and SQL implementation side by side; the table sits on casework's MetaData. School, destination,
referrer and documents are kept as the contract's JSON: casework shows them, it does not reason on them.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Table, Text, func, select
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.adapters.tables import metadata

case_returns = Table(
    "case_returns",
    metadata,
    Column("referral_id", PgUUID(as_uuid=True), primary_key=True, comment="One row per referral: redelivery adds none"),
    Column("case_id", PgUUID(as_uuid=True), ForeignKey("cases.case_id"), nullable=False),
    Column("child_id", PgUUID(as_uuid=True), nullable=False),
    Column("submission_id", Text, comment="The upstream system's id; may be anything the sender chose"),
    Column("kind", Text, nullable=False, comment="contracts ReferralKind"),
    Column("leaving_ground", Text, comment="As submitted, normalised: 8(1)(x) or 9(1)(x)"),
    Column("legal_source", Text, comment="2006 or 2024"),
    Column("leaving_date", Date),
    Column("school", JSONB, comment="contracts School"),
    Column("destination", JSONB, comment="contracts Destination: personal data"),
    Column("referrer", JSONB, comment="contracts Referrer, who sent it: personal data"),
    Column("documents", JSONB, nullable=False, server_default="[]", comment="contracts Document list"),
    Column("received_at", DateTime(timezone=True), comment="When intake received the submission"),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_case_returns_case_id_received_at", "case_id", "received_at"),
)


@dataclass(frozen=True)
class ReturnRecord:
    referral_id: str
    case_id: str
    child_id: str
    kind: str
    submission_id: str | None = None
    leaving_ground: str | None = None
    legal_source: str | None = None
    leaving_date: date | None = None
    school: dict[str, Any] | None = None
    destination: dict[str, Any] | None = None
    referrer: dict[str, Any] | None = None
    documents: list[dict[str, Any]] = field(default_factory=list)
    received_at: datetime | None = None


class CaseReturns(ABC):
    @abstractmethod
    async def add(self, session: AsyncSession, record: ReturnRecord) -> None:
        """Keep a return; a second one with the same referral id changes nothing."""

    @abstractmethod
    async def for_case(self, session: AsyncSession, case_id: str) -> list[ReturnRecord]:
        """The case's returns, the most recently received first."""


def _record(row: Any) -> ReturnRecord:
    return ReturnRecord(
        referral_id=str(row.referral_id),
        case_id=str(row.case_id),
        child_id=str(row.child_id),
        kind=row.kind,
        submission_id=row.submission_id,
        leaving_ground=row.leaving_ground,
        legal_source=row.legal_source,
        leaving_date=row.leaving_date,
        school=row.school,
        destination=row.destination,
        referrer=row.referrer,
        documents=list(row.documents or []),
        received_at=row.received_at,
    )


class SqlCaseReturns(CaseReturns):
    async def add(self, session: AsyncSession, record: ReturnRecord) -> None:
        await session.execute(
            insert(case_returns)
            .values(
                referral_id=UUID(record.referral_id),
                case_id=UUID(record.case_id),
                child_id=UUID(record.child_id),
                submission_id=record.submission_id,
                kind=record.kind,
                leaving_ground=record.leaving_ground,
                legal_source=record.legal_source,
                leaving_date=record.leaving_date,
                school=record.school,
                destination=record.destination,
                referrer=record.referrer,
                documents=record.documents,
                received_at=record.received_at,
            )
            .on_conflict_do_nothing(index_elements=["referral_id"])
        )

    async def for_case(self, session: AsyncSession, case_id: str) -> list[ReturnRecord]:
        rows = await session.execute(
            select(case_returns)
            .where(case_returns.c.case_id == UUID(case_id))
            .order_by(case_returns.c.received_at.desc().nulls_last(), case_returns.c.recorded_at.desc())
        )
        return [_record(row) for row in rows]
