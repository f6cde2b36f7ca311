"""The officers' pages and actions: casework's app in-process (httpx.ASGITransport, consumers off) on real
PostgreSQL, signed in through the real sign-in form. Every page is parsed as HTML5 and must be well formed.

Other tests share the database, so each test makes its own users (in a team of their own) and cases (at a
school of its own) and asserts only on those.
"""

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from xml.etree.ElementTree import Element

import html5lib
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from stdnum.gb import upn as upn_check

from contracts.events.common_v1 import Child, Safeguarding, School, SocialWorker
from services.casework.adapters.accounts import Accounts, hash_password
from services.casework.adapters.queries import Scope, unallocated_queue
from services.casework.adapters.repository import CaseRepository, reference_for
from services.casework.adapters.tables import audit_log, cases, outbox, timeline, users
from services.casework.app import create_app
from services.casework.domain.access import Role
from services.casework.domain.allocation import queue_order
from services.casework.domain.case import Case
from services.casework.domain.checklist import STANDARD_CHECKS, WHEREABOUTS_UNKNOWN_CHECKS, CheckType
from services.casework.domain.records import CaseFlags, ChildSummary
from services.casework.domain.vocabulary import CheckStatus, ContactMethod, ContactResult, Priority, Status, Track
from services.casework.entrypoints.demo import CASE_COUNT, DEMO_USERS, demo_id
from services.casework.service_layer.cases import CaseworkService
from services.casework.settings import CaseworkSettings
from tests.support.infrastructure import Infrastructure

pytestmark = [pytest.mark.integration]

BASE_URL = "https://casework.test"
PASSWORD = "pages test password 2026"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ---------------------------------------------------------------------- the app, users and cases


@pytest.fixture(scope="module")
async def app(migrated: Infrastructure) -> AsyncIterator[FastAPI]:
    settings = CaseworkSettings(
        start_consumers=False,
        DATABASE_URL=migrated.database_url,
        KAFKA_BOOTSTRAP_SERVERS=migrated.kafka_bootstrap_servers,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


def sessions_of(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = app.state.runtime.session_factory
    return factory


@dataclass(frozen=True)
class Person:
    user_id: str
    email: str
    name: str


# Hashing with argon2 takes a good part of a second by design; every test user shares one hash.
PASSWORD_HASH = hash_password(PASSWORD)


async def add_person(app: FastAPI, role: Role, team_id: str | None = None) -> Person:
    suffix = uuid4().hex[:10]
    person = Person(f"pages-{suffix}", f"pages-{suffix}@example.invalid", f"Tester {suffix}")
    async with sessions_of(app).begin() as session:
        await Accounts().add_user(session, user_id=person.user_id, email=person.email, display_name=person.name,
                                  initials="PT", roles=[role], team_id=team_id, password=None)
        with_password = update(users).where(users.c.user_id == person.user_id).values(password_hash=PASSWORD_HASH)
        await session.execute(with_password)
    return person


@dataclass(frozen=True)
class Team:
    """Users of one test: two officers in a team, one officer in another, and the managers."""

    officer: Person
    teammate: Person
    outsider: Person
    manager: Person
    lead: Person
    administrator: Person


@pytest.fixture
async def team(app: FastAPI) -> Team:
    team_id, other_team = f"team-{uuid4().hex[:8]}", f"team-{uuid4().hex[:8]}"
    return Team(
        officer=await add_person(app, Role.CME_OFFICER, team_id),
        teammate=await add_person(app, Role.CME_OFFICER, team_id),
        outsider=await add_person(app, Role.CME_OFFICER, other_team),
        manager=await add_person(app, Role.ENGAGEMENT_MANAGER),
        lead=await add_person(app, Role.LEAD_OFFICER),
        administrator=await add_person(app, Role.ADMINISTRATOR),
    )


def school_name() -> str:
    return f"Pagetest {uuid4().hex[:8]} Primary"


def fictional_upn() -> str:
    body = f"{secrets.randbelow(10**12):012d}"
    return str(upn_check.calc_check_digit(body)) + body


@dataclass(frozen=True)
class MadeCase:
    case_id: str
    given_name: str
    family_name: str
    upn: str
    date_of_birth: date


async def make_case(
    app: FastAPI,
    school: str,
    *,
    officer_id: str | None = None,
    priority: Priority = Priority.P3,
    due_in_days: int = 20,
    opened_days_ago: int = 5,
    flags: CaseFlags | None = None,
    work: Sequence[str] = (),
) -> MadeCase:
    """A case for an invented child at `school`, opened and worked through the domain and stored through the
    service (timeline and outbox included). `work` names steps: "all_checks" records every check (with the
    whereabouts-unknown ones), "contact" records a contact."""
    now = datetime.now(UTC)
    suffix = uuid4().hex[:6]
    given, family = f"Given{suffix}", f"Family{suffix}"
    upn, born = fictional_upn(), date(2015, 1, 1) + timedelta(days=secrets.randbelow(1500))
    opened_at = now - timedelta(days=opened_days_ago)
    school_id = f"{secrets.randbelow(10**7):07d}"
    case = Case.open(
        case_id=str(uuid4()), child_id=str(uuid4()), referral_id=str(uuid4()), priority=priority,
        track=Track.CME_ENQUIRY, due_date=now.date() + timedelta(days=due_in_days), opened_at=opened_at,
        child_summary=ChildSummary(given_name=given, family_name=family, date_of_birth=born, upn=upn,
                                   school_name=school, school_id=school_id, postcode=None),
        flags=flags or CaseFlags(),
    )
    if officer_id is not None:
        case.allocate(officer_id, "pages-test-manager", opened_at + timedelta(hours=1))
    moment = opened_at + timedelta(hours=2)
    for step in work:
        if step == "all_checks":
            for check in (*STANDARD_CHECKS, *WHEREABOUTS_UNKNOWN_CHECKS):
                concern = False if check is CheckType.LEAVER_FORM_OR_SCHOOL_DISCUSSION else None
                case.record_check(check, CheckStatus.DONE, on=moment.date(), officer_id=officer_id or "x",
                                  officer_initials="PT", outcome="Nothing found", note="", at=moment,
                                  school_safeguarding_concern=concern)
        elif step == "contact":
            case.record_contact(ContactMethod.PHONE, moment, officer_id or "x", ContactResult.NO_RESPONSE, "")
    worker = SocialWorker(name="Invented Worker", email="worker@example.invalid")
    async with sessions_of(app).begin() as session:
        await service_of(app).open_case(
            session, case, Child(given_name=given, family_name=family, date_of_birth=born, upn=upn),
            School(establishment_id=school_id, name=school),
            Safeguarding(open_to_social_care=case.flags.open_to_social_care, social_worker=worker),
        )
    return MadeCase(case.case_id, given, family, upn, born)


def service_of(app: FastAPI) -> CaseworkService:
    return CaseworkService(app.state.runtime.outbox, CaseRepository())


# ---------------------------------------------------------------------- the browser side


def parse(response: httpx.Response) -> Element:
    """The page as a tree; html5lib's strict mode raises on any parse error, so the HTML must be well formed."""
    assert response.headers["content-type"].startswith("text/html"), response.headers["content-type"]
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    tree: Element = parser.parse(response.text)
    return tree


def by_id(tree: Element, element_id: str) -> Element:
    found = tree.find(f".//*[@id='{element_id}']")
    assert found is not None, f"no element with id {element_id}"
    return found


def text_of(element: Element) -> str:
    return " ".join("".join(element.itertext()).split())


def field_value(tree: Element, name: str) -> str:
    field = tree.find(f".//input[@name='{name}']")
    assert field is not None, f"no field {name}"
    return field.attrib["value"]


def error_links(tree: Element) -> list[str]:
    summary = tree.find(".//*[@class='govuk-error-summary']")
    assert summary is not None, "no error summary"
    return [anchor.attrib["href"] for anchor in summary.iter("a")]


class Browser:
    """A signed-in officer's browser, from an address of its own (sign-in throttling counts per address)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    @classmethod
    async def signed_in(cls, app: FastAPI, person: Person, password: str = PASSWORD) -> "Browser":
        """Signs in through the sign-in form: its page sets the anti-forgery cookie and field, then the post."""
        address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app, client=(address, 40000)), base_url=BASE_URL)
        page = parse(await client.get("/sign-in"))
        signed_in = await client.post("/sign-in", data={
            "email": person.email, "password": password, "csrf_token": field_value(page, "csrf_token"), "next": "/",
        })
        assert signed_in.status_code == 303, signed_in.text
        return cls(client)

    async def get(self, path: str) -> tuple[httpx.Response, Element]:
        response = await self.client.get(path)
        return response, parse(response)

    async def submit(self, path: str, fields: Mapping[str, str], *, form_path: str | None = None) -> httpx.Response:
        """Open the form page (for its token and the case version), then post `fields` to `path`."""
        _, form = await self.get(form_path or path)
        data = {"csrf_token": field_value(form, "csrf_token"), **fields}
        if form.find(".//input[@name='version']") is not None and "version" not in fields:
            data["version"] = field_value(form, "version")
        return await self.client.post(path, data=data)


@pytest.fixture
async def browser_for(app: FastAPI) -> AsyncIterator[Any]:
    clients: list[httpx.AsyncClient] = []

    async def sign_in(person: Person) -> Browser:
        browser = await Browser.signed_in(app, person)
        clients.append(browser.client)
        return browser

    yield sign_in
    for client in clients:
        await client.aclose()


async def audit_actions(app: FastAPI, actor_id: str, record_id: str | None = None) -> list[str]:
    query = select(audit_log.c.action).where(audit_log.c.actor_id == actor_id).order_by(audit_log.c.seq)
    if record_id is not None:
        query = query.where(audit_log.c.record_id == record_id)
    async with sessions_of(app)() as session:
        return list((await session.execute(query)).scalars())


async def audited_records(app: FastAPI, actor_id: str, action: str) -> set[str]:
    query = select(audit_log.c.record_id).where(audit_log.c.actor_id == actor_id, audit_log.c.action == action)
    async with sessions_of(app)() as session:
        return set((await session.execute(query)).scalars())


async def stored(app: FastAPI, case_id: str) -> Case:
    async with sessions_of(app)() as session:
        case = await CaseRepository().get(session, case_id)
    assert case is not None
    return case


def case_links(tree: Element, table_id: str) -> list[str]:
    table = by_id(tree, table_id)
    return [anchor.attrib["href"].removeprefix("/cases/") for anchor in table.iter("a")
            if anchor.attrib["href"].count("/") == 2]


# ---------------------------------------------------------------------- dashboard


async def test_an_officers_dashboard_shows_their_cases_and_team_counts_and_audits_each_row(
    app: FastAPI, team: Team, browser_for: Any
) -> None:
    school = school_name()
    mine = await make_case(app, school, officer_id=team.officer.user_id, due_in_days=-3, priority=Priority.P2)
    teams = await make_case(app, school, officer_id=team.teammate.user_id, priority=Priority.P1)
    await make_case(app, school, officer_id=team.outsider.user_id)
    browser = await browser_for(team.officer)

    response, page = await browser.get("/")

    assert response.status_code == 200
    assert case_links(page, "my-cases") == [mine.case_id]
    assert case_links(page, "overdue-cases") == [mine.case_id]
    assert "Overdue" in text_of(by_id(page, "my-cases"))
    assert page.find(".//*[@id='allocation-queue']") is None, "officers do not see the allocation queue"
    assert page.find(".//*[@id='officer-workloads']") is None
    counts = text_of(by_id(page, "counts-by-priority"))
    assert "P1 1" in counts and "P2 1" in counts and "Total 2" in counts, counts
    assert await audited_records(app, team.officer.user_id, "case.list_viewed") == {mine.case_id}
    assert teams.case_id not in case_links(page, "my-cases")


async def test_the_engagement_managers_dashboard_has_the_queue_and_each_officers_workload(
    app: FastAPI, team: Team, browser_for: Any
) -> None:
    await make_case(app, school_name(), officer_id=team.officer.user_id)
    await make_case(app, school_name(), priority=Priority.P1, due_in_days=-400)
    browser = await browser_for(team.manager)

    response, page = await browser.get("/")

    assert response.status_code == 200
    workloads = text_of(by_id(page, "officer-workloads"))
    assert f"{team.officer.name} {team.officer.user_id.split('-')[0]}" not in workloads
    assert team.officer.name in workloads and team.teammate.name in workloads
    assert text_of(by_id(page, "queue-heading")) == "Awaiting allocation"
    shown = set(case_links(page, "allocation-queue"))
    assert shown, "the database holds unallocated cases (this test's own at least)"
    assert shown <= await audited_records(app, team.manager.user_id, "case.list_viewed")


async def test_the_allocation_queue_query_keeps_the_domain_queue_order(app: FastAPI) -> None:
    school = school_name()
    made = [
        await make_case(app, school, priority=priority, due_in_days=due)
        for priority, due in [(Priority.P3, 1), (Priority.P1, 30), (Priority.P2, 2), (Priority.P1, 3), (Priority.P2, 2)]
    ]
    ids = {case.case_id for case in made}
    expected = [case.case_id for case in queue_order([await stored(app, case_id) for case_id in ids])]
    async with sessions_of(app)() as session:
        rows, total = await unallocated_queue(session, Scope(None), limit=1_000_000)

    assert [row.case_id for row in rows if row.case_id in ids] == expected
    assert total >= len(ids)


# ---------------------------------------------------------------------- case list


async def test_the_case_list_filters_sorts_and_pages_at_the_database(
    app: FastAPI, team: Team, browser_for: Any
) -> None:
    school = school_name()
    made = [await make_case(app, school, due_in_days=day, priority=Priority.P2) for day in range(27, 0, -1)]
    await make_case(app, school, due_in_days=40, priority=Priority.P1)
    browser = await browser_for(team.lead)

    prefix = " ".join(school.split()[:2]).replace(" ", "+")
    first, page = await browser.get(f"/cases?school={prefix}&priority=P2")
    assert first.status_code == 200
    assert "Showing 1 to 25 of 27 cases" in text_of(by_id(page, "result-count"))
    listed = case_links(page, "case-list")
    assert len(listed) == 25
    async with sessions_of(app)() as session:
        query = select(cases.c.case_id, cases.c.due_date).where(cases.c.case_id.in_([UUID(c.case_id) for c in made]))
        due = {str(case_id): due_date for case_id, due_date in await session.execute(query)}
    assert [due[case_id] for case_id in listed] == sorted(due.values())[:25]
    headers = {text_of(th): th.attrib.get("aria-sort") for th in by_id(page, "case-list").iter("th")}
    assert headers["Due date"] == "ascending" and headers["Priority"] == "none"

    pagination = page.find(".//nav[@class='govuk-pagination']")
    assert pagination is not None
    next_link = pagination.find(".//a[@rel='next']")
    assert next_link is not None
    second, second_page = await browser.get(next_link.attrib["href"])
    assert second.status_code == 200
    assert "Showing 26 to 27 of 27 cases" in text_of(by_id(second_page, "result-count"))
    assert set(case_links(second_page, "case-list")).isdisjoint(listed)

    descending, descending_page = await browser.get(
        f"/cases?school={school.replace(' ', '+')}&sort=due_date&order=desc"
    )
    assert descending.status_code == 200
    listed_descending = case_links(descending_page, "case-list")
    assert len(listed_descending) == 25
    assert {text_of(th): th.attrib.get("aria-sort") for th in by_id(descending_page, "case-list").iter("th")}[
        "Due date"] == "descending"
    assert await audited_records(app, team.lead.user_id, "case.list_viewed") >= set(listed) | set(listed_descending)


async def test_one_search_box_finds_cases_by_name_upn_or_date_of_birth(
    app: FastAPI, team: Team, browser_for: Any
) -> None:
    school = school_name()
    wanted = await make_case(app, school)
    await make_case(app, school)
    browser = await browser_for(team.manager)

    searches = {
        "name": wanted.family_name,
        "full name": f"{wanted.given_name} {wanted.family_name}",
        "family name first": f"{wanted.family_name}, {wanted.given_name}",
        "UPN": wanted.upn.lower(),
        "date of birth": wanted.date_of_birth.strftime("%d/%m/%Y"),
    }
    for kind, term in searches.items():
        response, page = await browser.get(f"/cases?status=all&school={school.replace(' ', '+')}&q={term}")
        assert response.status_code == 200, kind
        assert case_links(page, "case-list") == [wanted.case_id], kind

    none_found, empty = await browser.get("/cases?q=Nobodyhasthisname" + uuid4().hex[:6])
    assert none_found.status_code == 200
    assert "No cases match your search" in text_of(by_id(empty, "result-count"))
    assert empty.find(".//*[@id='case-list']") is None


async def test_officers_see_only_their_own_and_their_teams_cases(app: FastAPI, team: Team, browser_for: Any) -> None:
    school = school_name()
    own = await make_case(app, school, officer_id=team.officer.user_id)
    teammates = await make_case(app, school, officer_id=team.teammate.user_id)
    outsiders = await make_case(app, school, officer_id=team.outsider.user_id)
    unallocated = await make_case(app, school)
    browser = await browser_for(team.officer)

    _, page = await browser.get(f"/cases?school={school.replace(' ', '+')}")
    assert set(case_links(page, "case-list")) == {own.case_id, teammates.case_id}

    assert (await browser.get(f"/cases/{teammates.case_id}"))[0].status_code == 200
    for hidden in (outsiders, unallocated):
        refused, refusal = await browser.get(f"/cases/{hidden.case_id}")
        assert refused.status_code == 403
        assert hidden.given_name not in refused.text
        assert "allocated to you or to your team" in text_of(refusal)
        assert "case.view_refused" in await audit_actions(app, team.officer.user_id, hidden.case_id)
    note = await browser.submit(f"/cases/{outsiders.case_id}/add-note", {"note": "Not mine"},
                                form_path=f"/cases/{own.case_id}/add-note")
    assert note.status_code == 403
    assert not (await stored(app, outsiders.case_id)).notes
    assert "case.change_refused" in await audit_actions(app, team.officer.user_id, outsiders.case_id)


async def test_an_administrator_sees_no_childrens_records(app: FastAPI, team: Team, browser_for: Any) -> None:
    made = await make_case(app, school_name(), officer_id=team.officer.user_id)
    browser = await browser_for(team.administrator)
    for path in ("/", "/cases", f"/cases/{made.case_id}", f"/cases/{made.case_id}/add-note"):
        response = await browser.client.get(path)
        assert response.status_code == 403, path
        assert made.given_name not in response.text


# ---------------------------------------------------------------------- case page


async def test_the_case_page_shows_the_summary_checklist_contacts_and_newest_first_timeline(
    app: FastAPI, team: Team, browser_for: Any
) -> None:
    flags = CaseFlags(cin=True, open_to_social_care=True, social_worker_name="Invented Worker")
    made = await make_case(app, school_name(), officer_id=team.officer.user_id, flags=flags, work=["contact"])
    browser = await browser_for(team.officer)

    response, page = await browser.get(f"/cases/{made.case_id}")

    assert response.status_code == 200
    assert text_of(by_id(page, "child-name")) == f"{made.given_name} {made.family_name}"
    summary = text_of(by_id(page, "case-summary"))
    for expected in (made.upn, f"{made.date_of_birth.day} {made.date_of_birth:%B %Y}", "P1", "Child in need",
                     "Open to social care", team.officer.name, reference_for(made.case_id)[4:]):
        assert expected in summary or expected in text_of(page), expected
    education = by_id(page, "checklist-education")
    assert "Outstanding" in text_of(education)
    record_links = [anchor.attrib["href"] for anchor in education.iter("a")]
    assert f"/cases/{made.case_id}/record-check?check=leaver_form_or_school_discussion" in record_links
    assert "Phone" in text_of(by_id(page, "contacts"))
    entries = [text_of(item) for item in by_id(page, "timeline").iter("li")]
    assert entries[0].startswith("Contact by phone"), entries
    assert entries[-1].startswith("Case opened"), entries
    assert any(f"Allocated to {team.officer.name}" in entry for entry in entries), "officer ids read as names"
    actions = {element.attrib["id"] for element in by_id(page, "case-actions").iter("a")}
    assert actions == {"action-record-check", "action-record-contact", "action-liaise-with-social-worker",
                       "action-add-note", "action-close", "action-change-priority", "action-record-address",
                       "action-link-sibling", "action-authority-contact"}
    assert "case.viewed" in await audit_actions(app, team.officer.user_id, made.case_id)


async def test_the_case_page_with_two_hundred_timeline_entries_renders_them_all(
    app: FastAPI, team: Team, browser_for: Any
) -> None:
    made = await make_case(app, school_name(), officer_id=team.officer.user_id)
    start = datetime.now(UTC) - timedelta(days=30)
    async with sessions_of(app).begin() as session:
        await CaseRepository().add_timeline(session, [
            {"case_id": UUID(made.case_id), "at": start + timedelta(minutes=number), "kind": "review.decided",
             "actor": "review", "summary": f"Entry {number:03d}", "source": "review", "event_id": str(uuid4())}
            for number in range(200)
        ])
    browser = await browser_for(team.officer)

    response, page = await browser.get(f"/cases/{made.case_id}")

    assert response.status_code == 200
    entries = [text_of(item) for item in by_id(page, "timeline").iter("li")]
    assert len(entries) == 202
    generated = [entry.split(" ")[1] for entry in entries if entry.startswith("Entry ")]
    assert generated == [f"{number:03d}" for number in range(199, -1, -1)]


async def test_unknown_and_malformed_case_ids_are_not_found(team: Team, browser_for: Any) -> None:
    browser = await browser_for(team.manager)
    assert (await browser.client.get(f"/cases/{uuid4()}")).status_code == 404
    assert (await browser.client.get("/cases/not-a-case")).status_code == 404


# ---------------------------------------------------------------------- actions: happy paths


async def published(app: FastAPI, case_id: str) -> int:
    async with sessions_of(app)() as session:
        query = select(func.count()).select_from(outbox).where(outbox.c.subject == case_id)
        return int((await session.execute(query)).scalar_one())


async def assert_changed(app: FastAPI, response: httpx.Response, case_id: str, *, success: str, actor: str,
                         action: str, published_before: int) -> None:
    """Redirected to the case page with the success banner; audited, on the timeline, and published."""
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/cases/{case_id}?success={success}"
    assert action in await audit_actions(app, actor, case_id)
    async with sessions_of(app)() as session:
        query = select(timeline.c.kind).where(timeline.c.case_id == UUID(case_id))
        kinds = set((await session.execute(query)).scalars())
    assert action in kinds, "audit actions and timeline kinds share their names"
    assert await published(app, case_id) > published_before


async def test_the_engagement_manager_allocates_a_case_choosing_from_officers_with_their_workloads(
    app: FastAPI, team: Team, browser_for: Any
) -> None:
    made = await make_case(app, school_name())
    await make_case(app, school_name(), officer_id=team.teammate.user_id)
    browser = await browser_for(team.manager)

    form_response, form = await browser.get(f"/cases/{made.case_id}/allocate")
    assert form_response.status_code == 200
    choices = text_of(form)
    assert f"{team.teammate.name}" in choices and "1 open case" in choices

    before = await published(app, made.case_id)
    response = await browser.submit(f"/cases/{made.case_id}/allocate", {"officer": team.officer.user_id})

    await assert_changed(app, response, made.case_id, success="allocated", actor=team.manager.user_id,
                         action="case.allocated", published_before=before)
    case = await stored(app, made.case_id)
    assert (case.status, case.officer_id) == (Status.ALLOCATED, team.officer.user_id)
    _, page = await browser.get(response.headers["location"])
    assert text_of(by_id(page, "success-banner")).endswith("Case allocated")


async def test_an_officer_records_a_check_with_its_date_outcome_and_initials(
    app: FastAPI, team: Team, browser_for: Any
) -> None:
    made = await make_case(app, school_name(), officer_id=team.officer.user_id)
    browser = await browser_for(team.officer)
    today = datetime.now(UTC).date()

    form_response, form = await browser.get(f"/cases/{made.case_id}/record-check?check=social_care_system")
    assert form_response.status_code == 200
    preselected = form.find(".//input[@name='check'][@value='social_care_system']")
    assert preselected is not None and "checked" in preselected.attrib
    before = await published(app, made.case_id)
    response = await browser.submit(f"/cases/{made.case_id}/record-check", {
        "check": "social_care_system", "status": "done", "on-day": str(today.day), "on-month": str(today.month),
        "on-year": str(today.year), "outcome": "Not known to social care", "note": "",
    })

    await assert_changed(app, response, made.case_id, success="check_recorded", actor=team.officer.user_id,
                         action="case.check_recorded", published_before=before)
    case = await stored(app, made.case_id)
    (record,) = case.checks
    assert (record.check, record.status, record.on, record.officer_initials, record.outcome) == (
        CheckType.SOCIAL_CARE_SYSTEM, CheckStatus.DONE, today, "PT", "Not known to social care")
    assert case.status is Status.ENQUIRIES
    _, page = await browser.get(f"/cases/{made.case_id}")
    assert "Social care system check Done" in text_of(by_id(page, "checklist-social_care"))


async def test_an_officer_records_a_contact_attempt(app: FastAPI, team: Team, browser_for: Any) -> None:
    made = await make_case(app, school_name(), officer_id=team.officer.user_id)
    browser = await browser_for(team.officer)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    before = await published(app, made.case_id)

    response = await browser.submit(f"/cases/{made.case_id}/record-contact", {
        "method": "home_visit", "result": "address_vacant", "when-day": str(yesterday.day),
        "when-month": str(yesterday.month), "when-year": str(yesterday.year), "time": "2:30pm",
        "note": "Curtains drawn",
    })

    await assert_changed(app, response, made.case_id, success="contact_recorded", actor=team.officer.user_id,
                         action="case.contact_recorded", published_before=before)
    (contact,) = (await stored(app, made.case_id)).contacts
    assert (contact.method, contact.result, contact.note) == (
        ContactMethod.HOME_VISIT, ContactResult.ADDRESS_VACANT, "Curtains drawn")
    assert contact.at.astimezone(UTC) < datetime.now(UTC)
    assert (contact.at.date(), contact.at.hour, contact.at.minute) == (yesterday, 14, 30)


async def test_a_teammate_adds_a_note(app: FastAPI, team: Team, browser_for: Any) -> None:
    made = await make_case(app, school_name(), officer_id=team.officer.user_id)
    browser = await browser_for(team.teammate)
    before = await published(app, made.case_id)

    response = await browser.submit(f"/cases/{made.case_id}/add-note", {"note": "Called the school office"})

    await assert_changed(app, response, made.case_id, success="note_added", actor=team.teammate.user_id,
                         action="case.note_added", published_before=before)
    _, page = await browser.get(f"/cases/{made.case_id}")
    assert "Called the school office" in text_of(by_id(page, "notes"))


async def test_the_lead_officer_escalates_a_case_with_every_check_to_missing_mondays_with_both_scores(
    app: FastAPI, team: Team, browser_for: Any
) -> None:
    made = await make_case(app, school_name(), officer_id=team.officer.user_id, work=["all_checks"])
    browser = await browser_for(team.lead)

    form_response, form = await browser.get(f"/cases/{made.case_id}/escalate")
    assert form_response.status_code == 200
    assert form.find(".//*[@id='missing-mondays-problems']") is None
    assert "5: Left the country, destination not provided" in text_of(form)
    before = await published(app, made.case_id)
    response = await browser.submit(f"/cases/{made.case_id}/escalate", {
        "kind": "missing_mondays", "cme_score": "5", "safeguarding_score": "2", "note": "",
    })

    await assert_changed(app, response, made.case_id, success="escalated", actor=team.lead.user_id,
                         action="case.escalated", published_before=before)
    case = await stored(app, made.case_id)
    assert case.missing_mondays_pending
    assert (case.escalations[0].cme_score, case.escalations[0].safeguarding_score) == (5, 2)
    async with sessions_of(app)() as session:
        types = set((await session.execute(
            select(outbox.c.type).where(outbox.c.subject == made.case_id))).scalars())
    assert "cme.case.escalated.v1" in types


async def test_an_officer_records_liaison_with_the_social_worker(app: FastAPI, team: Team, browser_for: Any) -> None:
    flags = CaseFlags(open_to_social_care=True, social_worker_name="Invented Worker")
    made = await make_case(app, school_name(), officer_id=team.officer.user_id, flags=flags)
    browser = await browser_for(team.officer)
    before = await published(app, made.case_id)

    response = await browser.submit(f"/cases/{made.case_id}/liaise-with-social-worker",
                                    {"note": "Agreed to share any sightings"})

    await assert_changed(app, response, made.case_id, success="social_worker_liaised", actor=team.officer.user_id,
                         action="case.social_worker_liaised", published_before=before)
    assert not (await stored(app, made.case_id)).social_worker_contact_due


async def test_an_officer_closes_a_case_with_a_reason_and_its_details(
    app: FastAPI, team: Team, browser_for: Any
) -> None:
    made = await make_case(app, school_name(), officer_id=team.officer.user_id)
    browser = await browser_for(team.officer)
    before = await published(app, made.case_id)

    response = await browser.submit(f"/cases/{made.case_id}/close",
                                    {"reason": "registered_into_provision", "school_id": "8852001"})

    await assert_changed(app, response, made.case_id, success="closed", actor=team.officer.user_id,
                         action="case.closed", published_before=before)
    case = await stored(app, made.case_id)
    assert case.status is Status.CLOSED
    assert case.outcome is not None and case.outcome.details.school_id == "8852001"
    _, page = await browser.get(f"/cases/{made.case_id}")
    # A closed case takes notes, the family's and address records, and can be reopened; no casework actions.
    assert {a.attrib["id"] for a in by_id(page, "case-actions").iter("a")} == {
        "action-add-note", "action-reopen", "action-link-sibling", "action-record-address"}


async def test_a_move_to_another_authority_not_yet_acknowledged_records_the_outcome_and_waits(
    app: FastAPI, team: Team, browser_for: Any
) -> None:
    made = await make_case(app, school_name(), officer_id=team.officer.user_id)
    browser = await browser_for(team.officer)

    response = await browser.submit(f"/cases/{made.case_id}/close", {
        "reason": "moved_to_other_la", "la_name": "Invented County Council", "acknowledged": "no",
    })

    assert response.headers["location"] == f"/cases/{made.case_id}?success=outcome_recorded"
    assert (await stored(app, made.case_id)).status is Status.OUTCOME_RECORDED
    assert "case.outcome_recorded" in await audit_actions(app, team.officer.user_id, made.case_id)


async def test_a_duplicate_is_closed_against_the_other_cases_reference(
    app: FastAPI, team: Team, browser_for: Any
) -> None:
    school = school_name()
    original = await make_case(app, school, officer_id=team.officer.user_id)
    duplicate = await make_case(app, school, officer_id=team.officer.user_id)
    browser = await browser_for(team.officer)

    unknown = await browser.submit(f"/cases/{duplicate.case_id}/close",
                                   {"reason": "duplicate", "duplicate_reference": "CME-00000000"})
    assert unknown.status_code == 400
    assert error_links(parse(unknown)) == ["#duplicate_reference"]

    response = await browser.submit(f"/cases/{duplicate.case_id}/close",
                                    {"reason": "duplicate", "duplicate_reference": reference_for(original.case_id)})
    assert response.status_code == 303
    outcome = (await stored(app, duplicate.case_id)).outcome
    assert outcome is not None and outcome.details.duplicate_of == original.case_id


# ---------------------------------------------------------------------- actions: validation and refusals


@pytest.mark.parametrize(
    "invalid",
    [
        ("allocate", {}, ["#officer"]),
        ("record-check", {}, ["#check", "#status", "#on-day"]),
        ("record-check", {"check": "leaver_form_or_school_discussion", "status": "done", "on-day": "31",
                          "on-month": "2", "on-year": "2026"}, ["#on-day", "#outcome", "#school_concern"]),
        ("record-check", {"check": "ehcp", "status": "not_applicable", "on-day": "1", "on-month": "1",
                          "on-year": "2999"}, ["#on-day", "#note"]),
        ("record-contact", {}, ["#method", "#result", "#when-day", "#time"]),
        ("record-contact", {"method": "letter", "result": "child_seen", "when-day": "1", "when-month": "9",
                            "when-year": "2026", "time": "25:00"}, ["#result", "#time"]),
        ("add-note", {"note": "   "}, ["#note"]),
        ("escalate", {}, ["#kind"]),
        ("escalate", {"kind": "missing_mondays", "cme_score": "7"}, ["#cme_score", "#safeguarding_score"]),
        ("liaise-with-social-worker", {}, ["#note"]),
        ("close", {}, ["#reason"]),
        ("close", {"reason": "moved_to_other_la", "la_code": "12"}, ["#la_code", "#acknowledged"]),
        ("close", {"reason": "registered_into_provision"}, ["#school_id"]),
        ("close", {"reason": "other"}, ["#details"]),
    ],
)
async def test_a_form_with_errors_is_shown_again_with_an_error_summary_linked_to_the_fields(
    app: FastAPI, team: Team, browser_for: Any, invalid: tuple[str, dict[str, str], list[str]]
) -> None:
    path, fields, expected_links = invalid
    flags = CaseFlags(open_to_social_care=True)
    made = await make_case(app, school_name(), officer_id=team.officer.user_id, flags=flags)
    person = {"allocate": team.manager, "escalate": team.lead}.get(path, team.officer)
    browser = await browser_for(person)
    before = await stored(app, made.case_id)

    response = await browser.submit(f"/cases/{made.case_id}/{path}", fields)

    assert response.status_code == 400
    page = parse(response)
    assert error_links(page) == expected_links
    for link in expected_links:
        by_id(page, link.removeprefix("#"))
    assert (await stored(app, made.case_id)).version == before.version
    title = page.find(".//title")
    assert title is not None and (title.text or "").startswith("Error: ")


async def test_escalating_to_missing_mondays_with_checks_outstanding_is_refused_with_the_reasons(
    app: FastAPI, team: Team, browser_for: Any
) -> None:
    made = await make_case(app, school_name(), officer_id=team.officer.user_id, work=["contact"])
    browser = await browser_for(team.lead)

    _, form = await browser.get(f"/cases/{made.case_id}/escalate")
    assert "Outstanding: Leaver form or discussion with school" in text_of(by_id(form, "missing-mondays-problems"))
    response = await browser.submit(f"/cases/{made.case_id}/escalate",
                                    {"kind": "missing_mondays", "cme_score": "3", "safeguarding_score": "3"})

    assert response.status_code == 400
    page = parse(response)
    assert error_links(page) == ["#kind"]
    assert "checks outstanding" in text_of(page.find(".//*[@class='govuk-error-summary']"))  # type: ignore[arg-type]
    assert not (await stored(app, made.case_id)).escalations


async def test_a_change_made_meanwhile_by_someone_else_is_not_overwritten(
    app: FastAPI, team: Team, browser_for: Any
) -> None:
    made = await make_case(app, school_name(), officer_id=team.officer.user_id)
    officer, teammate = await browser_for(team.officer), await browser_for(team.teammate)
    _, form = await officer.get(f"/cases/{made.case_id}/add-note")
    seen_version = field_value(form, "version")
    assert (await teammate.submit(f"/cases/{made.case_id}/add-note", {"note": "First"})).status_code == 303

    late = await officer.client.post(f"/cases/{made.case_id}/add-note", data={
        "csrf_token": field_value(form, "csrf_token"), "version": seen_version, "note": "Second",
    })

    assert late.status_code == 409
    page = parse(late)
    assert "Someone else changed this case. Reload it and try again" in text_of(page)
    assert field_value(page, "version") != seen_version, "the form now carries the current version"
    assert [note.text for note in (await stored(app, made.case_id)).notes] == ["First"]


async def test_actions_outside_a_role_are_refused(app: FastAPI, team: Team, browser_for: Any) -> None:
    made = await make_case(app, school_name(), officer_id=team.officer.user_id)
    browser = await browser_for(team.officer)
    assert (await browser.client.get(f"/cases/{made.case_id}/allocate")).status_code == 403
    assert (await browser.client.get(f"/cases/{made.case_id}/escalate")).status_code == 403
    _, page = await browser.get(f"/cases/{made.case_id}")
    refused = await browser.client.post(f"/cases/{made.case_id}/allocate", data={
        "csrf_token": field_value(page, "csrf_token"), "officer": team.officer.user_id,
    })
    assert refused.status_code == 403
    assert (await stored(app, made.case_id)).officer_id == team.officer.user_id


# ---------------------------------------------------------------------- demo data


async def test_seed_demo_adds_users_and_cases_across_every_status_once(app: FastAPI, migrated: Infrastructure) -> None:
    environment = {**os.environ, "DATABASE_URL": migrated.database_url,
                   "KAFKA_BOOTSTRAP_SERVERS": migrated.kafka_bootstrap_servers}
    command = [sys.executable, "-m", "services.casework", "seed-demo", "--password", "demo password 1"]
    runs = [
        await asyncio.to_thread(subprocess.run, command, cwd=ROOT, env=environment, capture_output=True, text=True,
                                timeout=300, check=False)
        for _ in range(2)
    ]

    for run in runs:
        assert run.returncode == 0, run.stderr
        assert "officer@demo.cme.invalid" in run.stdout and "demo password 1" in run.stdout
    assert "0 user(s) and 0 case(s) added" in runs[1].stdout
    async with sessions_of(app)() as session:
        query = select(cases.c.status, cases.c.priority, cases.c.track).where(
            cases.c.case_id.in_([UUID(demo_id("case", number)) for number in range(CASE_COUNT)]))
        seeded = (await session.execute(query)).all()
        roles = (await session.execute(
            select(users.c.roles).where(users.c.user_id.in_([user.user_id for user in DEMO_USERS])))).scalars().all()
    assert len(seeded) == CASE_COUNT
    assert {row.status for row in seeded} == {status.value for status in Status if status is not Status.REFERRED}
    assert {row.priority for row in seeded} == {priority.value for priority in Priority}
    assert {row.track for row in seeded} == {track.value for track in Track}
    assert sorted(role for granted in roles for role in granted) == sorted(
        [role.value for role in Role] + [Role.CME_OFFICER.value])
    demo_officer = Person(DEMO_USERS[0].user_id, DEMO_USERS[0].email, DEMO_USERS[0].display_name)
    browser = await Browser.signed_in(app, demo_officer, "demo password 1")
    response, page = await browser.get("/")
    assert response.status_code == 200 and case_links(page, "my-cases")
    await browser.client.aclose()
