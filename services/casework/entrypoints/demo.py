"""Demonstration data: one user per role (and a second officer) and a few dozen fictional cases.

    python -m services.casework seed-demo [--password PASSWORD]

Every child here is invented (the names are deliberately unlike real ones) and every UPN is generated. Cases are
built through the domain's own commands, so their timelines are real, then stored and published through the
outbox like any other change. Running it again adds nothing: users and cases have fixed ids. Each run sets the
demo users' password (the one given, or a new random one) and prints the sign-ins.
"""

import argparse
import asyncio
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Final
from uuid import NAMESPACE_URL, uuid5

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.gb import upn as upn_check

from contracts.events.common_v1 import Address, Child, Safeguarding, School, SocialWorker
from services.casework.adapters.accounts import Accounts, hash_password
from services.casework.adapters.audit import AuditLog
from services.casework.adapters.tables import users
from services.casework.app import build
from services.casework.domain.access import Role
from services.casework.domain.case import Case
from services.casework.domain.checklist import STANDARD_CHECKS, WHEREABOUTS_UNKNOWN_CHECKS, CheckType
from services.casework.domain.records import CaseFlags, ChildSummary, ClosureDetails
from services.casework.domain.vocabulary import (
    RESULTS_BY_METHOD,
    CheckStatus,
    ClosureReason,
    ContactMethod,
    EscalationKind,
    Priority,
    Track,
)
from services.casework.service_layer.cases import CaseworkService
from services.casework.settings import CaseworkSettings

DEMO_ACTOR: Final = "demo-seed"
_NAMESPACE: Final = uuid5(NAMESPACE_URL, "https://cme.invalid/demo")
OFFICER: Final = "demo-officer"
SECOND_OFFICER: Final = "demo-officer-2"
ENGAGEMENT_MANAGER: Final = "demo-engagement-manager"


@dataclass(frozen=True)
class DemoUser:
    user_id: str
    email: str
    display_name: str
    initials: str
    role: Role
    team_id: str | None


DEMO_USERS: Final = (
    DemoUser(OFFICER, "officer@demo.cme.invalid", "Casey Fernbrook", "CF", Role.CME_OFFICER, "north"),
    DemoUser(SECOND_OFFICER, "officer2@demo.cme.invalid", "Robin Tallowmere", "RT", Role.CME_OFFICER, "south"),
    DemoUser(ENGAGEMENT_MANAGER, "engagement.manager@demo.cme.invalid", "Morgan Quillby", "MQ",
             Role.ENGAGEMENT_MANAGER, None),
    DemoUser("demo-lead-officer", "lead.officer@demo.cme.invalid", "Lee Ashcombe", "LA", Role.LEAD_OFFICER, None),
    DemoUser("demo-group-manager", "group.manager@demo.cme.invalid", "Glen Harrowgate", "GH", Role.GROUP_MANAGER,
             None),
    DemoUser("demo-senior-officer", "senior.officer@demo.cme.invalid", "Sasha Brackenridge", "SB",
             Role.SENIOR_OFFICER, None),
    DemoUser("demo-administrator", "administrator@demo.cme.invalid", "Ari Wexcombe", "AW", Role.ADMINISTRATOR, None),
)
_INITIALS: Final = {user.user_id: user.initials for user in DEMO_USERS}

GIVEN_NAMES: Final = (
    "Zephyrine", "Quillon", "Marigold", "Thistle", "Bramwell", "Juniper", "Perrin", "Saffron", "Tobiah", "Wrenna",
    "Alder", "Clementine", "Fennick", "Isolde", "Oberon", "Rosamund",
)
FAMILY_NAMES: Final = (
    "Quillfeather", "Mossbottom", "Thistlewood", "Puddingstone", "Brackenfold", "Wrenwhistle", "Tumbledown",
    "Fernsby-Vole", "Oakenshaw", "Pennyroyal", "Hollowell", "Starling-Crum",
)
SCHOOLS: Final = (
    ("8852001", "Brackenfold Primary School (demo)"),
    ("8852002", "Mossbottom Church of England Primary (demo)"),
    ("8854001", "Wrenwhistle High School (demo)"),
    ("8854002", "Tumbledown Academy (demo)"),
)
TOWNS: Final = (("Worcester", "WR1"), ("Kidderminster", "DY10"), ("Redditch", "B97"), ("Evesham", "WR11"))

# What happens to each demonstration case: it stops at this stage. A few dozen, across every status.
STAGES: Final = (
    *["awaiting"] * 8,
    *["allocated"] * 6,
    *["enquiries"] * 8,
    "social_worker",
    *["missing_mondays"] * 3,
    "fap",
    "s19",
    *["awaiting_acknowledgement"] * 2,
    "registered",
    "moved_abroad",
    "ehe",
    "other_la",
    "on_roll",
    "past_csa",
)
CASE_COUNT: Final = len(STAGES)


def demo_id(kind: str, number: int) -> str:
    return str(uuid5(_NAMESPACE, f"{kind}-{number}"))


def demo_upn(number: int) -> str:
    body = f"8852{number:08d}"[-12:]
    return str(upn_check.calc_check_digit(body)) + body


@dataclass(frozen=True)
class DemoChild:
    summary: ChildSummary
    contract: Child
    school: School
    flags: CaseFlags
    safeguarding: Safeguarding


def _child(
    number: int,
    rng: random.Random,
    today: date,
    priority: Priority,
    whereabouts_unknown: bool,
    *,
    past_csa: bool = False,
) -> DemoChild:
    given = GIVEN_NAMES[number % len(GIVEN_NAMES)]
    family = FAMILY_NAMES[(number * 5) % len(FAMILY_NAMES)]
    born = today - timedelta(days=rng.randint(6 * 365, 15 * 365))
    if past_csa:
        # A case closes as past compulsory school age only once the child is (casework checks the date of birth).
        born = today - timedelta(days=17 * 365)
    school_id, school_name = SCHOOLS[number % len(SCHOOLS)]
    town, outward = TOWNS[number % len(TOWNS)]
    postcode = f"{outward} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTUW')}"
    upn = demo_upn(number)
    flags = CaseFlags(whereabouts_unknown=whereabouts_unknown)
    safeguarding = Safeguarding()
    if priority is Priority.P1:
        variant = number % 4
        worker = SocialWorker(name="Demo Social Worker", email="social.worker@demo.cme.invalid")
        if variant == 0:
            flags = replace(flags, cin=True, open_to_social_care=True, social_worker_name=worker.name,
                            social_worker_email=worker.email)
            safeguarding = Safeguarding(child_in_need=True, open_to_social_care=True, social_worker=worker)
        elif variant == 1:
            flags = replace(flags, ehcp=True)
            safeguarding = Safeguarding(ehcp=True)
        elif variant == 2:
            flags = replace(flags, cp=True, open_to_social_care=True, social_worker_name=worker.name,
                            social_worker_email=worker.email)
            safeguarding = Safeguarding(child_protection_plan=True, open_to_social_care=True, social_worker=worker)
        else:
            flags = replace(flags, safeguarding_concern=True)
            safeguarding = Safeguarding(safeguarding_concern=True)
    return DemoChild(
        summary=ChildSummary(given_name=given, family_name=family, date_of_birth=born, upn=upn,
                             school_name=school_name, school_id=school_id, postcode=postcode),
        contract=Child(given_name=given, family_name=family, date_of_birth=born, upn=upn,
                       address=Address(line1=f"{rng.randint(1, 90)} Demo Lane", town=town, postcode=postcode)),
        school=School(establishment_id=school_id, name=school_name),
        flags=flags,
        safeguarding=safeguarding,
    )


class _Clock:
    """Moments for the work on one case: after it opened, a few hours apart, never in the future."""

    def __init__(self, start: datetime, now: datetime) -> None:
        self.moment = start
        self.now = now

    def next(self, hours: float = 20) -> datetime:
        self.moment = min(self.moment + timedelta(hours=hours), self.now - timedelta(minutes=5))
        return self.moment


def _record_checks(case: Case, clock: _Clock, officer_id: str, checks: Sequence[CheckType]) -> None:
    for check in checks:
        at = clock.next(6)
        concern = False if check is CheckType.LEAVER_FORM_OR_SCHOOL_DISCUSSION else None
        if check in (CheckType.EHCP, CheckType.BORDER_CONTROL):
            case.record_check(check, CheckStatus.NOT_APPLICABLE, on=at.date(), officer_id=officer_id,
                              officer_initials=_INITIALS[officer_id], outcome="",
                              note="Not relevant to this child (demonstration note)", at=at)
            continue
        case.record_check(check, CheckStatus.DONE, on=at.date(), officer_id=officer_id,
                          officer_initials=_INITIALS[officer_id],
                          outcome="Checked; no new information found (demonstration outcome)", note="", at=at,
                          school_safeguarding_concern=concern)


def _record_contacts(case: Case, clock: _Clock, officer_id: str, methods: Sequence[ContactMethod]) -> None:
    for method in methods:
        result = sorted(RESULTS_BY_METHOD[method])[0]
        case.record_contact(method, clock.next(30), officer_id, result, "Demonstration contact attempt")


def _work(case: Case, stage: str, clock: _Clock, officer_id: str) -> None:
    """Take a freshly opened case to its stage through the domain's commands."""
    if stage == "awaiting":
        return
    case.allocate(officer_id, ENGAGEMENT_MANAGER, clock.next(3))
    if stage == "allocated":
        return
    if stage == "on_roll":
        case.close(ClosureReason.ON_ROLL_NOT_CME, officer_id, clock.next(),
                   ClosureDetails(text="Found on the roll of a school out of county (demonstration)"))
        return
    _record_checks(case, clock, officer_id, STANDARD_CHECKS[:4])
    _record_contacts(case, clock, officer_id, (ContactMethod.PHONE, ContactMethod.LETTER))
    case.add_note("Spoke to the previous school's attendance lead (demonstration note)", officer_id, clock.next())
    if case.flags.open_to_social_care:
        case.liaise_with_social_worker(clock.next(), officer_id, "Shared the enquiry with the social worker (demo)")
    outcomes: dict[str, Callable[[], object]] = {
        "enquiries": lambda: None,
        "social_worker": lambda: None,
        "fap": lambda: case.escalate(EscalationKind.FAP, ENGAGEMENT_MANAGER, clock.next(), note="Needs a place"),
        "s19": lambda: case.escalate(EscalationKind.S19, ENGAGEMENT_MANAGER, clock.next(), note="Medical needs"),
        "missing_mondays": lambda: _escalate_to_missing_mondays(case, clock, officer_id),
        "awaiting_acknowledgement": lambda: case.close(
            ClosureReason.MOVED_TO_OTHER_LA, officer_id, clock.next(),
            ClosureDetails(la_name="Demoshire County Council", la_code="999"),
        ),
        "registered": lambda: case.close(
            ClosureReason.REGISTERED_INTO_PROVISION, officer_id, clock.next(), ClosureDetails(school_id="8854002")
        ),
        "moved_abroad": lambda: case.close(
            ClosureReason.MOVED_ABROAD, officer_id, clock.next(), ClosureDetails(destination_country="Portugal")
        ),
        "ehe": lambda: case.close(
            ClosureReason.EHE_CONFIRMED, officer_id, clock.next(),
            ClosureDetails(text="Parent's letter declaring elective home education received (demonstration)"),
        ),
        "other_la": lambda: case.close(
            ClosureReason.MOVED_TO_OTHER_LA, officer_id, clock.next(),
            ClosureDetails(la_name="Demoshire County Council", la_code="999", acknowledged=True),
        ),
        "past_csa": lambda: case.close(ClosureReason.PAST_COMPULSORY_SCHOOL_AGE, officer_id, clock.next()),
    }
    outcomes[stage]()


def _escalate_to_missing_mondays(case: Case, clock: _Clock, officer_id: str) -> None:
    _record_checks(case, clock, officer_id, STANDARD_CHECKS[4:] + WHEREABOUTS_UNKNOWN_CHECKS)
    _record_contacts(case, clock, officer_id, (ContactMethod.HOME_VISIT, ContactMethod.EMAIL))
    case.escalate(EscalationKind.MISSING_MONDAYS, ENGAGEMENT_MANAGER, clock.next(), cme_score=5,
                  safeguarding_score=2, note="Whereabouts unknown after every check (demonstration)")


def demo_case(number: int, now: datetime) -> tuple[Case, DemoChild]:
    """The demonstration case `number` (0 to CASE_COUNT - 1), worked to its stage; the same every time."""
    rng = random.Random(number)
    stage = STAGES[number]
    priority = (Priority.P1, Priority.P2, Priority.P3)[number % 3]
    track = Track.EXCLUSION_AP if number % 5 == 4 else Track.CME_ENQUIRY
    days_ago = 2 + (number * 7) % 60
    opened_at = now - timedelta(days=days_ago, hours=rng.randint(0, 6))
    child = _child(
        number, rng, now.date(), priority, whereabouts_unknown=stage == "missing_mondays", past_csa=stage == "past_csa"
    )
    case = Case.open(
        case_id=demo_id("case", number),
        child_id=demo_id("child", number),
        referral_id=demo_id("referral", number),
        priority=priority,
        track=track,
        due_date=opened_at.date() + timedelta(days=28),
        opened_at=opened_at,
        child_summary=child.summary,
        flags=child.flags,
    )
    officer_id = OFFICER if number % 2 == 0 else SECOND_OFFICER
    _work(case, stage, _Clock(opened_at, now), officer_id)
    return case, child


async def seed_users(session: AsyncSession, accounts: Accounts, audit: AuditLog, password: str) -> int:
    """Adds the demo users that are missing and sets every demo user's password. Returns how many were added."""
    existing = set((await session.execute(
        select(users.c.user_id).where(users.c.user_id.in_([user.user_id for user in DEMO_USERS]))
    )).scalars())
    for user in DEMO_USERS:
        if user.user_id in existing:
            continue
        await accounts.add_user(session, user_id=user.user_id, email=user.email, display_name=user.display_name,
                                initials=user.initials, roles=[user.role], team_id=user.team_id, password=password)
        await audit.record(session, actor_id=DEMO_ACTOR, action="user.added", record_type="user",
                           record_id=user.user_id, details={"role": user.role.value})
    if existing:
        await session.execute(
            update(users).where(users.c.user_id.in_(sorted(existing))).values(password_hash=hash_password(password))
        )
    return len(DEMO_USERS) - len(existing)


async def seed_cases(session: AsyncSession, service: CaseworkService, audit: AuditLog, now: datetime) -> int:
    """Adds the demo cases that are missing. Returns how many were added."""
    added = 0
    for number in range(CASE_COUNT):
        if await service.repository.get(session, demo_id("case", number)) is not None:
            continue
        case, child = demo_case(number, now)
        await service.repository.lock_child(session, case.child_id)
        await service.open_case(session, case, child.contract, child.school, child.safeguarding)
        await audit.record(session, actor_id=DEMO_ACTOR, action="case.demo_seeded", record_type="case",
                           record_id=case.case_id)
        added += 1
    return added


def sign_ins(password: str) -> str:
    lines = [f"Demo sign-ins (every account's password: {password}):"]
    lines += [f"  {user.role.value.replace('_', ' '):<20} {user.email:<38} {user.display_name}" for user in DEMO_USERS]
    return "\n".join(lines)


async def _seed(settings: CaseworkSettings, password: str) -> tuple[int, int]:
    components = build(settings)
    runtime = components.runtime
    try:
        async with runtime.session_factory.begin() as session:
            users_added = await seed_users(session, components.accounts, components.audit, password)
            cases_added = await seed_cases(session, components.service, components.audit, components.clock())
    finally:
        await runtime.engine.dispose()
        runtime.tracer_provider.shutdown()
    return users_added, cases_added


def seed_demo(settings: CaseworkSettings, argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.casework seed-demo", description=__doc__)
    parser.add_argument("--password", help="The demo users' password (default: a new random one)")
    arguments = parser.parse_args(list(argv))
    password = arguments.password or secrets.token_urlsafe(12)
    users_added, cases_added = asyncio.run(_seed(settings, password))
    print(f"Demo data: {users_added} user(s) and {cases_added} case(s) added "
          f"({len(DEMO_USERS)} users and {CASE_COUNT} cases in all).")
    print(sign_ins(password))
    return 0
