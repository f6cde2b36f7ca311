"""Fresh fictional cases for one browser test each, stored through casework's own service layer.

The demo cases have fixed ids and outlive a test session, so a test that allocates or closes one would find it
already changed the next time. Each test here opens its own case, at the stage it needs, with a child whose
family name no other case has, so the case list's search finds exactly that case.
"""

import secrets
import string
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.events.common_v1 import Child, Safeguarding, School, SocialWorker
from services.casework.adapters.repository import reference_for
from services.casework.app import build
from services.casework.domain.case import Case
from services.casework.domain.checklist import STANDARD_CHECKS, WHEREABOUTS_UNKNOWN_CHECKS, CheckType
from services.casework.domain.records import CaseFlags, ChildSummary
from services.casework.domain.vocabulary import CheckStatus, ContactMethod, ContactResult, Priority, Track
from services.casework.service_layer.cases import CaseworkService
from services.casework.settings import CaseworkSettings

SCHOOL = School(establishment_id="8852001", name="Brackenfold Primary School (demo)")
GIVEN_NAMES = ("Marigold", "Bramwell", "Juniper", "Tobiah", "Wrenna", "Fennick")
SEEDED_BY = "browser-test"


class Stage(StrEnum):
    AWAITING_ALLOCATION = "awaiting_allocation"
    ALLOCATED = "allocated"
    ENQUIRIES = "enquiries"
    CHECKLIST_COMPLETE = "checklist_complete"


@dataclass(frozen=True)
class OpenedCase:
    case_id: str
    reference: str
    given_name: str
    family_name: str

    @property
    def child_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def path(self) -> str:
        return f"/cases/{self.case_id}"


def unique_family_name() -> str:
    return "Pageproof" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))


class CaseFactory:
    def __init__(self, service: CaseworkService, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.service = service
        self.session_factory = session_factory

    async def open(self, stage: Stage, *, officer_id: str | None = None, allocated_by: str = SEEDED_BY,
                   priority: Priority = Priority.P2, open_to_social_care: bool = False,
                   due_in_days: int = 20) -> OpenedCase:
        """A case for a new fictional child, worked through the domain's commands to `stage`."""
        now = datetime.now(UTC)
        opened_at = now - timedelta(days=3)
        given, family = secrets.choice(GIVEN_NAMES), unique_family_name()
        born = date(now.year - 10, 4, 17)
        flags = CaseFlags(whereabouts_unknown=stage is Stage.CHECKLIST_COMPLETE)
        safeguarding = Safeguarding()
        if open_to_social_care:
            worker = SocialWorker(name="Demo Social Worker", email="social.worker@demo.cme.invalid")
            flags = CaseFlags(cin=True, open_to_social_care=True, social_worker_name=worker.name,
                              social_worker_email=worker.email)
            safeguarding = Safeguarding(child_in_need=True, open_to_social_care=True, social_worker=worker)
        case = Case.open(
            case_id=str(uuid4()), child_id=str(uuid4()), referral_id=str(uuid4()), priority=priority,
            track=Track.CME_ENQUIRY, due_date=now.date() + timedelta(days=due_in_days), opened_at=opened_at,
            child_summary=ChildSummary(given_name=given, family_name=family, date_of_birth=born,
                                       school_name=SCHOOL.name, school_id=SCHOOL.establishment_id),
            flags=flags,
        )
        if stage is not Stage.AWAITING_ALLOCATION:
            if officer_id is None:
                raise ValueError(f"a case at stage {stage} needs an officer")
            case.allocate(officer_id, allocated_by, opened_at + timedelta(hours=1))
        worked_at = opened_at + timedelta(hours=2)
        if stage is Stage.ENQUIRIES:
            record_checks(case, [CheckType.SOCIAL_CARE_SYSTEM], officer_id or SEEDED_BY, worked_at)
            case.record_contact(ContactMethod.LETTER, worked_at, officer_id or SEEDED_BY, ContactResult.NO_RESPONSE,
                                "First letter to the last known address")
        if stage is Stage.CHECKLIST_COMPLETE:
            record_checks(case, STANDARD_CHECKS + WHEREABOUTS_UNKNOWN_CHECKS, officer_id or SEEDED_BY, worked_at)
        child = Child(given_name=given, family_name=family, date_of_birth=born)
        async with self.session_factory.begin() as session:
            await self.service.repository.lock_child(session, case.child_id)
            await self.service.open_case(session, case, child, SCHOOL, safeguarding)
        return OpenedCase(case.case_id, reference_for(case.case_id), given, family)


def record_checks(case: Case, checks: Sequence[CheckType], officer_id: str, at: datetime) -> None:
    for check in checks:
        concern = False if check is CheckType.LEAVER_FORM_OR_SCHOOL_DISCUSSION else None
        case.record_check(check, CheckStatus.DONE, on=at.date(), officer_id=officer_id, officer_initials="BT",
                          outcome="No trace of the child", note="", at=at, school_safeguarding_concern=concern)


@asynccontextmanager
async def case_factory(environment: Mapping[str, str]) -> AsyncIterator[CaseFactory]:
    """Casework's service layer in this process, on the suite's database (the suite's relay publishes the events
    the cases' outbox rows carry)."""
    settings = CaseworkSettings(
        DATABASE_URL=environment["DATABASE_URL"],
        KAFKA_BOOTSTRAP_SERVERS=environment["KAFKA_BOOTSTRAP_SERVERS"],
        start_consumers=False,
        log_level="WARNING",
    )
    components = build(settings)
    runtime, service = components.runtime, components.service
    try:
        yield CaseFactory(service, runtime.session_factory)
    finally:
        await runtime.engine.dispose()
