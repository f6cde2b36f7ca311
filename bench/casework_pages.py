"""Casework pages benchmark: server time of the case page and the case list over 100,000 cases.

    uv run python bench/casework_pages.py                      # DATABASE_URL from scripts/postgres.sh env
    uv run python bench/casework_pages.py --explain            # and EXPLAIN ANALYZE every query of each page
    uv run python bench/casework_pages.py --no-docs --with-index "CREATE INDEX ON cases (due_date)"  # try one

Runs casework's real app in-process (httpx.ASGITransport, no network) against real PostgreSQL. The data lives in
temporary copies of every casework table, made on the one connection the app is given, so the benchmark sees a
fresh, private casework schema: nothing it loads or writes (cases, sessions, audit entries) reaches the real
tables, other processes keep working, and PostgreSQL drops the copies when the connection closes, even if the
run is killed. The copies have the real tables' columns, defaults and indexes (LIKE ... INCLUDING ALL).

It loads 100,000 fictional cases across every status, priority and track (about 85% closed, as in a county's
case history), built as domain aggregates and stored in `CaseRepository`'s row shape with their timelines, plus
one open case with 200 timeline entries. Then it signs in as a lead officer through the sign-in form and times
N requests per page after a warm-up, from the request to the last byte of the response, and reports the median
and 95th percentile with the share spent in SQL, and writes them into the results section of docs/performance.md
(`--no-docs` for a trial run).

Every name, date of birth and UPN is generated; none describe a real child.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import random
import re
import secrets
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import asyncpg
import httpx
import orjson
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from stdnum.gb import upn as stdnum_upn

from cme_runtime.migrations import upgrade
from services.casework.adapters.accounts import Accounts
from services.casework.adapters.repository import _row as repository_row
from services.casework.adapters.repository import reference_for
from services.casework.app import MIGRATIONS, create_app
from services.casework.domain.access import Role
from services.casework.domain.case import Case
from services.casework.domain.checklist import CheckType
from services.casework.domain.records import CaseFlags, ChildSummary, ClosureDetails
from services.casework.domain.vocabulary import (
    CheckStatus,
    ClosureReason,
    ContactMethod,
    ContactResult,
    Priority,
    Status,
    Track,
)
from services.casework.settings import CaseworkSettings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "performance.md"
RESULTS_START = "<!-- casework-pages results: start -->"
RESULTS_END = "<!-- casework-pages results: end -->"
TARGET_P95_MS = 300.0
LOCAL_AUTHORITY = "885"  # the LA number in every generated UPN
MANAGER = "bench-manager"
LEAD_EMAIL = "lead.officer@bench.invalid"
Choice = TypeVar("Choice")

# fmt: off
GIVEN = [
    "Oliver", "Amelia", "George", "Isla", "Noah", "Ava", "Arthur", "Ivy", "Leo", "Freya", "Harry", "Lily",
    "Oscar", "Florence", "Theo", "Mia", "Henry", "Willow", "Alfie", "Rosie", "Jack", "Sophia", "Charlie", "Grace",
    "Muhammad", "Daisy", "Finley", "Poppy", "Archie", "Elsie", "Jacob", "Evie", "Tommy", "Phoebe", "Reggie",
    "Matilda", "Ezra", "Maisie", "Kacper", "Zofia", "Yusuf", "Aisha", "Rory", "Niamh", "Kai", "Zara", "Ronnie",
    "Esme", "Jude", "Ada", "Albert", "Violet", "Louie", "Hallie", "Teddy", "Ruby", "Rowan", "Luna", "Hugo", "Iris",
]
FAMILY = [
    "Ashdown", "Brierley", "Carrow", "Dunmore", "Elsworth", "Fenwick", "Garside", "Holloway", "Inchley",
    "Jessop", "Kettleby", "Lockwood", "Marston", "Northam", "Oakridge", "Pemberton", "Quarry", "Ravensworth",
    "Sedgewick", "Thornbury", "Upton", "Vickery", "Whitlock", "Yardley", "Ackroyd", "Blakemore", "Cheswick",
    "Darnley", "Eastwood", "Fairbrother", "Greenhalgh", "Hartley", "Illingworth", "Kingsley", "Langridge",
    "Merriman", "Netherton", "Ormerod", "Pickering", "Radcliffe", "Stainton", "Tilbury", "Underhill", "Wetherby",
    "Ainsworth", "Bramall", "Crowther", "Dearden", "Entwistle", "Fothergill", "Gledhill", "Haworth", "Kershaw",
    "Lumb", "Mellor", "Nuttall", "Openshaw", "Priestley", "Rothwell", "Sutcliffe", "Tattersall", "Whiteley",
    "Kowalski", "Nowak", "Okafor", "Adeyemi", "Begum", "Hussain", "Rahman", "Iqbal", "Novak", "Horvat",
    "Smith-Walker", "Jones-Farrow", "Price-Ellis", "Morgan-Hale",
]
PLACES = [
    "Abbotswood", "Barnthorpe", "Cradley Vale", "Dormston", "Elmbridge", "Fladbury Heath", "Grimley", "Hallow",
    "Inkberrow", "Kempsey", "Lickhill", "Martley", "Norton Juxta", "Ombersley", "Pershore Fields", "Rushwick",
    "Severn Stoke", "Tibberton", "Upton Warren", "Wichenford",
]
SCHOOL_KINDS = ["Primary School", "CE Primary School", "First School", "Middle School", "High School", "Academy"]
POSTCODE_AREAS = ["WR1", "WR2", "WR3", "WR4", "WR5", "WR9", "WR10", "WR11", "WR14", "DY10", "DY11", "DY13", "B97"]
# fmt: on

STATUS_WEIGHTS = {
    Status.CLOSED: 85, Status.TRIAGED: 2, Status.ALLOCATED: 4, Status.ENQUIRIES: 8, Status.OUTCOME_RECORDED: 1,
}
PRIORITY_WEIGHTS = {Priority.P1: 15, Priority.P2: 25, Priority.P3: 60}
TRACK_WEIGHTS = {Track.CME_ENQUIRY: 90, Track.EXCLUSION_AP: 10}
CLOSURE_REASONS = [
    (ClosureReason.REGISTERED_INTO_PROVISION, 55), (ClosureReason.MOVED_TO_OTHER_LA, 20),
    (ClosureReason.MOVED_ABROAD, 10), (ClosureReason.EHE_CONFIRMED, 8), (ClosureReason.ON_ROLL_NOT_CME, 5),
    (ClosureReason.PAST_COMPULSORY_SCHOOL_AGE, 2),
]
P1_FLAGS = ("cla", "cp", "cin", "ehcp", "safeguarding_concern")
CASE_COLUMNS = (
    "case_id", "reference", "child_id", "status", "priority", "track", "due_date", "officer_id", "school_id",
    "opened_at", "closed_at", "child", "search_name", "given_name_key", "family_name_key", "upn", "date_of_birth",
    "school_name_key", "working_due_date", "state", "version",
)
JSON_COLUMNS = frozenset({"child", "state"})
TIMELINE_COLUMNS = ("case_id", "at", "kind", "actor", "summary", "source", "event_id")
REFERRAL_COLUMNS = ("referral_id", "case_id")
OPEN_CASES = "SELECT count(*) FROM cases WHERE status <> 'closed'"


# ---------------------------------------------------------------------- generated data


@dataclass(frozen=True)
class Officer:
    user_id: str
    display_name: str
    team_id: str


@dataclass(frozen=True)
class School:
    establishment_id: str
    name: str


@dataclass
class Dataset:
    officers: list[Officer]
    cases: list[tuple[Any, ...]] = field(default_factory=list)
    timeline: list[tuple[Any, ...]] = field(default_factory=list)
    referrals: list[tuple[Any, ...]] = field(default_factory=list)
    busy_case_id: str = ""
    searched_family_name: str = ""


def weighted(rng: random.Random, weights: dict[Choice, int]) -> Choice:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def generated_upn(serial: int) -> str:
    body = f"{LOCAL_AUTHORITY}{serial % 10_000:04d}{(serial // 10_000) % 100:02d}{serial % 1000:03d}"
    return stdnum_upn.calc_check_digit(body) + body


def generate_officers(rng: random.Random, count: int, teams: int) -> list[Officer]:
    names = rng.sample([f"{given} {family}" for given in GIVEN for family in FAMILY], count)
    return [
        Officer(f"bench-officer-{number:02d}", name, f"bench-team-{number % teams + 1}")
        for number, name in enumerate(names, start=1)
    ]


def generate_schools(rng: random.Random, count: int) -> list[School]:
    names = rng.sample([f"{place} {kind}" for place in PLACES for kind in SCHOOL_KINDS], count)
    return [School(f"{LOCAL_AUTHORITY}{2000 + number:04d}", name) for number, name in enumerate(names)]


def child_for(rng: random.Random, serial: int, opened: date, school: School) -> ChildSummary:
    return ChildSummary(
        given_name=rng.choice(GIVEN),
        family_name=rng.choice(FAMILY),
        date_of_birth=opened - timedelta(days=rng.randint(5 * 365, 16 * 365)),
        upn=generated_upn(serial),
        school_name=school.name,
        school_id=school.establishment_id,
        postcode=f"{rng.choice(POSTCODE_AREAS)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
    )


def flags_for(rng: random.Random, priority: Priority) -> CaseFlags:
    if priority is not Priority.P1:
        return CaseFlags()
    raised = rng.choice(P1_FLAGS)
    return CaseFlags(
        cla=raised == "cla", cp=raised == "cp", cin=raised == "cin", ehcp=raised == "ehcp",
        safeguarding_concern=raised == "safeguarding_concern", open_to_social_care=raised in ("cla", "cp", "cin"),
    )


def record_a_check(case: Case, officer: Officer, at: datetime) -> None:
    case.record_check(
        CheckType.SOCIAL_CARE_SYSTEM, CheckStatus.DONE, on=at.date(), officer_id=officer.user_id,
        officer_initials="".join(word[0] for word in officer.display_name.split()), outcome="No current involvement",
        note="", at=at,
    )


def close_reason_details(rng: random.Random, case: Case) -> tuple[ClosureReason, ClosureDetails]:
    reason = rng.choices([reason for reason, _ in CLOSURE_REASONS], [weight for _, weight in CLOSURE_REASONS])[0]
    if reason is ClosureReason.REGISTERED_INTO_PROVISION:
        return reason, ClosureDetails(school_id=case.child.school_id)
    if reason is ClosureReason.MOVED_TO_OTHER_LA:
        return reason, ClosureDetails(la_code=f"{rng.randint(201, 938)}", acknowledged=True)
    if reason is ClosureReason.MOVED_ABROAD:
        return reason, ClosureDetails(destination_country=rng.choice(["Poland", "Romania", "Spain", "Pakistan"]))
    return reason, ClosureDetails()


def generated_case(rng: random.Random, case_id: str, serial: int, *, now: datetime, officers: Sequence[Officer],
                   schools: Sequence[School]) -> Case:
    status = weighted(rng, STATUS_WEIGHTS)
    # Closed cases span five years; open ones were opened in the last few months.
    age = timedelta(days=rng.uniform(30, 5 * 365) if status is Status.CLOSED else rng.uniform(0, 120))
    opened_at = now - age
    priority = weighted(rng, PRIORITY_WEIGHTS)
    case = Case.open(
        case_id=case_id, child_id=str(uuid4()), referral_id=str(uuid4()), priority=priority,
        track=weighted(rng, TRACK_WEIGHTS), due_date=opened_at.date() + timedelta(days=rng.choice((10, 20, 28))),
        opened_at=opened_at, child_summary=child_for(rng, serial, opened_at.date(), rng.choice(schools)),
        flags=flags_for(rng, priority),
    )
    if status is Status.TRIAGED:
        return case
    officer = rng.choice(officers)
    worked_at = min(opened_at + timedelta(days=rng.uniform(0.1, 3)), now)
    case.allocate(officer.user_id, MANAGER, worked_at)
    if status is Status.ALLOCATED:
        return case
    record_a_check(case, officer, worked_at)
    case.record_contact(ContactMethod.PHONE, worked_at, officer.user_id, ContactResult.NO_RESPONSE, "")
    if status is Status.ENQUIRIES:
        return case
    closed_at = min(worked_at + timedelta(days=rng.uniform(1, 40)), now)
    if status is Status.OUTCOME_RECORDED:
        case.close(ClosureReason.MOVED_TO_OTHER_LA, officer.user_id, closed_at, ClosureDetails(la_code="330"))
        return case
    reason, details = close_reason_details(rng, case)
    if reason is ClosureReason.PAST_COMPULSORY_SCHOOL_AGE:
        # The rule refuses this reason for a child still of school age: these children are 17 when closed.
        case.child = replace(case.child, date_of_birth=closed_at.date() - timedelta(days=17 * 365 + 5))
    case.close(reason, officer.user_id, closed_at, details)
    return case


def busy_case(rng: random.Random, case_id: str, *, now: datetime, officer: Officer, school: School,
              timeline_entries: int) -> Case:
    """An open case in enquiries with `timeline_entries` events: every App. F check, contacts, then notes."""
    opened_at = now - timedelta(days=150)
    case = Case.open(
        case_id=case_id, child_id=str(uuid4()), referral_id=str(uuid4()), priority=Priority.P1,
        track=Track.CME_ENQUIRY, due_date=now.date() + timedelta(days=5), opened_at=opened_at,
        child_summary=child_for(rng, 0, opened_at.date(), school), flags=CaseFlags(cin=True, open_to_social_care=True),
    )
    case.allocate(officer.user_id, MANAGER, opened_at + timedelta(hours=2))
    moments = (opened_at + timedelta(hours=3 + step * 17) for step in range(timeline_entries))
    initials = "".join(word[0] for word in officer.display_name.split())
    for check in CheckType:
        if len(case.events) >= timeline_entries:
            break
        at = next(moments)
        concern = False if check is CheckType.LEAVER_FORM_OR_SCHOOL_DISCUSSION else None
        case.record_check(check, CheckStatus.DONE, on=at.date(), officer_id=officer.user_id, officer_initials=initials,
                          outcome="No trace of the child found", note="Checked again after the family moved",
                          at=at, school_safeguarding_concern=concern)
    methods = [(ContactMethod.PHONE, ContactResult.NO_RESPONSE), (ContactMethod.EMAIL, ContactResult.NO_RESPONSE),
               (ContactMethod.LETTER, ContactResult.RETURNED_UNDELIVERED),
               (ContactMethod.HOME_VISIT, ContactResult.ADDRESS_VACANT)]
    for method, result in methods * 15:
        if len(case.events) >= timeline_entries:
            break
        case.record_contact(method, next(moments), officer.user_id, result, "Tried the last known details")
    while len(case.events) < timeline_entries:
        case.add_note("Spoke to the school's safeguarding lead; no news of the family.", officer.user_id, next(moments))
    return case


def unique_case_id(references: set[str]) -> str:
    """A case id whose reference is not taken: a reference keeps 32 bits of the id, so among 100,000 cases two
    ids share one more often than not."""
    while True:
        case_id = str(uuid4())
        reference = reference_for(case_id)
        if reference not in references:
            references.add(reference)
            return case_id


def json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def add_case(dataset: Dataset, case: Case) -> None:
    row = {**repository_row(case), "case_id": UUID(case.case_id), "reference": reference_for(case.case_id),
           "child_id": UUID(case.child_id), "opened_at": case.opened_at}
    dataset.cases.append(tuple(json_text(row[name]) if name in JSON_COLUMNS else row[name] for name in CASE_COLUMNS))
    case_id = UUID(case.case_id)
    dataset.timeline.extend(
        (case_id, entry.at, entry.kind, entry.actor, entry.summary, "casework", str(uuid4())) for entry in case.events
    )
    dataset.referrals.extend((UUID(referral_id), case_id) for referral_id in case.referral_ids)
    case.events.clear()


def generate(cases: int, timeline_entries: int, seed: int) -> Dataset:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    officers = generate_officers(rng, 30, 5)
    schools = generate_schools(rng, 110)
    dataset = Dataset(officers)
    references: set[str] = set()
    for serial in range(1, cases):
        add_case(dataset, generated_case(rng, unique_case_id(references), serial, now=now, officers=officers,
                                                 schools=schools))
    busy = busy_case(rng, unique_case_id(references), now=now, officer=officers[0], school=schools[0],
                     timeline_entries=timeline_entries)
    dataset.busy_case_id = busy.case_id
    add_case(dataset, busy)
    dataset.searched_family_name = FAMILY[seed % len(FAMILY)]
    return dataset


# ---------------------------------------------------------------------- private copies of casework's tables


async def shadow_casework_tables(connection: asyncpg.Connection, schema: str) -> list[str]:
    """Temporary tables named like casework's (LIKE ... INCLUDING ALL): on this connection they hide the real ones,
    as PostgreSQL looks in the session's temporary schema first."""
    # Temporary tables live in the backend's own buffers; enough of them keeps the whole data set in memory, as
    # shared buffers would on a server. Settable only before the session's first temporary table.
    await connection.execute("SET temp_buffers = '1GB'")
    names = [
        record["tablename"]
        for record in await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'alembic_version'", schema
        )
    ]
    if "cases" not in names:
        raise SystemExit(f"no casework tables in schema {schema!r}: is DATABASE_URL the suite's database?")
    for name in names:
        await connection.execute(f'CREATE TEMPORARY TABLE "{name}" (LIKE "{schema}"."{name}" INCLUDING ALL)')
    return names


async def load(connection: asyncpg.Connection, dataset: Dataset) -> None:
    await connection.copy_records_to_table("cases", records=dataset.cases, columns=CASE_COLUMNS)
    await connection.copy_records_to_table("timeline", records=dataset.timeline, columns=TIMELINE_COLUMNS)
    await connection.copy_records_to_table("case_referrals", records=dataset.referrals, columns=REFERRAL_COLUMNS)


# ---------------------------------------------------------------------- timing


@dataclass
class SqlClock:
    """Counts statements and the time spent in them, from SQLAlchemy's cursor events."""

    statements: int = 0
    seconds: float = 0.0
    captured: list[tuple[str, Sequence[Any]]] | None = None
    _started: float = 0.0

    def attach(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, _connection: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if self.captured is not None:
            self.captured.append((statement, parameters))
        self._started = time.perf_counter()

    def _after(self, *_: Any) -> None:
        self.statements += 1
        self.seconds += time.perf_counter() - self._started

    def reset(self) -> None:
        self.statements, self.seconds = 0, 0.0


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    shown_as: str = ""  # the path in the report, when the real one holds a generated id


@dataclass(frozen=True)
class Timing:
    scenario: Scenario
    median_ms: float
    p95_ms: float
    sql_share: float
    statements: int

    @property
    def within_target(self) -> bool:
        return self.p95_ms < TARGET_P95_MS


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample at or above `fraction` of them."""
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


async def time_scenario(client: httpx.AsyncClient, clock: SqlClock, scenario: Scenario, requests: int,
                        warmup: int) -> Timing:
    for _ in range(warmup):
        await fetch(client, scenario.path)
    samples: list[float] = []
    sql_seconds: list[float] = []
    statements: list[int] = []
    for _ in range(requests):
        clock.reset()
        started = time.perf_counter()
        await fetch(client, scenario.path)
        samples.append(time.perf_counter() - started)
        sql_seconds.append(clock.seconds)
        statements.append(clock.statements)
    return Timing(
        scenario,
        statistics.median(samples) * 1000,
        percentile(samples, 0.95) * 1000,
        sum(sql_seconds) / sum(samples),
        round(statistics.median(statements)),
    )


async def fetch(client: httpx.AsyncClient, path: str) -> None:
    """GET a page to its last byte; anything but 200 ends the run, as its time would not be the page's."""
    response = await client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}; the benchmark needs every page to work")


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> None:
    page = await client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if token is None:
        raise SystemExit("the sign-in page has no anti-forgery token")
    response = await client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": token.group(1), "next": "/"}
    )
    if response.status_code != 303:
        raise SystemExit(f"signing in as the lead officer answered {response.status_code}")


async def explain(connection: asyncpg.Connection, client: httpx.AsyncClient, clock: SqlClock,
                  scenario: Scenario) -> None:
    """Print EXPLAIN ANALYZE for every read the page makes (writes are listed, not run twice)."""
    clock.captured = []
    await fetch(client, scenario.path)
    captured, clock.captured = clock.captured, None
    print(f"\n=== {scenario.name}: {scenario.path} ({len(captured)} statements)")
    for statement, parameters in captured:
        one_line = " ".join(statement.split())
        if not one_line.upper().startswith("SELECT") or "pg_advisory" in one_line:
            print(f"-- not analysed: {one_line[:110]}")
            continue
        plan = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *parameters)
        print(f"-- {one_line[:200]}")
        for line in plan:
            print("   " + line[0])


# ---------------------------------------------------------------------- report


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
                 platform.processor() or "unknown")
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    total_kb = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0)
    return {
        "load": f"{os.getloadavg()[0]:.1f}",
        "cores": str(os.cpu_count()),
        "cpu": model,
        "ram": f"{total_kb / 1024 / 1024:.1f} GiB",
        "python": platform.python_version(),
    }


def report(timings: Sequence[Timing], facts: dict[str, str]) -> str:
    lines = [
        f"Run {facts['date']} on {facts['cores']} cores ({facts['cpu']}), {facts['ram']} RAM, Python "
        f"{facts['python']}, {facts['postgres']}. {facts['cases']} cases ({facts['open_cases']} open), "
        f"{facts['timeline']} timeline entries; {facts['requests']} timed requests per page after "
        f"{facts['warmup']} warm-up requests, signed in as a lead officer (sees every case). Load average "
        f"{facts['load']} when measuring ended.",
        "",
        "| Page | Request | Median | p95 | In SQL | Statements | Under 300 ms p95 |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for timing in timings:
        lines.append(
            f"| {timing.scenario.name} | `{timing.scenario.shown_as or timing.scenario.path}` | "
            f"{timing.median_ms:.1f} ms | "
            f"{timing.p95_ms:.1f} ms | {timing.sql_share:.0%} | {timing.statements} | "
            f"{'yes' if timing.within_target else '**no**'} |"
        )
    return "\n".join(lines)


def write_docs(results: str) -> None:
    text = DOCS.read_text() if DOCS.exists() else ""
    if RESULTS_START not in text or RESULTS_END not in text:
        raise SystemExit(f"{DOCS} has no {RESULTS_START} ... {RESULTS_END} section to replace")
    before, rest = text.split(RESULTS_START, 1)
    after = rest.split(RESULTS_END, 1)[1]
    DOCS.write_text(f"{before}{RESULTS_START}\n{results}\n{RESULTS_END}{after}")


# ---------------------------------------------------------------------- main


def scenarios(dataset: Dataset, cases: int) -> list[Scenario]:
    deep_page = max(1, cases // 25 // 2)
    return [
        Scenario("Case page, 200 timeline entries", f"/cases/{dataset.busy_case_id}", "/cases/{case_id}"),
        Scenario("Case list, first page", "/cases"),
        Scenario("Case list, filtered", "/cases?status=enquiries&priority=P1&track=cme_enquiry"),
        Scenario("Case list, name search", f"/cases?q={dataset.searched_family_name.lower()}"),
        Scenario("Case list, deep page", f"/cases?status=all&page={deep_page}"),
        Scenario("Dashboard", "/"),
    ]


async def run(arguments: argparse.Namespace) -> None:
    settings = CaseworkSettings(log_level="WARNING", start_consumers=False, db_pool_size=1)
    print(f"migrating casework's schema {settings.schema_name!r} (if needed) ...", flush=True)
    await asyncio.to_thread(upgrade, settings, MIGRATIONS)
    started = time.perf_counter()
    dataset = await asyncio.to_thread(generate, arguments.cases, arguments.timeline, arguments.seed)
    print(f"generated {len(dataset.cases):,} cases and {len(dataset.timeline):,} timeline entries in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    app = create_app(settings)
    runtime = app.state.runtime
    clock = SqlClock()
    clock.attach(runtime.engine)
    connection: AsyncConnection
    async with runtime.engine.connect() as connection:
        raw: asyncpg.Connection = (await connection.get_raw_connection()).driver_connection
        try:
            tables = await shadow_casework_tables(raw, settings.schema_name)
            started = time.perf_counter()
            await load(raw, dataset)
            for statement in arguments.with_index:
                await raw.execute(statement)
            # Every session the app opens uses this connection, so it sees the copies.
            runtime.session_factory.configure(bind=connection)
            password = await add_users(runtime.session_factory, dataset)
            # Autovacuum never visits temporary tables; on a server it would have analysed these long ago.
            for table in tables:
                await raw.execute(f'VACUUM ANALYZE "{table}"')
            print(f"loaded into private copies of casework's tables in {time.perf_counter() - started:.1f} s",
                  flush=True)
            timings = await measure(app, raw, clock, dataset, password=password, arguments=arguments)
            facts = {
                **machine(),
                "date": datetime.now(UTC).strftime("%Y-%m-%d"),
                "postgres": "PostgreSQL " + str(await raw.fetchval("SHOW server_version")).split()[0],
                "cases": f"{len(dataset.cases):,}",
                "open_cases": f"{await raw.fetchval(OPEN_CASES):,}",
                "timeline": f"{len(dataset.timeline):,}",
                "requests": str(arguments.requests),
                "warmup": str(arguments.warmup),
            }
        finally:
            await raw.execute("DISCARD TEMP")
    await runtime.engine.dispose()
    results = report(timings, facts)
    print()
    print(results)
    if not arguments.no_docs:
        write_docs(results)
        print(f"\nwrote the results into {DOCS.relative_to(ROOT)}")


async def add_users(session_factory: async_sessionmaker[AsyncSession], dataset: Dataset) -> str:
    """The officers cases are allocated to, and the lead officer who signs in; returns the lead's password."""
    password = secrets.token_urlsafe(16)
    accounts = Accounts()
    async with session_factory.begin() as session:
        for officer in dataset.officers:
            await accounts.add_user(session, user_id=officer.user_id, email=f"{officer.user_id}@bench.invalid",
                                    display_name=officer.display_name, initials="BO", roles=[Role.CME_OFFICER],
                                    team_id=officer.team_id, password=None)
        await accounts.add_user(session, user_id="bench-lead", email=LEAD_EMAIL, display_name="Lead Officer",
                                initials="LO", roles=[Role.LEAD_OFFICER], team_id=None, password=password)
    return password


async def measure(app: Any, raw: asyncpg.Connection, clock: SqlClock, dataset: Dataset, *, password: str,
                  arguments: argparse.Namespace) -> list[Timing]:
    transport = httpx.ASGITransport(app=app)
    # https, so the session's Secure cookie is sent back.
    async with httpx.AsyncClient(transport=transport, base_url="https://casework.bench") as client:
        await sign_in(client, LEAD_EMAIL, password)
        pages = scenarios(dataset, len(dataset.cases))
        timings = []
        for scenario in pages:
            timing = await time_scenario(client, clock, scenario, arguments.requests, arguments.warmup)
            print(f"{scenario.name:<34} median {timing.median_ms:7.1f} ms  p95 {timing.p95_ms:7.1f} ms  "
                  f"SQL {timing.sql_share:4.0%}  {timing.statements} statements", flush=True)
            timings.append(timing)
        if arguments.explain:
            for scenario in pages:
                await explain(raw, client, clock, scenario)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--timeline", type=int, default=200, help="timeline entries on the benchmarked case page")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per page first")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each page's reads")
    parser.add_argument("--with-index", action="append", default=[], metavar="SQL",
                        help="a CREATE INDEX to try on the private copies before measuring (repeatable)")
    parser.add_argument("--no-docs", action="store_true", help=f"leave the results in {DOCS.name} as they are")
    arguments = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("set DATABASE_URL (and KAFKA_BOOTSTRAP_SERVERS): export \"$(scripts/postgres.sh env)\"")
    asyncio.run(run(arguments))


if __name__ == "__main__":
    main()
