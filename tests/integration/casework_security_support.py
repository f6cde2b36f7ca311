"""Helpers for the casework security tests: the casework app in-process on real PostgreSQL (consumers off), users
in every role, sessions, cases and the anti-forgery tokens in pages."""

import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import html5lib
import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.casework.adapters.accounts import Accounts
from services.casework.adapters.repository import CaseRepository
from services.casework.app import create_app
from services.casework.domain.access import Role
from services.casework.domain.case import Case
from services.casework.domain.records import CaseFlags, ChildSummary
from services.casework.domain.vocabulary import Priority, Track
from services.casework.settings import CaseworkSettings
from tests.support.infrastructure import Infrastructure

BASE_URL = "https://casework.test"
PASSWORD = "correct horse battery staple"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def casework_settings(infra: Infrastructure, **overrides: Any) -> CaseworkSettings:
    return CaseworkSettings(
        start_consumers=False,
        DATABASE_URL=infra.database_url,
        KAFKA_BOOTSTRAP_SERVERS=infra.kafka_bootstrap_servers,
        **overrides,
    )


@asynccontextmanager
async def running_app(settings: CaseworkSettings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def session_factory(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = app.state.runtime.session_factory
    return factory


def client_for(app: FastAPI, address: str | None = None) -> httpx.AsyncClient:
    """A browser-like client over HTTPS (so Secure cookies come back), from its own address: sign-in throttling
    counts per client, and tests must not throttle each other."""
    address = address or f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    return httpx.AsyncClient(transport=httpx.ASGITransport(app, client=(address, 40000)), base_url=BASE_URL,
                             follow_redirects=False)


@dataclass(frozen=True)
class AppUser:
    user_id: str
    email: str
    roles: tuple[Role, ...]
    team_id: str | None


async def add_user(app: FastAPI, *roles: Role, team_id: str | None = None, password: str | None = PASSWORD
                   ) -> AppUser:
    suffix = uuid4().hex[:10]
    user = AppUser(f"sec-{suffix}", f"sec-{suffix}@example.invalid", roles, team_id)
    async with session_factory(app).begin() as session:
        await Accounts().add_user(session, user_id=user.user_id, email=user.email, display_name=f"Tester {suffix}",
                                  initials="TT", roles=roles, team_id=team_id, password=password)
    return user


async def start_session(app: FastAPI, user: AppUser) -> tuple[str, str]:
    """A session made directly in the database (no argon2 on every test request): (cookie token, CSRF token)."""
    accounts = Accounts()
    async with session_factory(app).begin() as session:
        found = await accounts.get(session, user.user_id)
        assert found is not None
        return await accounts.start_session(session, found)


def csrf_in(html: str) -> str:
    match = _CSRF_FIELD.search(html)
    assert match, "the page has no form with an anti-forgery token"
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    page = await client.get("/sign-in")
    return await client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": csrf_in(page.text), "next": "/"}
    )


async def add_case(app: FastAPI, officer_id: str | None) -> str:
    """An open case for a made-up child, allocated to `officer_id` (or unallocated)."""
    now = datetime.now(UTC)
    case = Case.open(
        case_id=str(uuid4()),
        child_id=str(uuid4()),
        referral_id=str(uuid4()),
        priority=Priority.P2,
        track=Track.CME_ENQUIRY,
        due_date=date(2030, 1, 31),
        opened_at=now,
        child_summary=ChildSummary(given_name="Zephyrine", family_name="Quillfeather",
                                   date_of_birth=date(2015, 5, 1), upn=None, school_name="Example Primary",
                                   school_id="9999999", postcode=None),
        flags=CaseFlags(),
    )
    if officer_id is not None:
        case.allocate(officer_id, "sec-engagement-manager", now)
    case.events.clear()
    async with session_factory(app).begin() as session:
        await CaseRepository().add(session, case)
    return case.case_id


def assert_well_formed(html: str) -> None:
    """html5lib's strict mode raises on any parse error."""
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)
