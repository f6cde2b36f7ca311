"""What intake keeps about referrals CME officers enter in the officers' UI: who entered each one and how it
reached them, the form's answers between its pages (drafts), and the lookups the match-review pages need (the two
children side by side, re-opening a decided review).

The tables sit on intake's one MetaData; migration 0005 creates them. Drafts hold a child's details while an
officer is part-way through the form: they belong to that officer only, are deleted once submitted, and any left
behind for more than a day are deleted the next time any draft is saved.
"""

import abc
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Column, DateTime, ForeignKey, Table, Text, delete, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.dialects.postgresql import UUID as PgUUID

from cme_runtime.db import Transaction
from services.intake.adapters.tables import children, match_reviews, metadata

DRAFT_LIFETIME = timedelta(days=1)

officer_entries = Table(
    "officer_entries",
    metadata,
    Column("submission_id", Text, ForeignKey("submissions.submission_id"), primary_key=True),
    Column("entered_by", Text, nullable=False, comment="The officer's user id in the officers' UI"),
    Column("received_by_channel", Text, nullable=False, comment="phone, email or letter"),
    Column("referrer_type", Text, nullable=False),
    Column("entered_at", DateTime(timezone=True), nullable=False),
)

referral_drafts = Table(
    "referral_drafts",
    metadata,
    Column("draft_id", PgUUID(as_uuid=True), primary_key=True),
    Column("entered_by", Text, nullable=False, index=True),
    Column("answers", JSONB, nullable=False, server_default="{}", comment="Personal data: never log it"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class OfficerEntry:
    submission_id: str
    entered_by: str
    received_by_channel: str
    referrer_type: str
    entered_at: datetime


@dataclass(frozen=True)
class ChildDetails:
    """A register entry as the match-review page shows it."""

    child_id: UUID
    given_name: str
    middle_names: str | None
    family_name: str
    date_of_birth: str | None
    sex: str | None
    upn: str | None
    address_line: str | None
    postcode: str | None


class OfficerEntries(abc.ABC):
    @abc.abstractmethod
    async def add(self, session: Transaction, entry: OfficerEntry) -> None: ...

    @abc.abstractmethod
    async def get(self, session: Transaction, submission_id: str) -> OfficerEntry | None: ...

    @abc.abstractmethod
    async def draft(self, session: Transaction, draft_id: UUID, entered_by: str) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    async def save_draft(
        self, session: Transaction, draft_id: UUID, entered_by: str, answers: dict[str, Any], now: datetime
    ) -> bool:
        """False when the draft belongs to another officer."""

    @abc.abstractmethod
    async def delete_draft(self, session: Transaction, draft_id: UUID, entered_by: str) -> None: ...

    @abc.abstractmethod
    async def children(self, session: Transaction, child_ids: list[UUID]) -> dict[UUID, ChildDetails]: ...

    @abc.abstractmethod
    async def reopen_review(self, session: Transaction, review_id: UUID) -> None:
        """Back to open, undecided: the officer's decision is undone (a merge it made is undone separately)."""


class SqlOfficerEntries(OfficerEntries):
    async def add(self, session: Transaction, entry: OfficerEntry) -> None:
        await session.execute(
            insert(officer_entries)
            .values(
                submission_id=entry.submission_id,
                entered_by=entry.entered_by,
                received_by_channel=entry.received_by_channel,
                referrer_type=entry.referrer_type,
                entered_at=entry.entered_at,
            )
            .on_conflict_do_nothing(index_elements=["submission_id"])
        )

    async def get(self, session: Transaction, submission_id: str) -> OfficerEntry | None:
        row = (
            (await session.execute(select(officer_entries).where(officer_entries.c.submission_id == submission_id)))
            .mappings()
            .first()
        )
        return OfficerEntry(**row) if row is not None else None

    async def draft(self, session: Transaction, draft_id: UUID, entered_by: str) -> dict[str, Any] | None:
        answers = (
            await session.execute(
                select(referral_drafts.c.answers).where(
                    referral_drafts.c.draft_id == draft_id,
                    referral_drafts.c.entered_by == entered_by,
                    referral_drafts.c.updated_at > datetime.now(UTC) - DRAFT_LIFETIME,
                )
            )
        ).scalar()
        return dict(answers) if answers is not None else None

    async def save_draft(
        self, session: Transaction, draft_id: UUID, entered_by: str, answers: dict[str, Any], now: datetime
    ) -> bool:
        await session.execute(delete(referral_drafts).where(referral_drafts.c.updated_at <= now - DRAFT_LIFETIME))
        saved = await session.execute(
            insert(referral_drafts)
            .values(draft_id=draft_id, entered_by=entered_by, answers=answers, updated_at=now)
            .on_conflict_do_update(
                index_elements=["draft_id"],
                set_={"answers": answers, "updated_at": now},
                where=referral_drafts.c.entered_by == entered_by,
            )
            .returning(referral_drafts.c.draft_id)
        )
        return saved.scalar() is not None

    async def delete_draft(self, session: Transaction, draft_id: UUID, entered_by: str) -> None:
        await session.execute(
            delete(referral_drafts).where(
                referral_drafts.c.draft_id == draft_id, referral_drafts.c.entered_by == entered_by
            )
        )

    async def children(self, session: Transaction, child_ids: list[UUID]) -> dict[UUID, ChildDetails]:
        rows = (await session.execute(select(children).where(children.c.child_id.in_(child_ids)))).mappings()
        return {
            row["child_id"]: ChildDetails(
                child_id=row["child_id"],
                given_name=row["given_name"],
                middle_names=row["middle_names"],
                family_name=row["family_name"],
                date_of_birth=row["date_of_birth"].isoformat() if row["date_of_birth"] else None,
                sex=row["sex"],
                upn=row["upn"],
                address_line=row["address_line"],
                postcode=row["postcode"],
            )
            for row in rows
        }

    async def reopen_review(self, session: Transaction, review_id: UUID) -> None:
        await session.execute(
            update(match_reviews)
            .where(match_reviews.c.review_id == review_id)
            .values(status="open", decided_by=None, decided_at=None, decision_reason=None, merge_id=None)
        )
