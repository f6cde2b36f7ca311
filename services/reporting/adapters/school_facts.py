"""The read model's school-return, exclusion and DfE-return facts: tables, port and PostgreSQL implementation.

Built from the event topics only (cme.referral.received.v1, cme.intake.rejected.v1, cme.triage.decided.v1,
cme.case.opened.v1; closures come from the pack's `cases` table), keyed by the events' own ids and written as
insert-if-absent, so a replay gives the same rows. Reads return the pure domain's facts (domain/facts.py).

Ids, dates and codes only: a child's date of birth is turned into an NC year before it is stored.
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, Column, Date, DateTime, Integer, Table, Text, delete, func, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert

from cme_runtime.db import Transaction
from services.reporting.adapters.tables import cases, metadata
from services.reporting.domain.facts import CaseFact, ExclusionFact, ReturnType, SubmissionFact

PERMANENT_EXCLUSION = ("8(1)(m)", "9(1)(o)")

school_returns = Table(
    "school_returns",
    metadata,
    Column("submission_id", Text, primary_key=True),
    Column("school_id", Text, nullable=False, index=True),
    Column("return_type", Text, nullable=False, comment="joiner or leaver"),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("effective_date", Date, nullable=False, comment="Start date, leaving date, or (rejected) the day sent"),
    Column("child_id", UUID(as_uuid=True)),
    Column("nc_year", Integer, comment="National Curriculum year on the effective date, from the date of birth"),
    Column("ground", Text),
    Column("ground_2024", Text),
    Column("ap_taken_up", Boolean),
    Column("rejected", Boolean, nullable=False, server_default="false"),
    Column("problems", ARRAY(Text), nullable=False, server_default="{}", comment="Field paths only, never values"),
    Column("previous_school_id", Text, comment="Joiner returns: the school the pupil came from"),
)

case_returns = Table(
    "case_returns",
    metadata,
    Column("case_id", UUID(as_uuid=True), primary_key=True),
    Column("child_id", UUID(as_uuid=True), nullable=False),
    Column("referral_id", UUID(as_uuid=True), index=True),
    Column("opened_on", Date, nullable=False),
    Column("track", Text, nullable=False),
    Column("school_id", Text),
    Column("nc_year", Integer, comment="National Curriculum year when the case opened, from the date of birth"),
    Column("sex", Text),
    Column("ehcp", Boolean, nullable=False, server_default="false"),
    Column("social_care", Boolean, nullable=False, server_default="false"),
)

triage_outcomes = Table(
    "triage_outcomes",
    metadata,
    Column("referral_id", UUID(as_uuid=True), primary_key=True),
    Column("is_cme", Boolean, nullable=False),
)

SCHOOL_FACT_TABLES = (school_returns, case_returns, triage_outcomes)
_BY_NAME = {table.name: table for table in SCHOOL_FACT_TABLES}


class SchoolFacts(ABC):
    """The port the projection writes school-return and case facts through, and the schools' and DfE rules read."""

    @abstractmethod
    async def add(self, tx: Transaction, table: str, rows: Sequence[dict[str, Any]]) -> None:
        """Insert rows; a row whose key is already there is left as it is."""

    @abstractmethod
    async def submissions(self, tx: Transaction) -> list[SubmissionFact]: ...

    @abstractmethod
    async def exclusions(self, tx: Transaction) -> list[ExclusionFact]: ...

    @abstractmethod
    async def cases(self, tx: Transaction) -> list[CaseFact]: ...

    @abstractmethod
    async def clear(self, tx: Transaction) -> None: ...


class SqlSchoolFacts(SchoolFacts):
    async def add(self, tx: Transaction, table: str, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await tx.execute(insert(_BY_NAME[table]).on_conflict_do_nothing(), list(rows))

    async def submissions(self, tx: Transaction) -> list[SubmissionFact]:
        rows = await tx.execute(select(school_returns))
        return [
            SubmissionFact(
                submission_id=row.submission_id,
                school_id=row.school_id,
                return_type=ReturnType(row.return_type),
                submitted_at=row.submitted_at,
                effective_date=row.effective_date,
                child_id=row.child_id,
                nc_year=row.nc_year,
                ground=row.ground,
                ground_2024=row.ground_2024,
                rejected=row.rejected,
                problems=tuple(row.problems or ()),
                previous_school_id=row.previous_school_id,
            )
            for row in rows
        ]

    async def exclusions(self, tx: Transaction) -> list[ExclusionFact]:
        rows = await tx.execute(
            select(
                school_returns.c.child_id, school_returns.c.school_id, school_returns.c.effective_date,
                school_returns.c.ap_taken_up,
            ).where(
                school_returns.c.rejected.is_(False),
                school_returns.c.child_id.is_not(None),
                school_returns.c.ground.in_(PERMANENT_EXCLUSION),
            )
        )
        return [
            # No provision date is carried by the events: AP taken up means provision from the leaving date.
            ExclusionFact(
                child_id=child_id, school_id=school_id, excluded_from=excluded_from,
                provision_from=excluded_from if ap_taken_up else None,
            )
            for child_id, school_id, excluded_from, ap_taken_up in rows
        ]

    async def cases(self, tx: Transaction) -> list[CaseFact]:
        rows = await tx.execute(
            select(
                case_returns,
                # casework opens a case only on a decision that the child is missing education
                func.coalesce(triage_outcomes.c.is_cme, True).label("is_cme"),
                cases.c.closed_at,
                cases.c.close_reason,
            )
            .join(triage_outcomes, triage_outcomes.c.referral_id == case_returns.c.referral_id, isouter=True)
            .join(cases, cases.c.case_id == case_returns.c.case_id, isouter=True)
        )
        return [
            CaseFact(
                case_id=row.case_id,
                child_id=row.child_id,
                opened_on=row.opened_on,
                is_cme=row.is_cme,
                track=row.track,
                closed_on=row.closed_at.date() if row.closed_at else None,
                close_reason=row.close_reason if row.closed_at else None,
                school_id=row.school_id,
                nc_year=row.nc_year,
                ehcp=row.ehcp,
                social_care=row.social_care,
                sex=row.sex,
            )
            for row in rows
        ]

    async def clear(self, tx: Transaction) -> None:
        for table in SCHOOL_FACT_TABLES:
            await tx.execute(delete(table))
