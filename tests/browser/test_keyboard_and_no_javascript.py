"""The UI without a mouse, and without JavaScript: GOV.UK services must work for both (WCAG 2.1.1; progressive
enhancement)."""

from datetime import timedelta

import pytest
from playwright.async_api import expect

from services.casework.domain.access import Role
from services.casework.entrypoints.demo import OFFICER
from tests.browser.cases import CaseFactory, Stage
from tests.browser.pages import (
    BasePage,
    CaseListPage,
    CheckForm,
    CloseForm,
    ContactForm,
    DashboardPage,
    NoteForm,
    SignInPage,
)
from tests.browser.support import Casework, OpenPage, SignedInPage, london_today

pytestmark = pytest.mark.browser


async def test_the_sign_in_form_can_be_completed_with_the_keyboard_alone(
    new_page: OpenPage, casework: Casework
) -> None:
    page = await new_page()
    sign_in = SignInPage(page)
    await sign_in.open()
    officer = casework.user(Role.CME_OFFICER)
    keyboard = page.keyboard

    await keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    await keyboard.press("Enter")
    await keyboard.press("Tab")
    await expect(sign_in.email).to_be_focused()
    await keyboard.type(officer.email)
    await keyboard.press("Tab")
    await expect(sign_in.password).to_be_focused()
    await keyboard.type(casework.password)
    await keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Show password")).to_be_focused()
    await keyboard.press("Tab")
    await expect(sign_in.submit_button).to_be_focused()
    await keyboard.press("Shift+Tab")
    await keyboard.press("Shift+Tab")
    await expect(sign_in.password).to_be_focused()
    await keyboard.press("Enter")

    await expect(DashboardPage(page).heading).to_have_text("Dashboard")
    await sign_in.expect_signed_in_as(officer.display_name)


async def test_a_sign_in_refused_puts_the_keyboard_on_the_error_summary(new_page: OpenPage) -> None:
    page = await new_page()
    sign_in = SignInPage(page)
    await sign_in.open()

    await sign_in.email.focus()
    await page.keyboard.press("Enter")

    await expect(sign_in.error_summary).to_be_focused()
    assert await sign_in.error_messages() == ["Enter your email address", "Enter your password"]
    await page.keyboard.press("Tab")
    await expect(sign_in.error_summary.get_by_role("link", name="Enter your email address")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(sign_in.email).to_be_focused()


async def test_an_officer_works_a_case_from_sign_in_to_closure_with_javascript_off(
    signed_in: SignedInPage, cases: CaseFactory
) -> None:
    case = await cases.open(Stage.ALLOCATED, officer_id=OFFICER)
    page = await signed_in(Role.CME_OFFICER, java_script=False)
    # GOV.UK Frontend marks the body when its scripts run; without JavaScript the mark never appears.
    await expect(page.locator("body.govuk-frontend-supported")).to_have_count(0)
    today = london_today()

    case_list = CaseListPage(page)
    await case_list.open()
    await case_list.search(case.family_name)
    case_page = await case_list.open_case(case.child_name)
    await case_page.start("record-check")
    await CheckForm(page).record("Home visit to last known address", on=today, outcome="Nobody at the address")
    await expect(case_page.success_banner).to_contain_text("Check recorded")
    await case_page.start("record-contact")
    await ContactForm(page).record("Letter", "Returned undelivered", on=today - timedelta(days=1), at="9:15am")
    await expect(case_page.success_banner).to_contain_text("Contact recorded")
    await case_page.start("add-note")
    await NoteForm(page).add("The neighbours say the family moved to Portugal")
    await expect(case_page.success_banner).to_contain_text("Note added")
    await case_page.start("close")
    await CloseForm(page).close("Moved abroad", destination_country="Portugal")
    await expect(case_page.success_banner).to_contain_text("Case closed")

    await expect(case_page.tags.first).to_have_text("Closed")
    await expect(case_page.checklist_status("Home visit to last known address")).to_have_text("Done")
    await expect(case_page.contact_rows.first).to_contain_text("Returned undelivered")
    await expect(page.locator("#notes")).to_contain_text("The neighbours say the family moved to Portugal")
    await BasePage(page).sign_out()
