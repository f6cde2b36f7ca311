"""Each role signs in through the browser and sees what policy Appendix E gives it, and nothing more."""

import pytest
from playwright.async_api import expect

from services.casework.domain.access import Role
from services.casework.entrypoints.demo import ENGAGEMENT_MANAGER, OFFICER, SECOND_OFFICER
from tests.browser.cases import CaseFactory, Stage
from tests.browser.pages import FORBIDDEN_HEADING, BasePage, CaseListPage, CasePage, DashboardPage
from tests.browser.support import Casework, SignedInPage

pytestmark = pytest.mark.browser

# Everyone who works cases has a task diary. CME officers and the team lead enter referrals and decide match
# reviews; the lead officer enters referrals. Reports are for the team lead, the lead officer and managers.
CASE_NAVIGATION = ["Dashboard", "Cases", "Tasks", "Enter a referral", "Match reviews"]
# Whoever sees every case also sees the Missing Mondays meeting (its agenda, forms and sign-off queue).
ALLOCATION_NAVIGATION = [
    "Dashboard", "Cases", "Tasks", "Missing Mondays", "Enter a referral", "Match reviews", "Exchange", "Reports",
]
OVERSIGHT_NAVIGATION = ["Dashboard", "Cases", "Tasks", "Missing Mondays", "Reports", "Audit log"]
# The cross-LA exchange's traffic: the lead officer, the team lead and the group manager (read-only).
GROUP_MANAGER_NAVIGATION = ["Dashboard", "Cases", "Tasks", "Missing Mondays", "Exchange", "Reports", "Audit log"]
LEAD_OFFICER_NAVIGATION = [
    "Dashboard", "Cases", "Tasks", "Missing Mondays", "Enter a referral", "Exchange", "Reports", "Audit log",
]


async def test_a_cme_officer_works_their_own_cases_and_cannot_find_another_teams(
    signed_in: SignedInPage, cases: CaseFactory
) -> None:
    own = await cases.open(Stage.ENQUIRIES, officer_id=OFFICER)
    other_team = await cases.open(Stage.ENQUIRIES, officer_id=SECOND_OFFICER)
    page = await signed_in(Role.CME_OFFICER)
    dashboard = DashboardPage(page)

    await expect(dashboard.heading).to_have_text("Dashboard")
    assert await dashboard.navigation() == CASE_NAVIGATION
    headings = await dashboard.section_headings()
    assert "My cases" in headings
    assert "Awaiting allocation" not in headings
    await expect(dashboard.my_cases.locator("tbody tr").first).to_be_visible()

    case_list = CaseListPage(page)
    await case_list.open()
    await case_list.search(own.family_name)
    assert await case_list.child_names() == [own.child_name]
    await case_list.search(other_team.family_name)
    assert await case_list.child_names() == []
    await expect(case_list.result_count).to_contain_text("No cases match your search")

    case_page = CasePage(page)
    await case_page.open(own.case_id)
    assert await case_page.actions() == [
        "Record a check", "Record a contact", "Add a note", "Close the case", "Change the priority",
        "Tell or ask another authority", "Link a sibling's case", "Record a new address or contact details",
    ]


async def test_an_engagement_manager_sees_the_allocation_queue_and_may_allocate(
    signed_in: SignedInPage, cases: CaseFactory, casework: Casework
) -> None:
    waiting = await cases.open(Stage.AWAITING_ALLOCATION)
    page = await signed_in(Role.ENGAGEMENT_MANAGER)
    dashboard = DashboardPage(page)

    assert await dashboard.navigation() == ALLOCATION_NAVIGATION
    await expect(dashboard.allocation_queue).to_be_visible()
    await expect(dashboard.allocation_queue.get_by_role("link", name="Allocate").first).to_be_visible()
    await expect(dashboard.workloads).to_contain_text(casework.user_by_id(OFFICER).display_name)

    case_page = CasePage(page)
    await case_page.open(waiting.case_id)
    assert await case_page.actions() == [
        "Allocate", "Add a note", "Escalate", "Close the case", "Change the priority", "Tell or ask another authority",
    ]


async def test_the_lead_officer_sees_every_case_and_the_audit_log(
    signed_in: SignedInPage, cases: CaseFactory
) -> None:
    other_team = await cases.open(Stage.ENQUIRIES, officer_id=SECOND_OFFICER)
    page = await signed_in(Role.LEAD_OFFICER)
    dashboard = DashboardPage(page)

    assert await dashboard.navigation() == LEAD_OFFICER_NAVIGATION
    case_list = CaseListPage(page)
    await case_list.open()
    await case_list.search(other_team.family_name)
    await expect(case_list.rows).to_have_count(1)
    await expect(case_list.rows.first).to_contain_text(other_team.reference)
    case_page = await case_list.open_case(other_team.child_name)
    assert await case_page.actions() == [
        "Record a check", "Record a contact", "Add a note", "Escalate", "Add to the Missing Mondays agenda",
        "Close the case", "Tell or ask another authority", "Link a sibling's case",
        "Record a new address or contact details",
    ]
    await page.get_by_role("link", name="Audit log").click()
    await expect(BasePage(page).heading).to_have_text("Audit log")


@pytest.mark.parametrize("role", [Role.GROUP_MANAGER, Role.SENIOR_OFFICER])
async def test_the_group_manager_and_senior_officer_read_every_case_and_change_none(
    role: Role, signed_in: SignedInPage, cases: CaseFactory
) -> None:
    case = await cases.open(Stage.ENQUIRIES, officer_id=OFFICER, allocated_by=ENGAGEMENT_MANAGER)
    page = await signed_in(role)

    expected = GROUP_MANAGER_NAVIGATION if role is Role.GROUP_MANAGER else OVERSIGHT_NAVIGATION
    assert await DashboardPage(page).navigation() == expected
    case_page = CasePage(page)
    assert await case_page.open(case.case_id) == 200
    await expect(case_page.heading).to_have_text(case.child_name)
    assert await case_page.actions() == []


async def test_the_administrator_manages_users_and_sees_no_child_records(
    signed_in: SignedInPage, cases: CaseFactory
) -> None:
    case = await cases.open(Stage.ENQUIRIES, officer_id=OFFICER)
    page = await signed_in(Role.ADMINISTRATOR)
    users_page = BasePage(page)

    await expect(users_page.heading).to_have_text("Users")
    assert await users_page.navigation() == ["Users"]
    for path in ("/", "/cases", case.path):
        assert await users_page.goto(path) == 403, path
        await expect(users_page.heading).to_have_text(FORBIDDEN_HEADING)
        await expect(page.get_by_text(case.family_name)).to_have_count(0)
