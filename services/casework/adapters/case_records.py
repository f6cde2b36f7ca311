"""Storage for the records kept beside a case (domain/case_records.py): sibling links, intake's suggested
siblings, the address and contact history, and Family Front Door prompts. The port and its PostgreSQL
implementation side by side; the tables are on casework's MetaData (migration 0009)."""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Table,
    Text,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.adapters.repository import reference_for
from services.casework.adapters.tables import cases, metadata
from services.casework.domain.case_records import (
    AddressEntry,
    AddressRecord,
    FfdAcknowledgement,
    FfdDecision,
    FfdPrompt,
    SiblingLink,
)

sibling_links = Table(
    "case_sibling_links",
    metadata,
    Column("case_id", PgUUID(as_uuid=True), ForeignKey("cases.case_id"), primary_key=True),
    Column("sibling_case_id", PgUUID(as_uuid=True), ForeignKey("cases.case_id"), primary_key=True),
    Column("linked_by", Text, nullable=False),
    Column("linked_at", DateTime(timezone=True), nullable=False),
    # One row per pair, in one order, so a link is symmetric by construction and can never be stored twice.
    CheckConstraint("case_id < sibling_case_id", name="ck_case_sibling_links_ordered"),
    Index("ix_case_sibling_links_sibling", "sibling_case_id"),
)

suggested_siblings = Table(
    "case_suggested_siblings",
    metadata,
    Column("case_id", PgUUID(as_uuid=True), ForeignKey("cases.case_id"), primary_key=True),
    Column("sibling_child_id", PgUUID(as_uuid=True), primary_key=True),
    Column("referral_id", PgUUID(as_uuid=True), nullable=False, comment="The referral intake suggested it on"),
    Column("suggested_at", DateTime(timezone=True), nullable=False),
)

addresses = Table(
    "case_addresses",
    metadata,
    Column("record_id", BigInteger, Identity(always=True), primary_key=True),
    Column("case_id", PgUUID(as_uuid=True), ForeignKey("cases.case_id"), nullable=False),
    Column("address_line_1", Text, nullable=False, server_default="", comment="Personal data"),
    Column("address_line_2", Text, nullable=False, server_default="", comment="Personal data"),
    Column("town", Text, nullable=False, server_default="", comment="Personal data"),
    Column("postcode", Text, nullable=False, server_default="", comment="Personal data"),
    Column("phone", Text, nullable=False, server_default="", comment="Personal data"),
    Column("email", Text, nullable=False, server_default="", comment="Personal data"),
    Column("moved_on", Date),
    Column("source", Text, nullable=False, server_default="", comment="How the officer learnt it"),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index("ix_case_addresses_case", "case_id", "recorded_at"),
    comment="A history: rows are only ever added; the current details are the latest row",
)

ffd_prompts = Table(
    "case_ffd_prompts",
    metadata,
    Column("case_id", PgUUID(as_uuid=True), ForeignKey("cases.case_id"), primary_key=True),
    Column("referral_id", PgUUID(as_uuid=True), primary_key=True),
    Column("reasons", JSONB, nullable=False, comment="Triage's reasons; no personal data"),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("decision", Text, comment="referred or not_needed; null while outstanding"),
    Column("referred_on", Date),
    Column("reference", Text),
    Column("why", Text, comment="Why a referral is not needed; may name the child"),
    Column("acknowledged_by", Text),
    Column("acknowledged_at", DateTime(timezone=True)),
    CheckConstraint(
        "decision IS NULL OR decision IN ('referred', 'not_needed')", name="ck_case_ffd_prompts_decision"
    ),
)


@dataclass(frozen=True)
class CaseSummary:
    """Another case as the family section shows it."""

    case_id: str
    child_id: str
    reference: str
    given_name: str
    family_name: str
    date_of_birth: date | None
    status: str


@dataclass(frozen=True)
class SuggestedSibling:
    """A child intake found at the same address, with their case in casework when they have one."""

    child_id: str
    case: CaseSummary | None


class AcknowledgedMeanwhile(RuntimeError):
    """Someone else answered the Family Front Door prompt since it was read."""


class CaseRecords(ABC):
    """The port the service layer talks to."""

    @abstractmethod
    async def sibling_links(self, session: AsyncSession, case_id: str) -> list[SiblingLink]: ...

    @abstractmethod
    async def add_sibling_link(self, session: AsyncSession, link: SiblingLink) -> None: ...

    @abstractmethod
    async def suggested_siblings(self, session: AsyncSession, case_id: str) -> list[SuggestedSibling]: ...

    @abstractmethod
    async def add_suggested_siblings(
        self, session: AsyncSession, case_id: str, referral_id: str, child_ids: Sequence[str], at: datetime
    ) -> None: ...

    @abstractmethod
    async def case_summaries(self, session: AsyncSession, case_ids: Sequence[str]) -> list[CaseSummary]: ...

    @abstractmethod
    async def addresses(self, session: AsyncSession, case_id: str) -> list[AddressRecord]: ...

    @abstractmethod
    async def add_address(
        self, session: AsyncSession, case_id: str, entry: AddressEntry, by: str, at: datetime
    ) -> AddressRecord: ...

    @abstractmethod
    async def ffd_prompts(self, session: AsyncSession, case_id: str) -> list[FfdPrompt]: ...

    @abstractmethod
    async def add_ffd_prompt(self, session: AsyncSession, prompt: FfdPrompt) -> None:
        """Adding the prompt of a referral already prompted does nothing (a redelivered decision)."""

    @abstractmethod
    async def acknowledge_ffd(
        self, session: AsyncSession, case_id: str, referral_id: str, acknowledgement: FfdAcknowledgement
    ) -> None:
        """Raises AcknowledgedMeanwhile when the prompt was answered since it was read."""


class SqlCaseRecords(CaseRecords):
    async def sibling_links(self, session: AsyncSession, case_id: str) -> list[SiblingLink]:
        key = UUID(case_id)
        rows = await session.execute(
            select(sibling_links).where(or_(sibling_links.c.case_id == key, sibling_links.c.sibling_case_id == key))
        )
        return [
            SiblingLink(str(row.case_id), str(row.sibling_case_id), row.linked_by, row.linked_at) for row in rows
        ]

    async def add_sibling_link(self, session: AsyncSession, link: SiblingLink) -> None:
        await session.execute(
            insert(sibling_links)
            .values(case_id=UUID(link.case_id), sibling_case_id=UUID(link.sibling_case_id),
                    linked_by=link.linked_by, linked_at=link.linked_at)
            .on_conflict_do_nothing()
        )

    async def suggested_siblings(self, session: AsyncSession, case_id: str) -> list[SuggestedSibling]:
        # A suggested child's latest case (open first), when casework has one.
        latest = (
            select(cases)
            .where(cases.c.child_id == suggested_siblings.c.sibling_child_id)
            .order_by((cases.c.status == "closed").asc(), cases.c.opened_at.desc())
            .limit(1)
            .lateral("latest")
        )
        rows = await session.execute(
            select(suggested_siblings.c.sibling_child_id, latest)
            .select_from(suggested_siblings.outerjoin(latest, true()))
            .where(suggested_siblings.c.case_id == UUID(case_id))
            .order_by(suggested_siblings.c.suggested_at, suggested_siblings.c.sibling_child_id)
        )
        return [
            SuggestedSibling(str(row.sibling_child_id), _summary(row._mapping) if row.case_id else None)
            for row in rows
        ]

    async def add_suggested_siblings(
        self, session: AsyncSession, case_id: str, referral_id: str, child_ids: Sequence[str], at: datetime
    ) -> None:
        if child_ids:
            await session.execute(
                insert(suggested_siblings)
                .values([
                    {"case_id": UUID(case_id), "sibling_child_id": UUID(child_id), "referral_id": UUID(referral_id),
                     "suggested_at": at}
                    for child_id in dict.fromkeys(child_ids)
                ])
                .on_conflict_do_nothing()
            )

    async def case_summaries(self, session: AsyncSession, case_ids: Sequence[str]) -> list[CaseSummary]:
        if not case_ids:
            return []
        rows = await session.execute(
            select(cases).where(cases.c.case_id.in_([UUID(case_id) for case_id in case_ids])).order_by(
                cases.c.opened_at
            )
        )
        return [_summary(row._mapping) for row in rows]

    async def addresses(self, session: AsyncSession, case_id: str) -> list[AddressRecord]:
        rows = await session.execute(
            select(addresses)
            .where(addresses.c.case_id == UUID(case_id))
            .order_by(addresses.c.recorded_at.desc(), addresses.c.record_id.desc())
        )
        return [_address(row._mapping) for row in rows]

    async def add_address(
        self, session: AsyncSession, case_id: str, entry: AddressEntry, by: str, at: datetime
    ) -> AddressRecord:
        row = (
            await session.execute(
                addresses.insert()
                .values(case_id=UUID(case_id), recorded_by=by, recorded_at=at, **_address_columns(entry))
                .returning(addresses)
            )
        ).one()
        return _address(row._mapping)

    async def ffd_prompts(self, session: AsyncSession, case_id: str) -> list[FfdPrompt]:
        rows = await session.execute(
            select(ffd_prompts).where(ffd_prompts.c.case_id == UUID(case_id)).order_by(ffd_prompts.c.raised_at)
        )
        return [_prompt(row._mapping) for row in rows]

    async def add_ffd_prompt(self, session: AsyncSession, prompt: FfdPrompt) -> None:
        await session.execute(
            insert(ffd_prompts)
            .values(case_id=UUID(prompt.case_id), referral_id=UUID(prompt.referral_id), reasons=list(prompt.reasons),
                    raised_at=prompt.raised_at)
            .on_conflict_do_nothing()
        )

    async def acknowledge_ffd(
        self, session: AsyncSession, case_id: str, referral_id: str, acknowledgement: FfdAcknowledgement
    ) -> None:
        result = await session.execute(
            update(ffd_prompts)
            .where(
                ffd_prompts.c.case_id == UUID(case_id),
                ffd_prompts.c.referral_id == UUID(referral_id),
                ffd_prompts.c.decision.is_(None),
            )
            .values(
                decision=acknowledgement.decision.value,
                referred_on=acknowledgement.referred_on,
                reference=acknowledgement.reference,
                why=acknowledgement.why,
                acknowledged_by=acknowledgement.by,
                acknowledged_at=acknowledgement.at,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise AcknowledgedMeanwhile(case_id)


def _summary(row: Any) -> CaseSummary:
    child = row["child"] or {}
    return CaseSummary(
        case_id=str(row["case_id"]),
        child_id=str(row["child_id"]),
        reference=reference_for(row["case_id"]),
        given_name=child.get("given_name", ""),
        family_name=child.get("family_name", ""),
        date_of_birth=row["date_of_birth"],
        status=row["status"],
    )


_ADDRESS_FIELDS = ("address_line_1", "address_line_2", "town", "postcode", "phone", "email", "moved_on", "source")


def _address_columns(entry: AddressEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in _ADDRESS_FIELDS}


def _address(row: Any) -> AddressRecord:
    entry = AddressEntry(**{name: row[name] for name in _ADDRESS_FIELDS})
    return AddressRecord(row["record_id"], str(row["case_id"]), entry, row["recorded_by"], row["recorded_at"])


def _prompt(row: Any) -> FfdPrompt:
    acknowledgement = None
    if row["decision"] is not None:
        acknowledgement = FfdAcknowledgement(
            decision=FfdDecision(row["decision"]),
            by=row["acknowledged_by"],
            at=row["acknowledged_at"],
            referred_on=row["referred_on"],
            reference=row["reference"],
            why=row["why"],
        )
    return FfdPrompt(str(row["case_id"]), str(row["referral_id"]), tuple(row["reasons"]), row["raised_at"],
                     acknowledgement)
