"""Where intake keeps submissions, referrals and CTF files: the port the service layer uses, and its PostgreSQL
implementation.

A submission id is the upstream system's idempotency key: `lock_and_get` serialises concurrent deliveries of one
id (the second waits, then sees the first's outcome).
"""

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BindParameter, bindparam, exists, or_, select
from sqlalchemy.dialects.postgresql import insert

from cme_runtime.db import Transaction
from contracts.events.intake_v1 import Problem
from contracts.events.referral_v1 import ReferralKind
from services.intake.adapters.locks import LockKind, lock_keys
from services.intake.adapters.tables import ctf_files, merges, referrals, submissions
from services.intake.domain.enquiries import ReferralSummary


@dataclass(frozen=True)
class SubmissionRecord:
    """One submission's outcome: a whole submission, a CTF file, or one pupil of a file (`part_of` the file)."""

    submission_id: str
    submission_type: str
    channel: str
    received_at: datetime
    status: str
    problems: tuple[Problem, ...] = ()
    referral_id: UUID | None = None
    child_id: UUID | None = None
    client: str | None = None
    updates_submission_id: str | None = None
    part_of: str | None = None


@dataclass(frozen=True)
class ReferralRecord:
    referral_id: UUID
    child_id: UUID
    submission_id: str
    kind: ReferralKind
    match_decision: str
    match_score: str | None
    match_reasons: tuple[str, ...]
    received_at: datetime
    school_id: str | None = None
    school_name: str | None = None


@dataclass(frozen=True)
class CtfFileRecord:
    """An accepted CTF file's header and counts; `problems` holds each rejected pupil's problems as JSON objects
    (index, line, field, message)."""

    submission_id: str
    file_date_time: datetime
    source_school_id: str | None
    destination_school_id: str | None
    lost_pupil_file: bool
    pupils: int
    accepted: int
    rejected: int
    problems: tuple[dict[str, Any], ...]
    received_at: datetime


class SubmissionStore(abc.ABC):
    """The port: intake's record of what it received and what became of it."""

    @abc.abstractmethod
    async def lock_and_get(self, session: Transaction, submission_id: str) -> SubmissionRecord | None:
        """Wait until no other transaction is handling `submission_id`, then the submission as stored, if any.
        The lock is held until the transaction ends."""

    @abc.abstractmethod
    async def lock(self, session: Transaction, submission_ids: Sequence[str]) -> None:
        """Take `lock_and_get`'s lock on every one of `submission_ids` at once, in one order, so a batch of
        submissions never waits in a cycle with another batch or a single submission."""

    @abc.abstractmethod
    async def get(self, session: Transaction, submission_id: str) -> SubmissionRecord | None:
        """The submission as stored, if any (without waiting for a lock)."""

    @abc.abstractmethod
    async def add(self, session: Transaction, records: Sequence[SubmissionRecord]) -> None:
        """Store new submissions (whose ids must not be stored yet)."""

    @abc.abstractmethod
    async def add_rejected(self, session: Transaction, record: SubmissionRecord) -> None:
        """Store a rejected submission, unless its id is already stored: that outcome stays as it is."""

    @abc.abstractmethod
    async def add_referral(self, session: Transaction, referral: ReferralRecord) -> None: ...

    @abc.abstractmethod
    async def match_decision(self, session: Transaction, referral_id: UUID) -> str | None:
        """How the child of a stored referral was resolved."""

    @abc.abstractmethod
    async def known_to_cme_work(self, session: Transaction, child_id: UUID) -> bool:
        """Whether any referral other than a bulk feed is about this child (or a child merged into it)."""

    @abc.abstractmethod
    async def referral_history(self, session: Transaction, child_id: UUID) -> list[ReferralSummary]:
        """The referrals about this child (and children merged into it), newest first."""

    @abc.abstractmethod
    async def add_ctf_file(self, session: Transaction, file: CtfFileRecord) -> None: ...

    @abc.abstractmethod
    async def ctf_file(self, session: Transaction, submission_id: str) -> CtfFileRecord | None: ...


def _submission_row(record: SubmissionRecord) -> dict[str, Any]:
    return {
        "submission_id": record.submission_id,
        "submission_type": record.submission_type,
        "channel": record.channel,
        "received_at": record.received_at,
        "status": record.status,
        "problems": [problem.model_dump() for problem in record.problems],
        "referral_id": record.referral_id,
        "child_id": record.child_id,
        "client": record.client,
        "updates_submission_id": record.updates_submission_id,
        "part_of": record.part_of,
    }


def _submission(row: Any) -> SubmissionRecord:
    return SubmissionRecord(
        submission_id=row["submission_id"],
        submission_type=row["submission_type"],
        channel=row["channel"],
        received_at=row["received_at"],
        status=row["status"],
        problems=tuple(Problem.model_validate(problem) for problem in row["problems"]),
        referral_id=row["referral_id"],
        child_id=row["child_id"],
        client=row["client"],
        updates_submission_id=row["updates_submission_id"],
        part_of=row["part_of"],
    )


def _merged_into(child_id: Any) -> Any:
    """The children merged into `child_id` (merges not undone): their referrals are the survivor's."""
    reversal = merges.alias("reversal")
    return select(merges.c.merged_child_id).where(
        merges.c.action == "merge",
        merges.c.surviving_child_id == child_id,
        ~exists().where(reversal.c.reverses_merge_id == merges.c.merge_id),
    )


def _known_to_cme_work_statement() -> Any:
    """Whether a child (or a child merged into it) has a referral other than a bulk feed's. Built once, for a CTF
    file asks it of every pupil: making the statement's aliases cost more than running it."""
    child_id: BindParameter[UUID] = bindparam("child_id")
    return select(
        exists().where(
            referrals.c.kind != ReferralKind.CTF_BULK.value,
            or_(referrals.c.child_id == child_id, referrals.c.child_id.in_(_merged_into(child_id))),
        )
    )


_KNOWN_TO_CME_WORK = _known_to_cme_work_statement()


class SqlAlchemySubmissionStore(SubmissionStore):
    async def lock_and_get(self, session: Transaction, submission_id: str) -> SubmissionRecord | None:
        await self.lock(session, [submission_id])
        return await self.get(session, submission_id)

    async def lock(self, session: Transaction, submission_ids: Sequence[str]) -> None:
        await lock_keys(session, LockKind.SUBMISSION, submission_ids)

    async def get(self, session: Transaction, submission_id: str) -> SubmissionRecord | None:
        row = (
            (await session.execute(select(submissions).where(submissions.c.submission_id == submission_id)))
            .mappings()
            .first()
        )
        return _submission(row) if row is not None else None

    async def add(self, session: Transaction, records: Sequence[SubmissionRecord]) -> None:
        if records:
            await session.execute(submissions.insert(), [_submission_row(record) for record in records])

    async def add_rejected(self, session: Transaction, record: SubmissionRecord) -> None:
        await session.execute(insert(submissions).values(_submission_row(record)).on_conflict_do_nothing())

    async def add_referral(self, session: Transaction, referral: ReferralRecord) -> None:
        await session.execute(
            referrals.insert().values(
                referral_id=referral.referral_id,
                child_id=referral.child_id,
                submission_id=referral.submission_id,
                kind=referral.kind.value,
                match_decision=referral.match_decision,
                match_score=referral.match_score,
                match_reasons=list(referral.match_reasons),
                received_at=referral.received_at,
                school_id=referral.school_id,
                school_name=referral.school_name,
            )
        )

    async def match_decision(self, session: Transaction, referral_id: UUID) -> str | None:
        decision = (
            await session.execute(select(referrals.c.match_decision).where(referrals.c.referral_id == referral_id))
        ).scalar()
        return str(decision) if decision is not None else None

    async def known_to_cme_work(self, session: Transaction, child_id: UUID) -> bool:
        return bool((await session.execute(_KNOWN_TO_CME_WORK, {"child_id": child_id})).scalar())

    async def referral_history(self, session: Transaction, child_id: UUID) -> list[ReferralSummary]:
        rows = await session.execute(
            select(referrals.c.kind, referrals.c.school_id, referrals.c.school_name)
            .where(or_(referrals.c.child_id == child_id, referrals.c.child_id.in_(_merged_into(child_id))))
            .order_by(referrals.c.received_at.desc(), referrals.c.referral_id)
        )
        return [ReferralSummary(ReferralKind(kind), school_id, school_name) for kind, school_id, school_name in rows]

    async def add_ctf_file(self, session: Transaction, file: CtfFileRecord) -> None:
        await session.execute(
            ctf_files.insert().values(
                submission_id=file.submission_id,
                file_date_time=file.file_date_time,
                source_school_id=file.source_school_id,
                destination_school_id=file.destination_school_id,
                lost_pupil_file=file.lost_pupil_file,
                pupils=file.pupils,
                accepted=file.accepted,
                rejected=file.rejected,
                problems=list(file.problems),
                received_at=file.received_at,
            )
        )

    async def ctf_file(self, session: Transaction, submission_id: str) -> CtfFileRecord | None:
        row = (
            (await session.execute(select(ctf_files).where(ctf_files.c.submission_id == submission_id)))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return CtfFileRecord(
            submission_id=row["submission_id"],
            file_date_time=row["file_date_time"],
            source_school_id=row["source_school_id"],
            destination_school_id=row["destination_school_id"],
            lost_pupil_file=row["lost_pupil_file"],
            pupils=row["pupils"],
            accepted=row["accepted"],
            rejected=row["rejected"],
            problems=tuple(row["problems"]),
            received_at=row["received_at"],
        )
