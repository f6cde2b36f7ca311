"""Issue 8: an officer enters a referral taken by phone, one question per page, against the whole running suite:
intake refuses a mistyped UPN (shown on the UPN question with an error summary), the corrected referral goes
through intake's checks and identity resolution, triage decides and a case opens, reached from the confirmation.
The same form with the keyboard alone; and a match review decided "same child" in the browser, then undone.
Screenshots of each page go to test-artifacts/screenshots.
"""

import re
from typing import Any

import pytest
from playwright.async_api import Locator, Page, expect

from services.casework.domain.access import Role
from tests.browser.intake_records import invented_surname, match_review, uncertain_match
from tests.browser.support import Casework, SaveScreenshot, SignedInPage
from tests.support.submissions import valid_upn
from tests.support.suite import RunningSuite

pytestmark = pytest.mark.browser


def mistyped(upn: str) -> str:
    """The UPN with another check letter: the right shape, which intake's check refuses."""
    return ("B" if upn[0] != "B" else "C") + upn[1:]


async def enter_referral(page: Page, family_name: str, upn: str, save: SaveScreenshot | None = None) -> None:
    """Every question of the form, answered with the mouse and typing, up to check answers."""
    await page.get_by_role("link", name="Enter a referral").click()
    await page.locator("#start").click()
    answers: list[tuple[str, Any]] = [
        ("how-received", lambda: page.get_by_label("Phone").check()),
        ("referrer", lambda: page.get_by_label("Housing").check()),
        ("referrer-details", lambda: fill(page, {"Name (optional)": "An Invented Officer",
                                                  "Organisation": "District housing",
                                                  "Phone number": "01905 000111"})),
        ("child-name", lambda: fill(page, {"First name": "Ivy", "Last name": family_name})),
        ("child-dob", lambda: fill(page, {"Day": "17", "Month": "5", "Year": "2015"})),
        ("child-gender", lambda: page.get_by_label("Female").check()),
        ("child-address", lambda: fill(page, {"Building and street": "3 Invented Row", "Town or city": "Worcester",
                                               "Postcode": "WR5 2NP"})),
        ("child-upn", lambda: page.locator("#upn").fill(upn)),
        ("child-school", lambda: page.locator("#school_id").fill("")),
        ("concern", lambda: page.locator("#concern").fill("Moved into a council flat in August; not at any school")),
        ("safeguarding", lambda: page.get_by_label("None known").check()),
    ]
    for step, answer in answers:
        await expect(page).to_have_url(f"{page.url.rsplit('/', 1)[0]}/{step}")
        await answer()
        if save is not None and step in {"how-received", "child-dob", "safeguarding"}:
            await save(page, f"referral-form-{step}.png")
        await page.locator("#continue").click()
    await expect(page.locator("h1")).to_have_text("Check your answers before sending the referral")


async def fill(page: Page, fields: dict[str, str]) -> None:
    for label, value in fields.items():
        await page.get_by_label(label, exact=True).fill(value)


async def test_an_officer_enters_a_phone_referral_and_a_case_opens(
    suite: RunningSuite, signed_in: SignedInPage, save_screenshot: SaveScreenshot
) -> None:
    family_name = invented_surname()
    upn = valid_upn()
    # The team lead takes the call: a new case is unallocated, so an officer would see it only once allocated.
    page = await signed_in(Role.ENGAGEMENT_MANAGER)

    await enter_referral(page, family_name, mistyped(upn), save_screenshot)
    answers = page.locator("#answers")
    await expect(answers).to_contain_text(f"Ivy {family_name}")
    await expect(answers).to_contain_text("17 May 2015")
    await save_screenshot(page, "referral-form-check-answers.png")
    await page.locator("#submit").click()

    # Intake's check of the UPN refused it: the officer is back on that question, the problem summarised.
    await expect(page).to_have_url(f"{page.url.rsplit('/', 1)[0]}/child-upn")
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_be_visible()
    await expect(summary.get_by_role("link")).to_have_attribute("href", "#upn")
    await expect(page.locator("#upn-error")).to_be_visible()
    await save_screenshot(page, "referral-form-rejected-upn.png")
    await page.locator("#upn").fill(upn)
    await page.locator("#continue").click()
    await expect(page.locator("h1")).to_have_text("Check your answers before sending the referral")
    await page.locator("#submit").click()

    await expect(page.locator(".govuk-panel__title")).to_have_text("Referral sent")
    reference = await page.locator("#reference").inner_text()
    assert reference.startswith("officer-")
    await save_screenshot(page, "referral-form-sent.png")
    # Triage decides over Kafka, then casework opens the case: the confirmation links to it once it has.
    for _ in range(60):
        if await page.locator("#case-link").count():
            break
        await page.wait_for_timeout(1000)
        await page.reload()
    await page.locator("#case-link").click()
    await expect(page.locator("h1")).to_contain_text(family_name)
    await save_screenshot(page, "referral-form-case-opened.png")


async def tab_to(page: Page, target: Locator, limit: int = 60) -> None:
    """Presses Tab until `target` has the focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        if await target.evaluate("element => element === document.activeElement"):
            return
        await page.keyboard.press("Tab")
    raise AssertionError("Tab never reached the element")


async def test_the_referral_form_can_be_completed_with_the_keyboard_alone(signed_in: SignedInPage) -> None:
    page = await signed_in(Role.CME_OFFICER)
    keyboard = page.keyboard
    family_name = invented_surname()

    await tab_to(page, page.get_by_role("link", name="Enter a referral"))
    await keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/referrals/new$"))
    await tab_to(page, page.locator("#start"))
    await keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/how-received$"))

    async def choose(radio: Locator) -> None:
        await tab_to(page, page.locator("#main-content input[type=radio], #main-content input[type=checkbox]").first)
        for _ in range(12):
            if await radio.evaluate("element => element === document.activeElement"):
                break
            await keyboard.press("ArrowDown" if await radio.get_attribute("type") == "radio" else "Tab")
        await keyboard.press("Space")
        await expect(radio).to_be_checked()

    async def type_into(fields: dict[str, str]) -> None:
        for selector, text in fields.items():
            await tab_to(page, page.locator(selector))
            await keyboard.type(text)

    async def next_question() -> None:
        """Enter in a text box sends the form, as a keyboard user would; elsewhere Tab to Continue first."""
        in_text_box = await page.evaluate(
            "document.activeElement !== null && document.activeElement.tagName === 'INPUT' && "
            "!['radio', 'checkbox'].includes(document.activeElement.type)"
        )
        if not in_text_box:
            await tab_to(page, page.locator("#continue"))
        before = page.url
        await keyboard.press("Enter")
        await expect(page).not_to_have_url(before)

    await choose(page.get_by_label("Letter"))
    await next_question()
    await choose(page.get_by_label("A member of the public"))
    await next_question()
    await type_into({"#referrer_name": "A Neighbour", "#referrer_email": "neighbour@example.org"})
    await next_question()
    await type_into({"#given_name": "Ruby", "#family_name": family_name})
    await next_question()
    await next_question()  # date of birth not known: left blank
    await choose(page.get_by_label("Not known"))
    await next_question()
    await next_question()  # address not known
    await next_question()  # UPN not known
    await next_question()  # school not known
    await type_into({"#concern": "Says the child has not been to school since Easter"})
    await next_question()  # from the text area: Tab to Continue
    await choose(page.get_by_label("None known"))
    await next_question()

    await expect(page.locator("h1")).to_have_text("Check your answers before sending the referral")
    await expect(page.locator("#answers")).to_contain_text(f"Ruby {family_name}")
    await expect(page.locator("#answers")).to_contain_text("A member of the public")
    await tab_to(page, page.locator("#submit"))
    await keyboard.press("Enter")
    await expect(page.locator(".govuk-panel__title")).to_have_text("Referral sent")


async def test_an_officer_decides_a_match_review_same_child_and_undoes_it(
    suite: RunningSuite, casework: Casework, signed_in: SignedInPage, save_screenshot: SaveScreenshot
) -> None:
    review = await uncertain_match(suite)
    page = await signed_in(Role.CME_OFFICER)

    await page.get_by_role("link", name="Match reviews").click()
    await expect(page.locator("h1")).to_have_text("Match reviews")
    await save_screenshot(page, "match-reviews-list.png")
    await page.locator(f'a[href="/match-reviews/{review["review_id"]}"]').click()
    await expect(page.locator("h1")).to_have_text("Is this the same child?")
    shown = await match_review(suite, review["review_id"])
    known = page.locator("#record-known")
    await expect(known).to_contain_text(shown["proposed_child"]["family_name"])
    upn = shown["proposed_child"]["upn"]
    await expect(known).to_contain_text(upn[-3:])
    await expect(known).not_to_contain_text(upn)
    await expect(page.locator("#reasons")).to_be_visible()
    await save_screenshot(page, "match-review.png")

    await page.locator("#decide").click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Select whether these are the same child")
    await page.get_by_label("Same child").check()
    await page.get_by_label("Reason").fill("The school confirmed Isla is Grace's middle name")
    await page.locator("#decide").click()
    await expect(page.locator("#success")).to_contain_text("the same child")
    await expect(page.locator("#status")).to_have_text("Same child")
    decided = await match_review(suite, review["review_id"])
    assert decided["status"] == "confirmed" and decided["merge_id"]
    assert decided["decided_by"] == casework.user(Role.CME_OFFICER).user_id
    await save_screenshot(page, "match-review-decided.png")

    await page.get_by_label("Undo this decision").fill("Two children after all: twins")
    await page.locator("#undo").click()
    await expect(page.locator("#success")).to_contain_text("Decision undone")
    await expect(page.locator("#status")).to_have_text("To decide")
    undone = await match_review(suite, review["review_id"])
    assert (undone["status"], undone["merge_id"], undone["decided_by"]) == ("open", None, None)
