"""In-memory stand-ins for intake's ports, for the fast service-layer tests (never for integration tests)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID, uuid4

from cme_runtime.db import Transaction
from contracts.events.referral_v1 import ReferralKind
from services.intake.adapters.register import Register, RegisterResolution
from services.intake.adapters.submissions import CtfFileRecord, ReferralRecord, SubmissionRecord, SubmissionStore
from services.intake.domain.enquiries import ReferralSummary
from services.intake.domain.identity import Decision, PersonRecord, normalise


class FakeSubmissionStore(SubmissionStore):
    """Keeps submissions, referrals and CTF files in dictionaries; refuses a second row with one id, as the
    tables' primary keys do."""

    def __init__(self) -> None:
        self.submissions: dict[str, SubmissionRecord] = {}
        self.referrals: dict[UUID, ReferralRecord] = {}
        self.ctf_files: dict[str, CtfFileRecord] = {}
        self.locked: list[str] = []

    async def lock_and_get(self, session: Transaction, submission_id: str) -> SubmissionRecord | None:
        self.locked.append(submission_id)
        return await self.get(session, submission_id)

    async def lock(self, session: Transaction, submission_ids: Sequence[str]) -> None:
        self.locked.extend(sorted(set(submission_ids)))

    async def get(self, session: Transaction, submission_id: str) -> SubmissionRecord | None:
        return self.submissions.get(submission_id)

    async def add(self, session: Transaction, records: Sequence[SubmissionRecord]) -> None:
        for record in records:
            if record.submission_id in self.submissions:
                raise KeyError(f"Submission {record.submission_id} is already stored")
            self.submissions[record.submission_id] = record

    async def add_rejected(self, session: Transaction, record: SubmissionRecord) -> None:
        self.submissions.setdefault(record.submission_id, record)

    async def add_referral(self, session: Transaction, referral: ReferralRecord) -> None:
        if referral.referral_id in self.referrals or any(
            stored.submission_id == referral.submission_id for stored in self.referrals.values()
        ):
            raise KeyError(f"Referral {referral.referral_id} or its submission is already stored")
        self.referrals[referral.referral_id] = referral

    async def match_decision(self, session: Transaction, referral_id: UUID) -> str | None:
        referral = self.referrals.get(referral_id)
        return referral.match_decision if referral is not None else None

    async def known_to_cme_work(self, session: Transaction, child_id: UUID) -> bool:
        # No merges here: each child is read as itself.
        return any(
            referral.child_id == child_id and referral.kind is not ReferralKind.CTF_BULK
            for referral in self.referrals.values()
        )

    async def referral_history(self, session: Transaction, child_id: UUID) -> list[ReferralSummary]:
        about_child = [referral for referral in self.referrals.values() if referral.child_id == child_id]
        newest_first = sorted(about_child, key=lambda referral: referral.received_at, reverse=True)
        return [ReferralSummary(referral.kind, referral.school_id, referral.school_name) for referral in newest_first]

    async def add_ctf_file(self, session: Transaction, file: CtfFileRecord) -> None:
        if file.submission_id in self.ctf_files:
            raise KeyError(f"CTF file {file.submission_id} is already stored")
        self.ctf_files[file.submission_id] = file

    async def ctf_file(self, session: Transaction, submission_id: str) -> CtfFileRecord | None:
        return self.ctf_files.get(submission_id)


@dataclass(frozen=True)
class Resolved:
    record: PersonRecord
    submission_id: str
    referral_id: UUID | None
    resolution: RegisterResolution


@dataclass
class FakeRegister(Register):
    """Resolves a child by UPN alone: the child already given that UPN, else a new child."""

    children: dict[str, UUID] = field(default_factory=dict)
    resolved: list[Resolved] = field(default_factory=list)
    locked: list[PersonRecord] = field(default_factory=list)

    async def look_up(self, session: Transaction, record: PersonRecord) -> UUID | None:
        upn = normalise(record).upn
        return self.children.get(upn) if upn is not None else None

    async def lock(self, session: Transaction, records: Sequence[PersonRecord]) -> None:
        self.locked.extend(records)

    async def resolve(
        self, session: Transaction, record: PersonRecord, *, submission_id: str, referral_id: UUID | None
    ) -> RegisterResolution:
        upn = normalise(record).upn
        if upn is not None and upn in self.children:
            resolution = RegisterResolution(self.children[upn], Decision.MATCHED_EXISTING.value, "1.000", ("upn",))
        else:
            child_id = uuid4()
            if upn is not None:
                self.children[upn] = child_id
            resolution = RegisterResolution(child_id, Decision.NEW_CHILD.value, None, ())
        self.resolved.append(Resolved(record, submission_id, referral_id, resolution))
        return resolution
