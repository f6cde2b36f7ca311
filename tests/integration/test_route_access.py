"""Issue 4 acceptance: every HTTP route of casework states who may use it, and does what it states for every role.

Each route carries an AccessRule (`endpoint.__access__`, set by GuardedRouter and by the JSON API's routes) or is
on the allow-list below, with the reason it needs no rule. For every route, every method, every role and an
anonymous visitor, a real request shows the rule holds: anonymous visitors are sent to sign in (the API answers
401), a role the rule leaves out gets 403, and a role it lets in gets anything but 401 or 403. A new route without
a rule fails `test_every_route_states_who_may_use_it`.
"""

import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from services.casework.adapters.accounts import Accounts, User
from services.casework.domain.access import Role
from services.casework.entrypoints.web.security import AccessRule, Audience, GuardedRouter
from tests.integration.casework_security_support import (
    AppUser,
    add_case,
    add_user,
    casework_settings,
    client_for,
    csrf_in,
    running_app,
    start_session,
)
from tests.support.infrastructure import Infrastructure
from tests.support.oidc_provider import OidcProvider, running_provider

pytestmark = pytest.mark.integration

# Routes that need no AccessRule, and why. Anything else without one fails the build.
ALLOW_LIST = {
    "/static": "GOV.UK Frontend and the service's own CSS and JavaScript: no data",
    "/health/live": "Kubernetes liveness probe: names the service only",
    "/health/ready": "Kubernetes readiness probe: database and Kafka up or down",
    "/metrics": "Prometheus scrape: counters and timings, no personal data in labels",
    "/openapi.json": "the JSON API's description: schemas, no data",
    "/docs": "the JSON API's description, rendered",
    "/docs/oauth2-redirect": "part of the rendered API description",
    "/redoc": "the JSON API's description, rendered",
}
# The JSON API answers to bearer tokens, not sessions: a missing token is 401, not a redirect to sign in.
API_PREFIX = "/api/"
SESSION_COOKIE = "__Host-cme-session"
TOKENS = {role: f"matrix-{role.value}-{uuid4().hex}" for role in Role}
USER_IDS = {role: f"sec-matrix-{role.value}-{uuid4().hex[:8]}" for role in Role}
REDIRECT_URI = "https://casework.test/sign-in/oidc/callback"


@dataclass(frozen=True)
class RouteUnderTest:
    path: str
    method: str
    rule: AccessRule


def classify(app: FastAPI) -> tuple[list[RouteUnderTest], list[str]]:
    """Every (path, method) with its rule, and the routes that have neither a rule nor a place on the allow-list."""
    ruled: list[RouteUnderTest] = []
    unclassified: list[str] = []
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if isinstance(route.original_route, Mount):
            if path not in ALLOW_LIST:
                unclassified.append(path)
            continue
        rule = getattr(route.endpoint, "__access__", None)
        if isinstance(rule, AccessRule):
            methods = sorted(set(route.methods or ()) - {"HEAD"})
            ruled.extend(RouteUnderTest(path, method, rule) for method in methods)
        elif path not in ALLOW_LIST:
            unclassified.append(path)
    return ruled, unclassified


@pytest.fixture(scope="module")
async def provider() -> AsyncIterator[OidcProvider]:
    async with running_provider("casework-matrix", "matrix-secret", REDIRECT_URI) as running:
        yield running


@pytest.fixture(scope="module")
async def app(migrated: Infrastructure, provider: OidcProvider) -> AsyncIterator[FastAPI]:
    settings = casework_settings(
        migrated,
        api_tokens={TOKENS[role]: USER_IDS[role] for role in Role},
        oidc_issuer=provider.issuer,
        oidc_client_id=provider.client_id,
        oidc_client_secret=provider.client_secret,
        oidc_redirect_url=REDIRECT_URI,
    )
    async with running_app(settings) as running:
        yield running


@dataclass(frozen=True)
class World:
    """One user per role (all in one team), a case allocated to the CME officer, and a user to administer."""

    users: dict[Role, AppUser]
    case_id: str
    other_user_id: str

    def path(self, template: str) -> str:
        values = {"case_id": self.case_id, "user_id": self.other_user_id,
                  # A document the case does not hold: an allowed role gets 404, never 401 or 403.
                  "document_id": "00000000-0000-4000-8000-000000000000",
                  # A referral draft, submission and match review intake does not hold (no intake runs here): an
                  # allowed role gets 404 or 503, never 401 or 403.
                  "draft_id": "00000000-0000-4000-8000-000000000001", "step": "how-received",
                  "submission_id": "officer-00000000-0000-4000-8000-000000000002",
                  "review_id": "00000000-0000-4000-8000-000000000003",
                  # A task the diary does not hold: an allowed role gets 404, never 401 or 403.
                  "task_id": "00000000-0000-4000-8000-000000000004",
                  # The Reports pages: no reporting service runs here, so an allowed role gets 503.
                  "week": "2026-11-02", "download": "pdf",
                  # A school's page: a planted school of tests/support/reporting_history.py (503 here too).
                  "school_id": "8854002"}
        names = re.findall(r"{(\w+)(?::\w+)?}", template)
        missing = [name for name in names if name not in values]
        assert not missing, f"give the route access test a value for {missing} in {template}"
        return re.sub(r"{(\w+)(?::\w+)?}", lambda match: values[match.group(1)], template)


@pytest.fixture(scope="module")
async def world(app: FastAPI) -> World:
    accounts = Accounts()
    users = {}
    async with app.state.runtime.session_factory.begin() as session:
        for role in Role:
            await accounts.add_user(session, user_id=USER_IDS[role], email=f"{USER_IDS[role]}@example.invalid",
                                    display_name=f"Matrix {role.value}", initials="MX", roles=[role],
                                    team_id="matrix-team", password=None)
            users[role] = AppUser(USER_IDS[role], f"{USER_IDS[role]}@example.invalid", (role,), "matrix-team")
    other = await add_user(app, Role.CME_OFFICER, team_id="matrix-team")
    return World(users, await add_case(app, users[Role.CME_OFFICER].user_id), other.user_id)


def as_user(rule: AccessRule, role: Role) -> bool:
    return rule.allows(User("probe", "probe@example.invalid", "Probe", "PR", frozenset({role}), "matrix-team"))


async def request_as(app: FastAPI, route: RouteUnderTest, world: World, role: Role | None) -> httpx.Response:
    """A request as a user in `role` (a fresh session each time: some routes end sessions) or as nobody."""
    path = world.path(route.path)
    async with client_for(app) as client:
        if path.startswith(API_PREFIX):
            headers = {"Authorization": f"Bearer {TOKENS[role]}"} if role else {}
            return await client.request(route.method, path, headers=headers)
        form: dict[str, str] = {}
        if role is not None:
            token, csrf = await start_session(app, world.users[role])
            client.cookies.set(SESSION_COOKIE, token)
            form["csrf_token"] = csrf
        elif route.method == "POST":
            form["csrf_token"] = csrf_in((await client.get("/sign-in")).text)
        if route.method == "POST":
            return await client.post(path, data=form)
        return await client.request(route.method, path)


def expectation_failures(route: RouteUnderTest, who: Role | None, response: httpx.Response) -> Iterable[str]:
    label = f"{route.method} {route.path} as {who.value if who else 'anonymous'}"
    status, location = response.status_code, response.headers.get("location", "")
    if route.path.startswith(API_PREFIX):
        allowed = who is not None and as_user(route.rule, who)
        if who is None and status != 401:
            yield f"{label}: expected 401, got {status}"
        elif who is not None and not allowed and status != 403:
            yield f"{label}: expected 403, got {status}"
        elif allowed and status in (401, 403):
            yield f"{label}: expected access, got {status}"
        return
    if route.rule.audience is Audience.PUBLIC:
        if status in (401, 403):
            yield f"{label}: a public route answered {status}"
        return
    if who is None:
        if status != 303 or not location.startswith("/sign-in?next="):
            yield f"{label}: expected a redirect to sign in, got {status} {location}"
        return
    if as_user(route.rule, who):
        if status in (401, 403) or location.startswith("/sign-in?next="):
            yield f"{label}: expected access, got {status} {location}"
    elif status != 403:
        yield f"{label}: expected 403, got {status}"


async def test_every_route_states_who_may_use_it(app: FastAPI) -> None:
    ruled, unclassified = classify(app)
    assert unclassified == []
    paths = {route.path for route in ruled}
    assert {"/sign-in", "/sign-out", "/sign-in/oidc", "/sign-in/oidc/callback", "/audit", "/users",
            "/api/v1/cases", "/api/v1/cases/{case_id}"} <= paths


async def test_a_route_added_without_a_rule_is_caught(app: FastAPI) -> None:
    async def throwaway() -> dict[str, str]:
        return {}

    app.add_api_route("/throwaway-without-a-rule", throwaway, methods=["GET"])
    try:
        assert classify(app)[1] == ["/throwaway-without-a-rule"]
    finally:
        app.router.routes[:] = [route for route in app.router.routes
                                if getattr(route, "path", None) != "/throwaway-without-a-rule"]
    assert classify(app)[1] == []
    # The officers' UI router will not even take a route without a rule.
    with pytest.raises(TypeError, match="access"):
        GuardedRouter(sessions=None).get("/throwaway")  # type: ignore[arg-type]


async def test_every_route_enforces_its_rule_for_every_role(app: FastAPI, world: World) -> None:
    ruled, _ = classify(app)
    failures: list[str] = []
    for route in ruled:
        for who in [None, *Role]:
            response = await request_as(app, route, world, who)
            failures.extend(expectation_failures(route, who, response))
    assert failures == []


@pytest.mark.parametrize(
    ("path", "roles"),
    [
        ("/audit", {Role.LEAD_OFFICER, Role.GROUP_MANAGER, Role.SENIOR_OFFICER}),
        ("/users", {Role.ADMINISTRATOR}),
        ("/users/{user_id}", {Role.ADMINISTRATOR}),
        ("/api/v1/cases", set(Role) - {Role.ADMINISTRATOR}),
        ("/cases/{case_id}", set(Role) - {Role.ADMINISTRATOR}),
        # The forms on a case (issue 8): closure-level changes, the team lead's and the officers' priority change,
        # and the records officers keep (family, address history, Family Front Door).
        ("/cases/{case_id}/reopen", {Role.CME_OFFICER, Role.ENGAGEMENT_MANAGER, Role.LEAD_OFFICER}),
        ("/cases/{case_id}/withdraw-outcome", {Role.CME_OFFICER, Role.ENGAGEMENT_MANAGER, Role.LEAD_OFFICER}),
        ("/cases/{case_id}/acknowledge-transfer", {Role.CME_OFFICER, Role.ENGAGEMENT_MANAGER, Role.LEAD_OFFICER}),
        ("/cases/{case_id}/change-priority", {Role.CME_OFFICER, Role.ENGAGEMENT_MANAGER}),
        ("/cases/{case_id}/link-sibling", {Role.CME_OFFICER, Role.LEAD_OFFICER}),
        ("/cases/{case_id}/record-address", {Role.CME_OFFICER, Role.LEAD_OFFICER}),
        ("/cases/{case_id}/acknowledge-ffd", {Role.CME_OFFICER, Role.LEAD_OFFICER}),
        ("/cases/{case_id}/documents/{document_id}", set(Role) - {Role.ADMINISTRATOR}),
        ("/referrals/new", {Role.CME_OFFICER, Role.ENGAGEMENT_MANAGER, Role.LEAD_OFFICER}),
        ("/referrals/{draft_id}/{step}", {Role.CME_OFFICER, Role.ENGAGEMENT_MANAGER, Role.LEAD_OFFICER}),
        ("/match-reviews", {Role.CME_OFFICER, Role.ENGAGEMENT_MANAGER}),
        ("/match-reviews/{review_id}", {Role.CME_OFFICER, Role.ENGAGEMENT_MANAGER}),
        ("/tasks", set(Role) - {Role.ADMINISTRATOR}),
        ("/tasks/team", set(Role) - {Role.ADMINISTRATOR}),
        ("/tasks/{task_id}", set(Role) - {Role.ADMINISTRATOR}),
        ("/cases/{case_id}/add-task", {Role.CME_OFFICER, Role.ENGAGEMENT_MANAGER, Role.LEAD_OFFICER}),
        # Reports (issue 10): the team lead, the lead officer and managers; not officers or administrators.
        ("/reports", {Role.ENGAGEMENT_MANAGER, Role.LEAD_OFFICER, Role.GROUP_MANAGER, Role.SENIOR_OFFICER}),
        ("/reports/{week}/{download}",
         {Role.ENGAGEMENT_MANAGER, Role.LEAD_OFFICER, Role.GROUP_MANAGER, Role.SENIOR_OFFICER}),
        ("/reports/dfe-return", {Role.ENGAGEMENT_MANAGER, Role.LEAD_OFFICER, Role.GROUP_MANAGER, Role.SENIOR_OFFICER}),
        # Schools' reporting habits and off-rolling signals: managers and the lead officer only (App. E).
        ("/reports/schools", {Role.ENGAGEMENT_MANAGER, Role.LEAD_OFFICER, Role.GROUP_MANAGER}),
        ("/reports/schools/{school_id}", {Role.ENGAGEMENT_MANAGER, Role.LEAD_OFFICER, Role.GROUP_MANAGER}),
        # The cross-LA exchange (issue 9): whoever works the case tells or asks another authority (an officer only
        # on their own case, which the use case checks); the lead officer and the managers watch the traffic.
        ("/cases/{case_id}/authority-contact", {Role.CME_OFFICER, Role.ENGAGEMENT_MANAGER, Role.LEAD_OFFICER}),
        ("/exchange", {Role.ENGAGEMENT_MANAGER, Role.LEAD_OFFICER, Role.GROUP_MANAGER}),
    ],
)
async def test_the_rules_that_guard_childrens_records_and_accounts_are_the_intended_ones(
    app: FastAPI, path: str, roles: set[Role]
) -> None:
    [rule] = {route.rule for route in classify(app)[0] if route.path == path and route.method == "GET"}
    assert {role for role in Role if as_user(rule, role)} == roles
