"""Intake's service layer: validate a submission, resolve the child, and turn it into a referral or a rejection.

A rejection never creates or changes a child or a referral: it is recorded against the submission id and
published as `cme.intake.rejected.v1`. The same submission id received again gives the first outcome again.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cme_runtime.outbox import Outbox
from contracts.envelope import CloudEventAttributes
from contracts.events.intake_v1 import LeaverSubmitted, Problem, SubmissionRejected
from contracts.events.referral_v1 import LeavingGround, LegalSource, ReferralKind, ReferralReceived
from services.intake.adapters.register import ChildRegister
from services.intake.adapters.tables import referrals, submissions
from services.intake.domain import validation
from services.intake.domain.grounds import DocumentKind, equivalents_of, ground_for
from services.intake.domain.identity import PersonRecord
from services.intake.domain.schools import SchoolDirectory

# The validation rules name fields by the form's words; submissions name them by the contract's.
_LEAVER_FIELD_NAMES = {"ground": "leaving_reason", "destination_school": "destination.school_id"}


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    submission_id: str | None
    referral_id: UUID | None = None
    child_id: UUID | None = None
    problems: tuple[Problem, ...] = ()
    duplicate: bool = False
    match_decision: str | None = None


@dataclass
class LeaverRules:
    schools: SchoolDirectory
    max_leaving_days_ahead: int = 5
    clock: "Clock" = field(default_factory=lambda: Clock())  # noqa: PLW0108 - Clock is defined below


class Clock:
    def today(self) -> date:
        return datetime.now(UTC).date()


def leaver_problems(submission: LeaverSubmitted, rules: LeaverRules) -> list[Problem]:
    """Every problem with a leaver return, in GOV.UK error-message style."""
    child = submission.child
    found: list[validation.Problem] = []
    found += validation.check_leaving_ground(
        submission.leaving_reason,
        [DocumentKind(document.kind.value) for document in submission.documents],
        submission.destination.school_id if submission.destination else None,
        rules.schools,
        submission.leaving_date,
    )
    if child.upn:
        found += validation.check_upn(child.upn, "child.upn")
    for index, former in enumerate(child.former_upns):
        found += validation.check_upn(former, f"child.former_upns.{index}")
    if child.nhs_number:
        found += validation.check_nhs_number(child.nhs_number, "child.nhs_number")
    if child.address and child.address.postcode:
        found += validation.check_postcode(child.address.postcode, "child.address.postcode")
    found += validation.check_date_of_birth(child.date_of_birth, rules.clock.today(), "child.date_of_birth")
    found += validation.check_leaving_date(
        submission.leaving_date, submission.submitted_at.date(), rules.max_leaving_days_ahead, "leaving_date"
    )
    return [Problem(field=_rename(problem.field), message=problem.message) for problem in found]


def _rename(field_name: str) -> str:
    head, _, rest = field_name.partition(".")
    renamed = _LEAVER_FIELD_NAMES.get(field_name) or _LEAVER_FIELD_NAMES.get(head)
    if renamed is None:
        return field_name
    return f"{renamed}.{rest}" if rest and field_name not in _LEAVER_FIELD_NAMES else renamed


def person_record(submission: LeaverSubmitted) -> PersonRecord:
    child = submission.child
    return PersonRecord(
        given_name=child.given_name,
        family_name=child.family_name,
        middle_names=child.middle_names,
        date_of_birth=child.date_of_birth,
        sex=child.sex,
        upn=child.upn,
        former_upns=tuple(child.former_upns),
        nhs_number=child.nhs_number,
        postcode=child.address.postcode if child.address else None,
        address_line=child.address.line1 if child.address else None,
    )


def leaving_ground(code: str, on: date) -> LeavingGround | None:
    ground = ground_for(code, on)
    if ground is None:
        return None
    return LeavingGround(
        code=ground.code,
        legal_source=LegalSource(ground.coding.value),
        equivalents=tuple(other.code for other in equivalents_of(ground)),
    )


class IntakeService:
    def __init__(self, outbox: Outbox, register: ChildRegister, leaver_rules: LeaverRules) -> None:
        self.outbox = outbox
        self.register = register
        self.leaver_rules = leaver_rules

    async def submit_leaver(self, session: AsyncSession, submission: LeaverSubmitted, channel: str) -> Outcome:
        previous = await self._previous_outcome(session, submission.submission_id)
        if previous is not None:
            return previous
        problems = leaver_problems(submission, self.leaver_rules)
        if problems:
            return await self.reject(session, problems, submission.submission_id, submission.submission_type, channel)
        resolution = await self.register.resolve(session, person_record(submission))
        referral_id = uuid4()
        received_at = datetime.now(UTC)
        await session.execute(
            submissions.insert().values(
                submission_id=submission.submission_id,
                submission_type=submission.submission_type,
                channel=channel,
                received_at=received_at,
                status="accepted",
                referral_id=referral_id,
                child_id=resolution.child_id,
            )
        )
        await session.execute(
            referrals.insert().values(
                referral_id=referral_id,
                child_id=resolution.child_id,
                submission_id=submission.submission_id,
                kind=ReferralKind.LEAVER.value,
                match_decision=resolution.decision,
                match_score=resolution.score,
                match_reasons=list(resolution.reasons),
                received_at=received_at,
            )
        )
        await self.outbox.add(
            session,
            ReferralReceived(
                referral_id=referral_id,
                child_id=resolution.child_id,
                submission_id=submission.submission_id,
                kind=ReferralKind.LEAVER,
                received_at=received_at,
                referral_date=submission.leaving_date,
                child=submission.child,
                school=submission.school,
                leaving_ground=leaving_ground(submission.leaving_reason, submission.leaving_date),
                destination=submission.destination,
                safeguarding=submission.safeguarding,
            ),
            key=resolution.child_id,
            subject=referral_id,
        )
        return Outcome(
            True, submission.submission_id, referral_id, resolution.child_id, match_decision=resolution.decision
        )

    async def reject(
        self,
        session: AsyncSession,
        problems: Sequence[Problem],
        submission_id: str | None,
        submission_type: str | None,
        channel: str,
    ) -> Outcome:
        rejected_at = datetime.now(UTC)
        if submission_id is not None:
            await session.execute(
                insert(submissions)
                .values(
                    submission_id=submission_id,
                    submission_type=submission_type or "unknown",
                    channel=channel,
                    received_at=rejected_at,
                    status="rejected",
                    problems=[p.model_dump() for p in problems],
                )
                .on_conflict_do_nothing()
            )
        await self.outbox.add(
            session,
            SubmissionRejected(
                submission_id=submission_id,
                submission_type=submission_type,
                rejected_at=rejected_at,
                problems=tuple(problems),
            ),
            key=submission_id or str(uuid4()),
            subject=submission_id,
        )
        return Outcome(False, submission_id, problems=tuple(problems))

    async def on_leaver_submitted(
        self, session: AsyncSession, attributes: CloudEventAttributes, submission: LeaverSubmitted
    ) -> None:
        """A leaver return published by an upstream system: the same rules as the HTTP API."""
        await self.submit_leaver(session, submission, channel="kafka")

    async def _previous_outcome(self, session: AsyncSession, submission_id: str) -> Outcome | None:
        # Serialises concurrent deliveries of one submission: the second waits, then sees the first's outcome.
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:id, 0))"), {"id": submission_id})
        row = (
            (await session.execute(select(submissions).where(submissions.c.submission_id == submission_id)))
            .mappings()
            .first()
        )
        if row is None:
            return None
        problems = tuple(Problem.model_validate(problem) for problem in row["problems"])
        return Outcome(
            row["status"] == "accepted", submission_id, row["referral_id"], row["child_id"], problems, duplicate=True
        )
