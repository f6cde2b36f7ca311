"""Issue 4, item 3: sessions, anti-forgery tokens, sign-in throttling, redirects, headers, switched-off accounts
and the JSON API's tokens, against the casework app on a real PostgreSQL."""

import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from uuid import uuid4

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.casework.adapters.accounts import account_key
from services.casework.app import create_app
from services.casework.domain.access import Role
from services.casework.entrypoints.web.auth_routes import safe_next
from tests.integration.casework_security_support import (
    PASSWORD,
    AppUser,
    add_case,
    add_user,
    assert_well_formed,
    casework_settings,
    client_for,
    csrf_in,
    running_app,
    sign_in,
    start_session,
)
from tests.support.infrastructure import Infrastructure

pytestmark = pytest.mark.integration

SESSION_COOKIE = "__Host-cme-session"
PRE_SESSION_COOKIE = "__Host-cme-csrf"
TOKENS = {role: f"token-{role.value}-{uuid4().hex}" for role in Role}
API_USERS = {role: f"sec-api-{role.value}-{uuid4().hex[:8]}" for role in Role}


@pytest.fixture(scope="module")
async def app(migrated: Infrastructure) -> AsyncIterator[FastAPI]:
    tokens = {TOKENS[role]: API_USERS[role] for role in Role}
    tokens["token-for-a-missing-user"] = "sec-nobody"
    async with running_app(casework_settings(migrated, api_tokens=tokens)) as running:
        yield running


@pytest.fixture
async def casework_db(migrated: Infrastructure) -> AsyncIterator[asyncpg.Connection]:
    dsn = migrated.service_database_url("casework").replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn, server_settings={"search_path": "casework"})
    try:
        yield connection
    finally:
        await connection.close()


def set_cookie_headers(response: httpx.Response, name: str) -> list[str]:
    return [value for value in response.headers.get_list("set-cookie") if value.startswith(f"{name}=")]


@asynccontextmanager
async def signed_in(app: FastAPI, *roles: Role) -> AsyncIterator[tuple[httpx.AsyncClient, AppUser]]:
    user = await add_user(app, *roles)
    async with client_for(app) as client:
        response = await sign_in(client, user.email)
        assert response.status_code == 303, response.text
        yield client, user


# ------------------------------------------------------------------ cookies and sessions


async def test_the_session_cookie_is_secure_http_only_same_site_and_host_only(app: FastAPI) -> None:
    user = await add_user(app, Role.LEAD_OFFICER)
    async with client_for(app) as client:
        page = await client.get("/sign-in")
        [pre_session] = set_cookie_headers(page, PRE_SESSION_COOKIE)
        response = await client.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                                        "csrf_token": csrf_in(page.text)})
    assert response.status_code == 303
    [session_cookie] = set_cookie_headers(response, SESSION_COOKIE)
    for cookie in (session_cookie, pre_session):
        attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
        assert "secure" in attributes
        assert "httponly" in attributes
        assert "path=/" in attributes
        assert not any(attribute.startswith("domain=") for attribute in attributes)
    assert "samesite=lax" in session_cookie.lower()
    assert "samesite=strict" in pre_session.lower()
    assert "max-age=28800" in session_cookie.lower()


async def test_signing_in_issues_a_new_session_and_ends_the_one_the_browser_had(app: FastAPI) -> None:
    async with signed_in(app, Role.LEAD_OFFICER) as (client, user):
        first = client.cookies[SESSION_COOKIE]
        second_sign_in = await client.post("/sign-in", data={
            "email": user.email, "password": PASSWORD, "csrf_token": csrf_in((await client.get("/audit")).text)})
        assert second_sign_in.status_code == 303
        second = client.cookies[SESSION_COOKIE]
        assert second != first
        assert (await client.get("/audit")).status_code == 200
    async with client_for(app) as stale:
        stale.cookies.set(SESSION_COOKIE, first)
        refused = await stale.get("/audit")
    assert refused.status_code == 303
    assert refused.headers["location"] == "/sign-in?next=/audit"


async def test_signing_out_ends_the_session_on_the_server(app: FastAPI) -> None:
    async with signed_in(app, Role.LEAD_OFFICER) as (client, _):
        token = client.cookies[SESSION_COOKIE]
        response = await client.post("/sign-out", data={"csrf_token": csrf_in((await client.get("/audit")).text)})
        assert response.status_code == 303
    async with client_for(app) as replay:
        replay.cookies.set(SESSION_COOKIE, token)
        assert (await replay.get("/audit")).status_code == 303


async def test_a_session_idle_for_longer_than_the_idle_timeout_ends(app: FastAPI, casework_db: asyncpg.Connection
                                                                    ) -> None:
    async with signed_in(app, Role.LEAD_OFFICER) as (client, user):
        assert (await client.get("/audit")).status_code == 200
        await casework_db.execute(
            "UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE user_id = $1", user.user_id)
        response = await client.get("/audit")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")
    assert await casework_db.fetchval("SELECT count(*) FROM sessions WHERE user_id = $1", user.user_id) == 0


async def test_a_session_older_than_the_absolute_timeout_ends_even_when_in_use(
    app: FastAPI, casework_db: asyncpg.Connection
) -> None:
    async with signed_in(app, Role.LEAD_OFFICER) as (client, user):
        await casework_db.execute(
            "UPDATE sessions SET created_at = now() - interval '8 hours 1 minute', last_seen_at = now() "
            "WHERE user_id = $1", user.user_id)
        response = await client.get("/audit")
    assert response.status_code == 303
    assert await casework_db.fetchval("SELECT count(*) FROM sessions WHERE user_id = $1", user.user_id) == 0


async def test_a_session_inside_both_timeouts_carries_on(app: FastAPI, casework_db: asyncpg.Connection) -> None:
    async with signed_in(app, Role.LEAD_OFFICER) as (client, user):
        await casework_db.execute(
            "UPDATE sessions SET created_at = now() - interval '7 hours 50 minutes', "
            "last_seen_at = now() - interval '29 minutes' WHERE user_id = $1", user.user_id)
        assert (await client.get("/audit")).status_code == 200
        # Using the session moved its idle clock on.
        idle = await casework_db.fetchval("SELECT now() - last_seen_at FROM sessions WHERE user_id = $1",
                                          user.user_id)
    assert idle < timedelta(minutes=1)


# ------------------------------------------------------------------ anti-forgery tokens


async def test_a_form_without_the_sessions_token_or_with_a_wrong_one_is_refused(app: FastAPI) -> None:
    async with signed_in(app, Role.LEAD_OFFICER) as (client, _):
        token = csrf_in((await client.get("/audit")).text)
        missing = await client.post("/sign-out", data={})
        wrong = await client.post("/sign-out", data={"csrf_token": token[:-2] + "xx"})
        cross_site = await client.post("/sign-out", data={"csrf_token": token},
                                       headers={"Sec-Fetch-Site": "cross-site"})
        assert [missing.status_code, wrong.status_code, cross_site.status_code] == [403, 403, 403]
        assert "Your form has expired" in missing.text
        # None of the refused forms signed the officer out.
        assert (await client.get("/audit")).status_code == 200
        assert (await client.post("/sign-out", data={"csrf_token": token})).status_code == 303


async def test_the_sign_in_form_is_refused_without_its_pre_session_token(app: FastAPI) -> None:
    user = await add_user(app, Role.LEAD_OFFICER)
    async with client_for(app) as client:
        page = await client.get("/sign-in")
        token = csrf_in(page.text)
        assert client.cookies[PRE_SESSION_COOKIE] == token
        wrong = await client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": "x"})
        client.cookies.delete(PRE_SESSION_COOKIE)
        no_cookie = await client.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                                        "csrf_token": token})
    assert wrong.status_code == 403
    assert no_cookie.status_code == 403
    assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")


# ------------------------------------------------------------------ throttling


async def wrong_password(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await sign_in(client, email, "not the password")


async def test_sign_in_is_refused_after_five_failures_even_with_the_right_password(app: FastAPI) -> None:
    user = await add_user(app, Role.CME_OFFICER)
    async with client_for(app) as client:
        failures = [await wrong_password(client, user.email) for _ in range(5)]
        assert [response.status_code for response in failures] == [400] * 5
        refused = await sign_in(client, user.email)
    assert refused.status_code == 429
    assert "Too many failed attempts. Wait 15 minutes, then try again" in refused.text
    assert_well_formed(refused.text)
    assert SESSION_COOKIE not in refused.cookies


async def test_failures_from_another_client_do_not_lock_the_officer_out(app: FastAPI) -> None:
    user = await add_user(app, Role.CME_OFFICER)
    async with client_for(app) as attacker:
        for _ in range(6):
            await wrong_password(attacker, user.email)
        assert (await sign_in(attacker, user.email)).status_code == 429
    async with client_for(app) as officer:
        assert (await sign_in(officer, user.email)).status_code == 303


async def test_throttling_lasts_only_for_the_window(app: FastAPI, casework_db: asyncpg.Connection) -> None:
    user = await add_user(app, Role.CME_OFFICER)
    async with client_for(app) as client:
        for _ in range(5):
            await wrong_password(client, user.email)
        assert (await sign_in(client, user.email)).status_code == 429
        # Refused attempts are not counted, so the lock ends 15 minutes after the last failure.
        assert await casework_db.fetchval(
            "SELECT count(*) FROM sign_in_attempts WHERE account_key = $1", account_key(user.email)) == 5
        await casework_db.execute("UPDATE sign_in_attempts SET at = at - interval '16 minutes' "
                                  "WHERE account_key = $1", account_key(user.email))
        assert (await sign_in(client, user.email)).status_code == 303


async def test_a_successful_sign_in_clears_the_count_for_that_client(app: FastAPI) -> None:
    user = await add_user(app, Role.CME_OFFICER)
    async with client_for(app) as client:
        for _ in range(4):
            await wrong_password(client, user.email)
        assert (await sign_in(client, user.email)).status_code == 303
        client.cookies.delete(SESSION_COOKIE)
        for _ in range(4):
            await wrong_password(client, user.email)
        assert (await sign_in(client, user.email)).status_code == 303


async def test_one_client_trying_many_accounts_is_throttled(app: FastAPI) -> None:
    victims = [await add_user(app, Role.CME_OFFICER) for _ in range(5)]
    async with client_for(app) as client:
        for victim in victims:
            for _ in range(4):
                await wrong_password(client, victim.email)
        assert (await sign_in(client, victims[0].email)).status_code == 429


# ------------------------------------------------------------------ redirects and headers


@pytest.mark.parametrize(
    ("asked", "allowed"),
    [
        ("/audit?record_id=abc", "/audit?record_id=abc"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/\tevil", "/"),
        ("", "/"),
    ],
)
def test_only_same_site_paths_are_followed_after_sign_in(asked: str, allowed: str) -> None:
    assert safe_next(asked) == allowed


async def test_sign_in_never_redirects_to_another_site(app: FastAPI) -> None:
    user = await add_user(app, Role.LEAD_OFFICER)
    async with client_for(app) as client:
        page = await client.get("/sign-in", params={"next": "//evil.example/steal"})
        assert 'name="next" value="/"' in page.text
        response = await client.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                                        "csrf_token": csrf_in(page.text),
                                                        "next": "https://evil.example/steal"})
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_sign_in_returns_to_the_page_asked_for(app: FastAPI) -> None:
    user = await add_user(app, Role.LEAD_OFFICER)
    async with client_for(app) as client:
        redirected = await client.get("/audit", params={"record_id": "abc"})
        assert redirected.headers["location"] == "/sign-in?next=/audit%3Frecord_id%3Dabc"
        page = await client.get(redirected.headers["location"])
        response = await client.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                                        "csrf_token": csrf_in(page.text),
                                                        "next": "/audit?record_id=abc"})
    assert response.headers["location"] == "/audit?record_id=abc"


async def test_every_page_carries_the_security_headers_and_a_fresh_script_nonce(app: FastAPI) -> None:
    async with signed_in(app, Role.LEAD_OFFICER) as (client, _):
        pages = [await client.get("/audit"), await client.get("/audit")]
        asset = await client.get("/static/app.css")
    nonces = []
    for page in pages:
        headers = page.headers
        policy = headers["content-security-policy"]
        nonce = re.search(r"'nonce-([^']+)'", policy)
        assert nonce
        nonces.append(nonce.group(1))
        for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                          "form-action 'self'", "style-src 'self'"):
            assert directive in policy
        assert "unsafe-inline" not in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"
        assert headers["strict-transport-security"].startswith("max-age=31536000")
        # GOV.UK Frontend's one inline script (it marks the body js-enabled) runs under the nonce; nothing else
        # is inline, and no element carries a style attribute the policy would block.
        inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page.text)
        assert inline_scripts == [f' nonce="{nonce.group(1)}"']
        assert not re.search(r"<[^>]+\sstyle=", page.text)
    assert nonces[0] != nonces[1]
    assert asset.status_code == 200
    assert "no-store" not in asset.headers.get("cache-control", "")


async def test_search_terms_in_query_strings_stay_out_of_traces(migrated: Infrastructure) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(casework_settings(migrated), tracer_provider=provider)
    async with app.router.lifespan_context(app):
        user = await add_user(app, Role.LEAD_OFFICER)
        client = client_for(app)
        async with client:
            assert (await sign_in(client, user.email)).status_code == 303
            assert (await client.get("/audit", params={"record_id": "Quillfeather"})).status_code == 200
    server_spans = [span for span in exporter.get_finished_spans() if span.attributes
                    and str(span.attributes.get("http.target", "")).startswith("/audit")]
    assert server_spans
    for span in server_spans:
        assert "Quillfeather" not in json.dumps(dict(span.attributes or {}))


# ------------------------------------------------------------------ switching accounts off


async def test_switching_an_account_off_ends_all_its_sessions(app: FastAPI, casework_db: asyncpg.Connection) -> None:
    officer = await add_user(app, Role.LEAD_OFFICER)
    async with client_for(app) as laptop, client_for(app) as phone:
        for client in (laptop, phone):
            assert (await sign_in(client, officer.email)).status_code == 303
        async with signed_in(app, Role.ADMINISTRATOR) as (admin_client, _):
            page = await admin_client.get(f"/users/{officer.user_id}")
            response = await admin_client.post(f"/users/{officer.user_id}/deactivate",
                                               data={"csrf_token": csrf_in(page.text)})
            assert response.status_code == 303
        assert await casework_db.fetchval("SELECT count(*) FROM sessions WHERE user_id = $1", officer.user_id) == 0
        for client in (laptop, phone):
            assert (await client.get("/audit")).status_code == 303
    async with client_for(app) as again:
        assert (await sign_in(again, officer.email)).status_code == 400


async def test_the_deactivate_user_command_ends_all_sessions(migrated: Infrastructure, app: FastAPI,
                                                            casework_db: asyncpg.Connection) -> None:
    officer = await add_user(app, Role.CME_OFFICER)
    await start_session(app, officer)
    await start_session(app, officer)
    env = {**os.environ, "DATABASE_URL": migrated.database_url,
           "KAFKA_BOOTSTRAP_SERVERS": migrated.kafka_bootstrap_servers}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.casework", "deactivate-user", officer.user_id, env=env,
        stdout=asyncio.subprocess.PIPE)
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0
    assert json.loads(stdout)["deactivated"] is True
    assert await casework_db.fetchval("SELECT count(*) FROM sessions WHERE user_id = $1", officer.user_id) == 0
    assert await casework_db.fetchval("SELECT active FROM users WHERE user_id = $1", officer.user_id) is False


async def test_a_role_taken_away_applies_to_the_users_next_request(app: FastAPI) -> None:
    async with signed_in(app, Role.LEAD_OFFICER) as (officer_client, officer), \
            signed_in(app, Role.ADMINISTRATOR) as (admin_client, admin):
        assert (await officer_client.get("/audit")).status_code == 200
        page = await admin_client.get(f"/users/{officer.user_id}")
        saved = await admin_client.post(f"/users/{officer.user_id}/roles",
                                        data={"csrf_token": csrf_in(page.text), "roles": ["cme_officer"]})
        assert saved.status_code == 303
        assert (await officer_client.get("/audit")).status_code == 403
        # Nor can administrators give themselves roles (such as one that sees children's records).
        own = await admin_client.get(f"/users/{admin.user_id}")
        refused = await admin_client.post(f"/users/{admin.user_id}/roles",
                                          data={"csrf_token": csrf_in(own.text), "roles": ["lead_officer"]})
        assert refused.status_code == 400
        assert "You cannot change your own roles" in refused.text
        assert_well_formed(refused.text)


async def test_an_administrator_lands_on_the_users_page(app: FastAPI) -> None:
    user = await add_user(app, Role.ADMINISTRATOR)
    async with client_for(app) as client:
        response = await sign_in(client, user.email)
        assert response.headers["location"] == "/users"
        users_page = await client.get("/users")
        own_page = await client.get(f"/users/{user.user_id}")
    assert users_page.status_code == 200
    assert user.email in users_page.text
    assert own_page.status_code == 200
    assert 'id="roles-form"' not in own_page.text
    for page in (users_page, own_page):
        assert_well_formed(page.text)


# ------------------------------------------------------------------ the JSON API


@pytest.fixture(scope="module")
async def api_users(app: FastAPI) -> dict[Role, str]:
    from services.casework.adapters.accounts import Accounts  # noqa: PLC0415

    factory = app.state.runtime.session_factory
    async with factory.begin() as session:
        for role, user_id in API_USERS.items():
            await Accounts().ensure_service_user(session, user_id, role)
    return API_USERS


def bearer(role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


async def test_the_api_refuses_unknown_tokens_and_tokens_without_an_active_user(
    app: FastAPI, api_users: dict[Role, str], casework_db: asyncpg.Connection
) -> None:
    async with client_for(app) as client:
        assert (await client.get("/api/v1/cases")).status_code == 401
        assert (await client.get("/api/v1/cases", headers={"Authorization": "Bearer nope"})).status_code == 401
        missing = await client.get("/api/v1/cases", headers={"Authorization": "Bearer token-for-a-missing-user"})
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert (await client.get("/api/v1/cases", headers=bearer(Role.GROUP_MANAGER))).status_code == 200
        assert (await client.get("/api/v1/cases", headers=bearer(Role.ADMINISTRATOR))).status_code == 403


async def test_the_api_shows_an_officer_only_their_own_and_their_teams_cases(
    app: FastAPI, api_users: dict[Role, str], casework_db: asyncpg.Connection
) -> None:
    officer_id = api_users[Role.CME_OFFICER]
    own = await add_case(app, officer_id)
    someone_elses = await add_case(app, (await add_user(app, Role.CME_OFFICER, team_id="another-team")).user_id)
    async with client_for(app) as client:
        listed = await client.get("/api/v1/cases", headers=bearer(Role.CME_OFFICER), params={"page_size": 500})
        shown = await client.get(f"/api/v1/cases/{own}", headers=bearer(Role.CME_OFFICER))
        hidden = await client.get(f"/api/v1/cases/{someone_elses}", headers=bearer(Role.CME_OFFICER))
        manager = await client.get(f"/api/v1/cases/{someone_elses}", headers=bearer(Role.GROUP_MANAGER))
    assert {case["officer_id"] for case in listed.json()["cases"]} == {officer_id}
    assert own in {case["case_id"] for case in listed.json()["cases"]}
    assert shown.status_code == 200
    assert hidden.status_code == 404
    assert manager.status_code == 200
    audit = await casework_db.fetch(
        "SELECT actor_id, action, record_id FROM audit_log WHERE record_id = ANY($1::text[]) ORDER BY seq",
        [own, someone_elses])
    entries = {(row["actor_id"], row["action"], row["record_id"]) for row in audit}
    assert (officer_id, "case.list_viewed", own) in entries
    assert (officer_id, "case.viewed", own) in entries
    assert (officer_id, "case.view_refused", someone_elses) in entries
    assert (api_users[Role.GROUP_MANAGER], "case.viewed", someone_elses) in entries


async def test_ensure_service_user_makes_a_user_a_token_can_act_as(migrated: Infrastructure,
                                                                   casework_db: asyncpg.Connection) -> None:
    user_id = f"sec-cli-{uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": migrated.database_url,
           "KAFKA_BOOTSTRAP_SERVERS": migrated.kafka_bootstrap_servers}

    async def ensure(*argv: str) -> tuple[int | None, dict[str, object]]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.casework", "ensure-service-user", *argv, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        stdout, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        return process.returncode, json.loads(stdout) if stdout else {}

    assert await ensure(user_id, "group_manager") == (0, {"user_id": user_id, "role": "group_manager",
                                                          "outcome": "created"})
    assert (await ensure(user_id, "group_manager"))[1]["outcome"] == "updated"
    row = await casework_db.fetchrow("SELECT roles, password_hash, active FROM users WHERE user_id = $1", user_id)
    assert json.loads(row["roles"]) == ["group_manager"]
    assert row["password_hash"] is None
    assert row["active"] is True
    settings = casework_settings(migrated, api_tokens={"cli-token": user_id})
    async with running_app(settings) as app, client_for(app) as client:
        response = await client.get("/api/v1/cases", headers={"Authorization": "Bearer cli-token"})
    assert response.status_code == 200


async def test_add_user_makes_a_local_account_that_can_sign_in(migrated: Infrastructure, app: FastAPI,
                                                               casework_db: asyncpg.Connection) -> None:
    user_id = f"sec-added-{uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": migrated.database_url,
           "KAFKA_BOOTSTRAP_SERVERS": migrated.kafka_bootstrap_servers, "NEW_USER_PASSWORD": PASSWORD}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.casework", "add-user", "--user-id", user_id,
        "--email", f"{user_id}@example.invalid", "--name", "Ada Added", "--role", "lead_officer",
        "--role", "senior_officer", "--team", "north", "--password-env", "NEW_USER_PASSWORD",
        env=env, stdout=asyncio.subprocess.PIPE)
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0
    report = json.loads(stdout)
    assert report == {"created": True, "user_id": user_id, "roles": ["lead_officer", "senior_officer"]}
    stored = await casework_db.fetchrow("SELECT password_hash, initials FROM users WHERE user_id = $1", user_id)
    assert stored["password_hash"].startswith("$argon2id$")
    assert stored["initials"] == "AA"
    async with client_for(app) as client:
        assert (await sign_in(client, f"{user_id}@example.invalid")).status_code == 303
    assert await casework_db.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'user.created' AND record_id = $1", user_id) == 1
