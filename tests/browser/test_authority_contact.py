"""The officers' side of the cross-LA exchange in the browser (issue 9): the case's officer sends a CME referral to
another authority from the case page with the keyboard alone, and sees it pending under Messages; the new pages
(the form with its errors, the Messages section, the Exchange page) pass axe as the whole-UI walk checks them."""

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

from services.casework.domain.access import Role
from services.casework.entrypoints.demo import OFFICER
from tests.browser.cases import CaseFactory, Stage
from tests.browser.pages import CasePage
from tests.browser.support import SaveScreenshot, SignedInPage
from tests.browser.test_accessibility import AXE_OPTIONS

pytestmark = pytest.mark.browser

MOST_TABS = 300  # more focusable elements than any case page has: a page that never reaches the target fails


async def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the element is focused, as a keyboard user moves through the page."""
    target = page.locator(selector)
    for _ in range(MOST_TABS):
        if await target.evaluate("element => element === document.activeElement"):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was never reached with the Tab key")


async def test_an_officer_sends_a_referral_with_the_keyboard_alone_and_sees_it_pending(
    signed_in: SignedInPage, cases: CaseFactory, save_screenshot: SaveScreenshot
) -> None:
    opened = await cases.open(Stage.ENQUIRIES, officer_id=OFFICER)
    page = await signed_in(Role.CME_OFFICER)
    case_page = CasePage(page)
    await case_page.open(opened.case_id)
    keyboard = page.keyboard

    await tab_to(page, "#action-authority-contact")
    await keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Tell or ask another authority")

    # Sent empty first: the error summary names each answer needed.
    await tab_to(page, "#submit")
    await keyboard.press("Enter")
    await expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select whether this is a CME referral or an enquiry"
    )

    await tab_to(page, "#kind")
    await keyboard.press("Space")
    await expect(page.locator("#kind")).to_be_checked()
    await tab_to(page, "#to_la")
    await keyboard.type("886")
    await tab_to(page, "#address_line_1")
    await keyboard.type("4 Castle Street")
    await tab_to(page, "#postcode")
    await keyboard.type("HR1 2NW")
    await tab_to(page, "#reason")
    await keyboard.type("The family told the school they were moving to Hereford.")
    await tab_to(page, "#submit")
    await keyboard.press("Enter")

    await expect(case_page.success_banner).to_contain_text("Sent to the other authority")
    row = page.locator("#messages tbody tr").first
    await expect(row).to_contain_text("To Local authority 886")
    await expect(row).to_contain_text("CME referral")
    await expect(row.locator(".govuk-tag")).to_have_text("Pending")
    assert "CME referral sent to LA 886 (pending)" in await case_page.timeline_summaries()
    await save_screenshot(page, "case-referred-to-another-authority.png")


async def test_the_exchange_pages_meet_wcag_2_2_aa_by_axe(signed_in: SignedInPage, cases: CaseFactory) -> None:
    opened = await cases.open(Stage.ENQUIRIES, officer_id=OFFICER)
    page = await signed_in(Role.LEAD_OFFICER)
    axe = Axe()
    violations: dict[str, list[str]] = {}

    async def check(name: str) -> None:
        results = await axe.run(page, options=AXE_OPTIONS)
        violations[name] = [violation["id"] for violation in results.response["violations"]]

    await page.goto(f"/cases/{opened.case_id}/authority-contact")
    await page.locator("#submit").click()
    await expect(page.locator(".govuk-error-summary")).to_be_visible()
    await check("form-with-errors")
    await page.locator("#kind").check()
    await page.locator("#to_la").fill("886")
    await page.locator("#reason").fill("Is the child known to you?")
    await page.locator("#submit").click()
    await expect(page.locator("#messages tbody tr")).to_have_count(1)
    await check("case-page-with-messages")
    # Notify answers, or the page says it cannot show the traffic now (503): both must be accessible.
    response = await page.goto("/exchange")
    assert response is not None and response.status in {200, 503}
    await expect(page.locator("h1")).to_have_text("Exchange with other authorities")
    await check("exchange-traffic")

    assert violations == {"form-with-errors": [], "case-page-with-messages": [], "exchange-traffic": []}
