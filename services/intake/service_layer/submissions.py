"""Intake's service layer: validate a submission, resolve the child, and turn it into a referral or a rejection.

A rejection never creates or changes a child or a referral: it is recorded against the submission id and
published as `cme.intake.rejected.v1`. The same submission id received again gives the first outcome again.

A CTF file feeds the child register: each readable pupil is resolved to a child (added, or brought up to
date), and each unreadable one is rejected on its own, as submission `<file id>#<index>`, while the others are
kept. A bulk feed is not a referral by itself (DOMAIN.md), so a pupil becomes a `ctf_bulk` referral only when
the child is already known to CME work through another referral: that is what reconciliation needs, without a
no-action triage decision for every pupil of every school's file.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from cme_runtime.db import Transaction
from cme_runtime.logging import get_logger
from cme_runtime.outbox import EventOutbox
from cme_runtime.redact import digest
from contracts.envelope import CloudEventAttributes
from contracts.events.common_v1 import Child
from contracts.events.intake_v1 import CtfFileSubmitted, Problem, SchoolReturn, Submission, SubmissionRejected
from contracts.events.referral_v1 import ReferralReceived
from services.intake.adapters.register import Register, RegisterResolution
from services.intake.adapters.submissions import CtfFileRecord, ReferralRecord, SubmissionRecord, SubmissionStore
from services.intake.domain.ctf import DEFAULT_MAX_BYTES, CtfFileError, CtfParseResult, CtfPupil, parse_ctf
from services.intake.domain.identity import PersonRecord
from services.intake.service_layer.documents import DocumentService
from services.intake.service_layer.normalisation import (
    ctf_child,
    ctf_referral,
    ctf_school,
    person_record,
    referral_for,
    submission_person,
    submission_type_of,
)
from services.intake.service_layer.submission_rules import LONDON, SubmissionRules, submission_problems

log = get_logger(__name__)

CTF = "ctf"
# The channel of a referral a CME officer entered in the officers' UI (intake's internal API).
OFFICER_CHANNEL = "officer"
# What an update's `updates_submission_id` must name, by submission type, in a school administrator's words.
_UPDATABLE = {"absence": "absence return", "part_time_timetable": "part-time timetable notification"}


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    submission_id: str | None
    referral_id: UUID | None = None
    child_id: UUID | None = None
    problems: tuple[Problem, ...] = ()
    duplicate: bool = False
    identity_decision: str | None = None


@dataclass(frozen=True)
class CtfPupilProblem:
    """One problem with one pupil of a CTF file; `index` is the pupil's 0-based position in the file."""

    index: int
    line: int | None
    field: str
    message: str


@dataclass(frozen=True)
class CtfOutcome:
    """A CTF file's outcome. `accepted` is about the file as a whole; `problems` then lists file-level ones."""

    accepted: bool
    submission_id: str | None
    pupils: int = 0
    accepted_pupils: int = 0
    rejected_pupils: int = 0
    pupil_problems: tuple[CtfPupilProblem, ...] = ()
    problems: tuple[Problem, ...] = ()
    duplicate: bool = False


@dataclass(frozen=True)
class UnreadableSubmission:
    """An entry of a batch that broke its contract: rejected with its problems, as it would be if posted alone.
    `submission_id`, `submission_type` and `school_id` are what could be read of it."""

    problems: tuple[Problem, ...]
    submission_id: str | None = None
    submission_type: str | None = None
    school_id: str | None = None


def pupil_submission_id(file_submission_id: str, index: int) -> str:
    return f"{file_submission_id}#{index}"


def _by_pupil(problems: Sequence[CtfPupilProblem]) -> dict[int, list[CtfPupilProblem]]:
    grouped: dict[int, list[CtfPupilProblem]] = {}
    for problem in problems:
        grouped.setdefault(problem.index, []).append(problem)
    return grouped


def _officer_stamp_problems(submission: Submission, channel: str) -> list[Problem]:
    """Only intake's internal API (an officer entering a referral) may say an officer entered it."""
    submitter = submission.submitter
    if channel == OFFICER_CHANNEL or submitter is None:
        return []
    return [
        Problem(field=f"submitter.{name}", message="Leave this empty: only the CME team's own form sets it")
        for name in ("entered_by", "received_by_channel")
        if getattr(submitter, name) is not None
    ]


class IntakeService:
    def __init__(
        self,
        outbox: EventOutbox,
        register: Register,
        submissions: SubmissionStore,
        rules: SubmissionRules,
        ctf_max_bytes: int = DEFAULT_MAX_BYTES,
        *,
        documents: DocumentService | None = None,
    ) -> None:
        self.outbox = outbox
        self.register = register
        self.submissions = submissions
        self.rules = rules
        self.ctf_max_bytes = ctf_max_bytes
        self.documents = documents

    async def submit(
        self, session: Transaction, submission: Submission, channel: str, client: str | None = None
    ) -> Outcome:
        """Any submission but a CTF file (see `submit_ctf`): a referral about one resolved child, or a rejection
        listing every problem."""
        if isinstance(submission, CtfFileSubmitted):
            raise TypeError("CTF files go through submit_ctf")
        previous = await self._previous_outcome(session, submission.submission_id)
        if previous is not None:
            return previous
        problems = [
            *submission_problems(submission, self.rules),
            *await self._update_problems(session, submission),
            *_officer_stamp_problems(submission, channel),
        ]
        if problems:
            return await self.reject(
                session, problems, submission.submission_id, submission_type_of(submission), channel, client=client,
                school_id=_school_id_of(submission),
            )
        referral_id = uuid4()
        received_at = datetime.now(UTC)
        resolution = await self.register.resolve(
            session,
            submission_person(submission),
            submission_id=submission.submission_id,
            referral_id=referral_id,
        )
        await self.submissions.add(
            session,
            [
                SubmissionRecord(
                    submission_id=submission.submission_id,
                    submission_type=submission_type_of(submission),
                    channel=channel,
                    received_at=received_at,
                    status="accepted",
                    referral_id=referral_id,
                    child_id=resolution.child_id,
                    client=client,
                    updates_submission_id=getattr(submission, "updates_submission_id", None),
                )
            ],
        )
        referral = referral_for(
            submission,
            referral_id=referral_id,
            child_id=resolution.child_id,
            received_at=received_at,
            identity_decision=resolution.decision,
            identity_review_id=resolution.review_id,
            sibling_child_ids=resolution.sibling_child_ids,
        )
        if self.documents is not None:
            referral = await self.documents.attach(session, submission, referral)
        await self._record_referral(session, referral, resolution)
        log.info(
            "submission accepted",
            # Client-chosen, so it may hold anything (a UPN has been seen): logged as a digest only.
            submission_id_sha256=digest(submission.submission_id),
            submission_type=submission_type_of(submission),
            referral_id=str(referral_id),
            child_id=str(resolution.child_id),
            identity_decision=resolution.decision,
            channel=channel,
        )
        return Outcome(
            True,
            submission.submission_id,
            referral_id,
            resolution.child_id,
            identity_decision=resolution.decision,
        )

    async def submit_batch(
        self,
        session: Transaction,
        entries: Sequence[Submission | UnreadableSubmission],
        channel: str,
        client: str | None = None,
    ) -> list[Outcome]:
        """Many submissions in one transaction (one commit instead of one each), each given the outcome it would
        have if submitted alone, in order: a later entry sees what an earlier one did (the same id twice is a
        duplicate; a second return about a child finds the child the first added).

        Every lock the entries will need is taken first, in one order, so that concurrent batches, and single
        submissions, never wait for each other in a cycle."""
        await self.lock_for(session, entries)
        outcomes: list[Outcome] = []
        for entry in entries:
            if isinstance(entry, UnreadableSubmission):
                outcome = await self.reject(
                    session,
                    entry.problems,
                    entry.submission_id,
                    entry.submission_type,
                    channel,
                    client=client,
                    school_id=entry.school_id,
                )
            else:
                outcome = await self.submit(session, entry, channel, client)
            outcomes.append(outcome)
        return outcomes

    async def lock_for(self, session: Transaction, entries: Sequence[object]) -> None:
        """Take, at once and in one order, every lock that submitting the submissions among `entries` one after
        another will take (their ids, then their children's identity keys), so that a transaction handling many
        never waits in a cycle with another. CTF files lock their own pupils (`submit_ctf`)."""
        readable = [
            entry for entry in entries if isinstance(entry, Submission) and not isinstance(entry, CtfFileSubmitted)
        ]
        await self.submissions.lock(session, [submission.submission_id for submission in readable])
        await self.register.lock(session, [submission_person(submission) for submission in readable])

    async def _record_referral(
        self, session: Transaction, referral: ReferralReceived, resolution: RegisterResolution
    ) -> None:
        await self.submissions.add_referral(
            session,
            ReferralRecord(
                referral_id=referral.referral_id,
                child_id=referral.child_id,
                submission_id=referral.submission_id,
                kind=referral.kind,
                match_decision=resolution.decision,
                match_score=resolution.score,
                match_reasons=resolution.reasons,
                received_at=referral.received_at,
                school_id=referral.school.establishment_id if referral.school else None,
                school_name=referral.school.name if referral.school else None,
            ),
        )
        await self.outbox.add(session, referral, key=referral.child_id, subject=referral.referral_id)

    async def _update_problems(self, session: Transaction, submission: Submission) -> list[Problem]:
        """An update must name a submission of the same type that intake accepted."""
        target = getattr(submission, "updates_submission_id", None)
        if target is None:
            return []
        label = _UPDATABLE[submission_type_of(submission)]
        updated = await self.submissions.get(session, target)
        if (
            target != submission.submission_id
            and updated is not None
            and updated.status == "accepted"
            and updated.submission_type == submission_type_of(submission)
        ):
            return []
        return [
            Problem(
                field="updates_submission_id",
                message=f"Enter the submission ID of the {label} this updates. No accepted {label} has that ID",
            )
        ]

    async def reject(
        self,
        session: Transaction,
        problems: Sequence[Problem],
        submission_id: str | None,
        submission_type: str | None,
        channel: str,
        *,
        client: str | None = None,
        school_id: str | None = None,
    ) -> Outcome:
        rejected_at = datetime.now(UTC)
        if submission_id is not None:
            await self.submissions.add_rejected(
                session,
                SubmissionRecord(
                    submission_id=submission_id,
                    submission_type=submission_type or "unknown",
                    channel=channel,
                    received_at=rejected_at,
                    status="rejected",
                    problems=tuple(problems),
                    client=client,
                ),
            )
        await self._publish_rejection(
            session, problems, submission_id, submission_type, rejected_at, school_id=school_id
        )
        log.info(
            "submission rejected",
            submission_id_sha256=digest(submission_id),
            submission_type=submission_type,
            problem_fields=[problem.field for problem in problems],
            channel=channel,
        )
        return Outcome(False, submission_id, problems=tuple(problems))

    async def _publish_rejection(
        self,
        session: Transaction,
        problems: Sequence[Problem],
        submission_id: str | None,
        submission_type: str | None,
        rejected_at: datetime,
        *,
        school_id: str | None = None,
    ) -> None:
        await self.outbox.add(
            session,
            SubmissionRejected(
                submission_id=submission_id,
                submission_type=submission_type,
                rejected_at=rejected_at,
                problems=tuple(problems),
                school_id=school_id,
            ),
            key=submission_id or str(uuid4()),
            subject=submission_id,
        )

    async def submit_ctf(
        self, session: Transaction, submission_id: str, content: bytes, channel: str, client: str | None = None
    ) -> CtfOutcome:
        """A CTF file: every readable pupil updates the register, every unreadable one is rejected on its own.
        A file that cannot be read as a CTF at all (too large, not XML, a DOCTYPE, not a CTF) is rejected whole
        and nothing else happens."""
        previous = await self._previous_ctf_outcome(session, submission_id)
        if previous is not None:
            return previous
        try:
            parsed = parse_ctf(content, max_bytes=self.ctf_max_bytes)
        except CtfFileError as error:
            refused = await self.reject(
                session, [Problem(field="file", message=str(error))], submission_id, CTF, channel, client=client
            )
            return CtfOutcome(False, submission_id, problems=refused.problems)
        received_at = datetime.now(UTC)
        await self.submissions.add(
            session,
            [
                SubmissionRecord(
                    submission_id=submission_id,
                    submission_type=CTF,
                    channel=channel,
                    received_at=received_at,
                    status="accepted",
                    client=client,
                )
            ],
        )
        pupil_records, pupil_referrals, problems = await self._ctf_pupils(
            session,
            parsed=parsed,
            submission_id=submission_id,
            channel=channel,
            client=client,
            received_at=received_at,
        )
        await self.submissions.add(session, pupil_records)
        for referral, resolution in pupil_referrals:
            await self._record_referral(session, referral, resolution)
        rejected = _by_pupil(problems)
        for index, pupil_problems in rejected.items():
            await self._publish_rejection(
                session,
                [Problem(field=problem.field, message=problem.message) for problem in pupil_problems],
                pupil_submission_id(submission_id, index),
                CTF,
                received_at,
            )
        header = parsed.header
        file_time = header.date_time if header.date_time.tzinfo else header.date_time.replace(tzinfo=LONDON)
        outcome = CtfOutcome(
            True,
            submission_id,
            pupils=len(pupil_records),
            accepted_pupils=len(pupil_records) - len(rejected),
            rejected_pupils=len(rejected),
            pupil_problems=tuple(problems),
        )
        await self.submissions.add_ctf_file(
            session,
            CtfFileRecord(
                submission_id=submission_id,
                file_date_time=file_time,
                source_school_id=ctf_school(header.source_la, header.source_estab),
                destination_school_id=ctf_school(header.dest_la, header.dest_estab),
                lost_pupil_file=header.is_lost_pupil_file,
                pupils=outcome.pupils,
                accepted=outcome.accepted_pupils,
                rejected=outcome.rejected_pupils,
                problems=tuple(asdict(problem) for problem in problems),
                received_at=received_at,
            ),
        )
        log.info(
            "ctf file processed",
            submission_id_sha256=digest(submission_id),
            pupils=outcome.pupils,
            accepted=outcome.accepted_pupils,
            rejected=outcome.rejected_pupils,
            referrals=len(pupil_referrals),
            channel=channel,
        )
        return outcome

    async def _ctf_pupils(
        self,
        session: Transaction,
        *,
        parsed: CtfParseResult,
        submission_id: str,
        channel: str,
        client: str | None,
        received_at: datetime,
    ) -> tuple[list[SubmissionRecord], list[tuple[ReferralReceived, RegisterResolution]], list[CtfPupilProblem]]:
        """A submission record per pupil, the referrals to record, and every pupil's problems, by position."""
        problems = [
            CtfPupilProblem(unreadable.index, unreadable.line, problem.field, problem.message)
            for unreadable in parsed.problems
            for problem in unreadable.problems
        ]
        unreadable_indexes = {unreadable.index for unreadable in parsed.problems}
        readable_indexes = [
            index for index in range(len(parsed.pupils) + len(parsed.problems)) if index not in unreadable_indexes
        ]
        records: list[SubmissionRecord] = []
        pupil_referrals: list[tuple[ReferralReceived, RegisterResolution]] = []

        def record(
            index: int,
            status: str,
            *,
            problems: tuple[Problem, ...] = (),
            referral_id: UUID | None = None,
            child_id: UUID | None = None,
        ) -> SubmissionRecord:
            return SubmissionRecord(
                submission_id=pupil_submission_id(submission_id, index),
                submission_type=CTF,
                channel=channel,
                received_at=received_at,
                status=status,
                problems=problems,
                referral_id=referral_id,
                child_id=child_id,
                client=client,
                part_of=submission_id,
            )

        children: list[tuple[int, CtfPupil, Child, PersonRecord]] = []
        for index, pupil in zip(readable_indexes, parsed.pupils, strict=True):
            child, child_problems = ctf_child(pupil)
            if child is None:
                problems += [CtfPupilProblem(index, None, problem.field, problem.message) for problem in child_problems]
            else:
                children.append((index, pupil, child, person_record(child)))
        # Every pupil's identity locks at once, in one order: a file resolves thousands of children in one
        # transaction, and taking their locks one pupil at a time could wait in a cycle with another file.
        await self.register.lock(session, [record for *_, record in children])
        for index, pupil, child, person in children:
            pupil_id = pupil_submission_id(submission_id, index)
            resolution = await self.register.resolve(
                session, person, submission_id=pupil_id, referral_id=None
            )
            referral_id: UUID | None = None
            if await self.submissions.known_to_cme_work(session, resolution.child_id):
                referral_id = uuid4()
                referral = ctf_referral(
                    parsed.header,
                    pupil,
                    child,
                    submission_id=pupil_id,
                    referral_id=referral_id,
                    child_id=resolution.child_id,
                    received_at=received_at,
                    identity_decision=resolution.decision,
                    sibling_child_ids=resolution.sibling_child_ids,
                )
                pupil_referrals.append((referral, resolution))
            records.append(record(index, "accepted", referral_id=referral_id, child_id=resolution.child_id))
        problems.sort(key=lambda problem: problem.index)
        for index, pupil_problems in _by_pupil(problems).items():
            found = tuple(Problem(field=problem.field, message=problem.message) for problem in pupil_problems)
            records.append(record(index, "rejected", problems=found))
        return records, pupil_referrals, problems

    async def on_submission(
        self, session: Transaction, attributes: CloudEventAttributes, submission: Submission
    ) -> None:
        """A submission published by an upstream system: the same rules and outcomes as the HTTP API."""
        if isinstance(submission, CtfFileSubmitted):
            await self.submit_ctf(session, submission.submission_id, submission.content.encode(), channel="kafka")
        else:
            await self.submit(session, submission, channel="kafka")

    async def _previous_outcome(self, session: Transaction, submission_id: str) -> Outcome | None:
        # Serialises concurrent deliveries of one submission: the second waits, then sees the first's outcome.
        previous = await self.submissions.lock_and_get(session, submission_id)
        if previous is None:
            return None
        decision = None
        if previous.referral_id is not None:
            decision = await self.submissions.match_decision(session, previous.referral_id)
        return Outcome(
            previous.status == "accepted",
            submission_id,
            previous.referral_id,
            previous.child_id,
            previous.problems,
            duplicate=True,
            identity_decision=decision,
        )

    async def _previous_ctf_outcome(self, session: Transaction, submission_id: str) -> CtfOutcome | None:
        previous = await self.submissions.lock_and_get(session, submission_id)
        if previous is None:
            return None
        if previous.status != "accepted":
            return CtfOutcome(False, submission_id, problems=previous.problems, duplicate=True)
        file = await self.submissions.ctf_file(session, submission_id)
        if file is None:
            # The id names a submission of another type: reusing it for a file is the sender's mistake.
            message = "This submission ID was already used for a different submission. Send the file with a new ID"
            return CtfOutcome(False, submission_id, problems=(Problem(field="submission_id", message=message),))
        return CtfOutcome(
            True,
            submission_id,
            pupils=file.pupils,
            accepted_pupils=file.accepted,
            rejected_pupils=file.rejected,
            pupil_problems=tuple(CtfPupilProblem(**problem) for problem in file.problems),
            duplicate=True,
        )


def _school_id_of(submission: Submission) -> str | None:
    """The submitting school's establishment id, for the rejection event (reporting counts schools' rejected
    returns); None for submissions no school sends."""
    return submission.school.establishment_id if isinstance(submission, SchoolReturn) else None
