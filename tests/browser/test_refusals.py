"""What the UI refuses, as a browser sees it: a 403 page that names no child, and sign-in before anything else."""

import pytest
from playwright.async_api import expect

from services.casework.domain.access import Role
from services.casework.entrypoints.demo import OFFICER, SECOND_OFFICER
from tests.browser.cases import CaseFactory, Stage
from tests.browser.pages import FORBIDDEN_HEADING, BasePage, CasePage, SignInPage
from tests.browser.support import Casework, OpenPage, SignedInPage

pytestmark = pytest.mark.browser


async def test_an_officer_cannot_open_the_allocation_form(signed_in: SignedInPage, cases: CaseFactory) -> None:
    case = await cases.open(Stage.ALLOCATED, officer_id=OFFICER)
    page = await signed_in(Role.CME_OFFICER)
    refused = BasePage(page)

    assert await refused.goto(f"{case.path}/allocate") == 403
    await expect(refused.heading).to_have_text(FORBIDDEN_HEADING)
    await expect(page.get_by_text("You do not have permission to do this")).to_be_visible()
    await expect(page.get_by_text(case.family_name)).to_have_count(0)


async def test_an_officer_cannot_open_another_teams_case(signed_in: SignedInPage, cases: CaseFactory) -> None:
    case = await cases.open(Stage.ENQUIRIES, officer_id=SECOND_OFFICER)
    page = await signed_in(Role.CME_OFFICER)
    case_page = CasePage(page)

    assert await case_page.open(case.case_id) == 403
    await expect(case_page.heading).to_have_text(FORBIDDEN_HEADING)
    await expect(page.get_by_text("You can only see cases allocated to you or to your team")).to_be_visible()
    await expect(page.get_by_text(case.family_name)).to_have_count(0)
    assert await case_page.goto(f"{case.path}/record-check") == 403


async def test_a_visitor_who_is_not_signed_in_signs_in_first_and_comes_back_to_the_case(
    new_page: OpenPage, casework: Casework, cases: CaseFactory
) -> None:
    case = await cases.open(Stage.ENQUIRIES, officer_id=OFFICER)
    page = await new_page()
    sign_in = SignInPage(page)

    await sign_in.goto(case.path)
    await expect(sign_in.heading).to_have_text("Sign in")
    await expect(page.get_by_text(case.family_name)).to_have_count(0)
    lead = casework.user(Role.LEAD_OFFICER)
    await sign_in.sign_in(lead.email, casework.password)

    await expect(CasePage(page).heading).to_have_text(case.child_name)
    assert page.url.endswith(case.path)


async def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    new_page: OpenPage, casework: Casework
) -> None:
    page = await new_page()
    sign_in = SignInPage(page)
    await sign_in.open()

    await sign_in.sign_in(casework.user(Role.CME_OFFICER).email, "not-the-password")

    assert await sign_in.error_messages() == ["Enter a correct email address and password"]
    await expect(sign_in.heading).to_have_text("Sign in")
