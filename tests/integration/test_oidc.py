"""Sign-in with OpenID Connect (authorization code + PKCE) against a real, tiny identity provider on a loopback port:
accounts come from the ID token's claims, roles from its roles claim only, and a token that fails any check is
refused."""

import json
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from services.casework.adapters.accounts import identity_user_id
from services.casework.domain.access import Role
from tests.integration.casework_security_support import (
    add_user,
    assert_well_formed,
    casework_settings,
    client_for,
    running_app,
)
from tests.support.infrastructure import Infrastructure
from tests.support.oidc_provider import OidcProvider, running_provider
from tests.support.suite import free_port

pytestmark = pytest.mark.integration

SESSION_COOKIE = "__Host-cme-session"
REDIRECT_URI = "https://casework.test/sign-in/oidc/callback"
# Entra ID app roles are named by the council; the role map turns them into this service's roles.
ROLE_MAP = {"CME.LeadOfficer": Role.LEAD_OFFICER, "CME.Officer": Role.CME_OFFICER}


@pytest.fixture(scope="module")
async def provider() -> AsyncIterator[OidcProvider]:
    async with running_provider("casework-tests", "a-client-secret", REDIRECT_URI) as running:
        yield running


@pytest.fixture(scope="module")
async def app(migrated: Infrastructure, provider: OidcProvider) -> AsyncIterator[FastAPI]:
    settings = casework_settings(
        migrated,
        oidc_issuer=provider.issuer,
        oidc_client_id=provider.client_id,
        oidc_client_secret=provider.client_secret,
        oidc_redirect_url=REDIRECT_URI,
        oidc_role_map=ROLE_MAP,
        oidc_team_claim="team",
    )
    async with running_app(settings) as running:
        yield running


@pytest.fixture
async def casework_db(migrated: Infrastructure) -> AsyncIterator[asyncpg.Connection]:
    dsn = migrated.service_database_url("casework").replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn, server_settings={"search_path": "casework"})
    try:
        yield connection
    finally:
        await connection.close()


def person(provider: OidcProvider, *roles: str, email: str | None = None, team: str = "north") -> tuple[str, str]:
    """Someone signs in at the provider next; returns their subject and email address."""
    subject = f"subject-{uuid4().hex}"
    email = email or f"{subject}@council.example"
    provider.sign_in_as(subject=subject, email=email, name="Ada Example", roles=list(roles), team=team)
    return subject, email


async def through_provider(client: httpx.AsyncClient, next_path: str = "/") -> httpx.Response:
    """Start at /sign-in/oidc, let the browser visit the provider, and come back to the callback."""
    start = await client.get("/sign-in/oidc", params={"next": next_path})
    assert start.status_code == 303
    async with httpx.AsyncClient() as browser:
        at_provider = await browser.get(start.headers["location"])
    assert at_provider.status_code == 302, at_provider.text
    return await client.get(at_provider.headers["location"])


async def test_an_officer_signs_in_with_their_council_account(app: FastAPI, provider: OidcProvider,
                                                              casework_db: asyncpg.Connection) -> None:
    subject, email = person(provider, "CME.LeadOfficer")
    async with client_for(app) as client:
        start = await client.get("/sign-in/oidc", params={"next": "/audit"})
        query = parse_qs(urlsplit(start.headers["location"]).query)
        assert query["code_challenge_method"] == ["S256"]
        assert query["client_id"] == [provider.client_id]
        assert query["redirect_uri"] == [REDIRECT_URI]
        assert {"state", "nonce", "code_challenge"} <= set(query)
        async with httpx.AsyncClient() as browser:
            callback = await client.get((await browser.get(start.headers["location"])).headers["location"])
        assert callback.status_code == 303
        assert callback.headers["location"] == "/audit"
        assert SESSION_COOKIE in client.cookies
        assert (await client.get("/audit")).status_code == 200
    user_id = identity_user_id(provider.issuer, subject)
    row = await casework_db.fetchrow("SELECT * FROM users WHERE user_id = $1", user_id)
    assert row["email"] == email
    assert row["password_hash"] is None
    assert json.loads(row["roles"]) == ["lead_officer"]
    assert row["team_id"] == "north"
    assert (row["identity_issuer"], row["identity_subject"]) == (provider.issuer, subject)
    assert await casework_db.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'auth.signed_in' AND actor_id = $1", user_id) == 1


async def test_the_providers_keys_are_fetched_once_and_kept(app: FastAPI, provider: OidcProvider) -> None:
    fetched_after = []
    for _ in range(2):
        person(provider, "CME.Officer")
        async with client_for(app) as client:
            assert (await through_provider(client)).status_code == 303
        fetched_after.append(provider.key_set_requests)
    assert fetched_after[0] >= 1
    assert fetched_after[1] == fetched_after[0]


async def test_the_sign_in_page_offers_the_council_account(app: FastAPI) -> None:
    async with client_for(app) as client:
        page = await client.get("/sign-in")
    assert 'href="/sign-in/oidc"' in page.text


async def test_roles_come_from_the_claim_at_every_sign_in(app: FastAPI, provider: OidcProvider,
                                                          casework_db: asyncpg.Connection) -> None:
    subject, email = person(provider, "CME.LeadOfficer", "Not.Ours")
    async with client_for(app) as client:
        assert (await through_provider(client)).status_code == 303
        assert (await client.get("/audit")).status_code == 200
    provider.sign_in_as(subject=subject, email=email, name="Ada Example", roles=["CME.Officer"], team="south")
    async with client_for(app) as client:
        assert (await through_provider(client)).status_code == 303
        assert (await client.get("/audit")).status_code == 403
    row = await casework_db.fetchrow("SELECT roles, team_id FROM users WHERE user_id = $1",
                                     identity_user_id(provider.issuer, subject))
    assert (json.loads(row["roles"]), row["team_id"]) == (["cme_officer"], "south")


async def test_someone_with_no_role_for_this_service_is_refused(app: FastAPI, provider: OidcProvider,
                                                               casework_db: asyncpg.Connection) -> None:
    subject, _ = person(provider, "Payroll.Clerk")
    async with client_for(app) as client:
        response = await through_provider(client)
    assert response.status_code == 403
    assert_well_formed(response.text)
    assert "You do not have access to this service" in response.text
    assert "Ask your manager to give you a role for this service" in response.text
    assert SESSION_COOKIE not in response.cookies
    assert await casework_db.fetchval("SELECT count(*) FROM users WHERE identity_subject = $1", subject) == 0


async def test_losing_every_role_at_the_provider_ends_the_users_sessions(app: FastAPI, provider: OidcProvider,
                                                                         casework_db: asyncpg.Connection) -> None:
    subject, email = person(provider, "CME.LeadOfficer")
    async with client_for(app) as desk, client_for(app) as laptop:
        assert (await through_provider(desk)).status_code == 303
        assert (await desk.get("/audit")).status_code == 200
        provider.sign_in_as(subject=subject, email=email, name="Ada Example", roles=[])
        assert (await through_provider(laptop)).status_code == 403
        assert (await desk.get("/audit")).status_code == 303
    user_id = identity_user_id(provider.issuer, subject)
    assert await casework_db.fetchval("SELECT count(*) FROM sessions WHERE user_id = $1", user_id) == 0
    assert json.loads(await casework_db.fetchval("SELECT roles FROM users WHERE user_id = $1", user_id)) == []


@pytest.mark.parametrize(
    "tampering",
    [
        {"aud": "another-service"},
        {"iss": "https://impostor.example"},
        {"exp": 1_000_000_000},
        {"nonce": "a-nonce-from-another-sign-in"},
        {"unknown_key": True},
        {"forged": True},
    ],
    ids=["audience", "issuer", "expired", "nonce", "unknown-key", "forged-signature"],
)
async def test_an_id_token_that_fails_a_check_is_refused(app: FastAPI, provider: OidcProvider,
                                                         casework_db: asyncpg.Connection,
                                                         tampering: dict[str, object]) -> None:
    subject, _ = person(provider, "CME.LeadOfficer")
    provider.tamper(**tampering)  # type: ignore[arg-type]
    async with client_for(app) as client:
        response = await through_provider(client)
    assert response.status_code == 400
    assert "You were not signed in" in response.text
    assert SESSION_COOKIE not in response.cookies
    assert await casework_db.fetchval("SELECT count(*) FROM users WHERE identity_subject = $1", subject) == 0


async def test_the_callback_needs_the_browsers_own_state_and_works_once(app: FastAPI, provider: OidcProvider) -> None:
    person(provider, "CME.LeadOfficer")
    async with client_for(app) as victim, client_for(app) as attacker:
        start = await attacker.get("/sign-in/oidc")
        async with httpx.AsyncClient() as browser:
            callback = (await browser.get(start.headers["location"])).headers["location"]
        # An attacker's code and state, pushed to someone else's browser, do not sign them in (login CSRF).
        pushed = await victim.get(callback)
        assert pushed.status_code == 400
        assert "Your sign-in has expired" in pushed.text
        requests_before = provider.token_requests
        assert (await attacker.get(callback)).status_code == 303
        attacker.cookies.delete(SESSION_COOKIE)
        # The state is spent: replaying the callback does not reach the provider again.
        replayed = await attacker.get(callback)
    assert replayed.status_code == 400
    assert provider.token_requests == requests_before + 1


async def test_an_email_address_already_in_use_is_refused(app: FastAPI, provider: OidcProvider) -> None:
    local = await add_user(app, Role.CME_OFFICER)
    person(provider, "CME.Officer", email=local.email)
    async with client_for(app) as client:
        response = await through_provider(client)
    assert response.status_code == 409
    assert "Another account in this service already uses your email address" in response.text


async def test_an_unreachable_provider_gets_a_clear_page(migrated: Infrastructure) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    settings = casework_settings(migrated, oidc_issuer=closed, oidc_client_id="casework",
                                 oidc_redirect_url=REDIRECT_URI)
    async with running_app(settings) as app, client_for(app) as client:
        response = await client.get("/sign-in/oidc")
    assert response.status_code == 502
    assert_well_formed(response.text)
    assert "Sign-in with your council account is not working" in response.text
