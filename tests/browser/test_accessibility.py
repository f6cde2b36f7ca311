"""axe-core (WCAG 2.0, 2.1 and 2.2, levels A and AA) on every page of the officers' UI.

The pages come from the casework app itself: every GET route declared through the GuardedRouter (each carries its
access rule), so a new page is checked without anyone adding it here. Each is visited as a role its rule lets in,
with real path parameters, and the error states people meet are added: every action form submitted empty, the
sign-in form with errors, the 403 and 404 pages. Every page's result is written to $CME_TEST_ARTIFACTS/axe
before the single assertion at the end, so the report exists exactly when it is needed.
"""

import json
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest
from axe_playwright_python.async_playwright import Axe
from fastapi.routing import iter_route_contexts
from playwright.async_api import Page, expect

from services.casework.adapters.accounts import User
from services.casework.app import create_app
from services.casework.domain.access import Role
from services.casework.domain.referral_form import STEP_SLUGS
from services.casework.entrypoints.demo import OFFICER
from services.casework.entrypoints.web.security import AccessRule, Audience
from services.casework.settings import CaseworkSettings
from tests.browser.cases import CaseFactory, OpenedCase, Stage
from tests.browser.intake_records import intake_page_values
from tests.browser.pages import FORBIDDEN_HEADING
from tests.browser.support import AXE_REPORTS, OpenPage, SignedInPage
from tests.browser.test_tasks import add_task
from tests.support.suite import RunningSuite

pytestmark = pytest.mark.browser

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
# The role that sees the most of a page comes first: the lead officer sees every case and the audit log.
ROLE_PREFERENCE = (
    Role.LEAD_OFFICER,
    Role.ENGAGEMENT_MANAGER,
    Role.CME_OFFICER,
    Role.SENIOR_OFFICER,
    Role.GROUP_MANAGER,
    Role.ADMINISTRATOR,
)


@dataclass(frozen=True)
class Visit:
    name: str
    path: str
    role: Role | None
    submit_empty_form: bool = False
    status: int = 200
    heading: str | None = None


@dataclass
class Finding:
    visit: Visit
    url: str
    status: int
    violations: list[dict[str, Any]]


@dataclass(frozen=True)
class PageRoute:
    path: str
    rule: AccessRule


def ui_page_routes(suite: RunningSuite) -> list[PageRoute]:
    """The UI's GET routes and their access rules, enumerated as the route access test does, from an app built
    with the running casework process's settings (so the same routes). The JSON API is not a page."""
    environment = suite.specs["casework"].env
    app = create_app(CaseworkSettings(DATABASE_URL=environment["DATABASE_URL"],
                                      KAFKA_BOOTSTRAP_SERVERS=environment["KAFKA_BOOTSTRAP_SERVERS"],
                                      start_consumers=False, log_level="WARNING"))
    routes = []
    for route in iter_route_contexts(app.routes):
        rule = getattr(route.endpoint, "__access__", None)
        path = route.path or ""
        # A document download is a file, not a page: the case page that lists it is walked (so is the Reports page
        # offering the pack's PDF and CSV downloads).
        is_download = path in {"/cases/{case_id}/documents/{document_id}", "/reports/{week}/{download}"}
        if isinstance(rule, AccessRule) and "GET" in (route.methods or ()) and not path.startswith("/api/") \
                and not is_download:
            routes.append(PageRoute(path, rule))
    return routes


def visitor_for(rule: AccessRule) -> Role | None:
    if rule.audience is Audience.PUBLIC:
        return None
    for role in ROLE_PREFERENCE:
        user = User(user_id=f"probe-{role}", email="probe@example.invalid", display_name="Probe", initials="P",
                    roles=frozenset({role}), team_id=None)
        if rule.allows(user):
            return role
    raise AssertionError(f"no role may use a page with the rule {rule}")


def real_path(template: str, values: dict[str, str]) -> str:
    path = template
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    if "{" in path:
        raise AssertionError(f"{template} has a path parameter this test has no value for: add one to its values")
    return path


def slug(text: str) -> str:
    cleaned = "".join(character if character.isalnum() else "-" for character in text.strip("/")) or "home"
    return "-".join(part for part in cleaned.split("-") if part)


def visits(routes: list[PageRoute], case: OpenedCase, task_id: str, intake_values: dict[str, str]) -> list[Visit]:
    values = {"case_id": case.case_id, "user_id": OFFICER, "task_id": task_id, **intake_values,
              # A planted school of tests/support/reporting_history.py (its page shows it whether or not it sent any).
              "school_id": "8854002"}
    planned = []
    for route in sorted(routes, key=lambda route: route.path):
        role = visitor_for(route.rule)
        path = real_path(route.path, values)
        name = slug(route.path.replace("{", "").replace("}", ""))
        planned.append(Visit(name, path, role))
        if route.path.startswith("/cases/{case_id}/"):
            planned.append(Visit(f"{name}-with-errors", path, role, submit_empty_form=True))
    planned += [
        Visit("sign-in-with-errors", "/sign-in", None, submit_empty_form=True),
        Visit("dashboard-cme-officer", "/", Role.CME_OFFICER),
        Visit("case-list-search", f"/cases?q={case.family_name}", Role.LEAD_OFFICER),
        Visit("case-with-success-banner", f"{case.path}?success=note_added", Role.LEAD_OFFICER),
        Visit("audit-log-of-a-case", f"/audit?record_id={case.case_id}", Role.LEAD_OFFICER),
        Visit("reports-counts-only", "/reports?counts_only=true", Role.GROUP_MANAGER),
        Visit("forbidden", "/cases", Role.ADMINISTRATOR, status=403, heading=FORBIDDEN_HEADING),
        *referral_and_match_review_visits(intake_values),
        Visit("not-found", f"/cases/{uuid4()}", Role.LEAD_OFFICER, status=404, heading="Page not found"),
    ]
    return planned


def referral_and_match_review_visits(values: dict[str, str]) -> list[Visit]:
    """Every question of the referral form (the route walk sees one), and both forms' error states."""
    draft = f"/referrals/{values['draft_id']}"
    return [
        *(Visit(f"referral-question-{step}", f"{draft}/{step}", Role.LEAD_OFFICER) for step in STEP_SLUGS[1:]),
        Visit("referral-question-with-errors", f"/referrals/{values['empty_draft_id']}/how-received",
              Role.LEAD_OFFICER, submit_empty_form=True),
        Visit("match-review-with-errors", f"/match-reviews/{values['review_id']}", Role.ENGAGEMENT_MANAGER,
              submit_empty_form=True),
    ]


def write_report(findings: list[Finding]) -> None:
    AXE_REPORTS.mkdir(parents=True, exist_ok=True)
    for stale in AXE_REPORTS.glob("*.json"):
        stale.unlink()
    lines = []
    for finding in findings:
        visit = finding.visit
        document = {"page": visit.name, "url": finding.url, "status": finding.status, "role": visit.role,
                    "tags": AXE_OPTIONS["runOnly"],
                    "violations": finding.violations}
        (AXE_REPORTS / f"{visit.name}.json").write_text(json.dumps(document, indent=2))
        lines.append(f"{len(finding.violations):3d} violations  {visit.name:<40} {finding.status} {finding.url}  "
                     f"({visit.role or 'not signed in'})")
        for violation in finding.violations:
            lines.append(f"      {violation['id']} ({violation['impact']}): {len(violation['nodes'])} element(s): "
                         f"{violation['help']}")
    (AXE_REPORTS / "summary.txt").write_text("\n".join(lines) + "\n")


async def page_for(role: Role | None, pages: dict[Role | None, Page], new_page: OpenPage,
                   signed_in: SignedInPage) -> Page:
    """One page per role, signed in once and reused for every visit that role makes."""
    if role not in pages:
        pages[role] = await (new_page() if role is None else signed_in(role))
    return pages[role]


async def test_every_page_meets_wcag_2_2_aa_by_axe(
    suite: RunningSuite, cases: CaseFactory, new_page: OpenPage, signed_in: SignedInPage
) -> None:
    case = await cases.open(Stage.ENQUIRIES, officer_id=OFFICER, open_to_social_care=True)
    routes = ui_page_routes(suite)
    pages: dict[Role | None, Page] = {}
    # A task on the case, so the task page is walked too.
    task_id = await add_task(await page_for(Role.CME_OFFICER, pages, new_page, signed_in), case, "Axe walk task")
    # A referral draft, an entered referral and a match review in intake, so those pages are walked too.
    planned = visits(routes, case, task_id, await intake_page_values(suite))
    axe = Axe()
    findings = []

    for visit in planned:
        page = await page_for(visit.role, pages, new_page, signed_in)
        response = await page.goto(visit.path)
        status = response.status if response else 0
        if visit.submit_empty_form:
            await page.locator("#main-content form[method=post] button[type=submit]").last.click()
            await expect(page.locator(".govuk-error-summary")).to_be_visible()
        if visit.heading:
            await expect(page.locator("#main-content h1")).to_have_text(visit.heading)
        results = await axe.run(page, options=AXE_OPTIONS)
        findings.append(Finding(visit, page.url, status, results.response["violations"]))
    write_report(findings)

    assert {route.path for route in routes} >= {"/", "/cases", "/cases/{case_id}", "/sign-in"}
    assert {route.path for route in routes} >= {  # the forms on a case (issue 8), each walked and submitted empty
        f"/cases/{{case_id}}/{form}" for form in ("reopen", "change-priority", "acknowledge-transfer",
                                                   "withdraw-outcome", "link-sibling", "record-address",
                                                   "acknowledge-ffd")
    }
    unexpected = {finding.visit.name: finding.status for finding in findings
                  if finding.status != finding.visit.status}
    assert not unexpected, f"pages that did not load as their visit expects: {unexpected}"
    failing = {finding.visit.name: [violation["id"] for violation in finding.violations]
               for finding in findings if finding.violations}
    assert not failing, f"axe found violations (details in {AXE_REPORTS / 'summary.txt'}): {failing}"
