"""Issue 12: the Missing Mondays meeting in the browser, as the engagement manager, the chair (lead officer) and the
senior officer: escalate, this week's agenda, the review form and its scores, the concerns log, the hand-over, the
sign-off queue and the sign-off, then the case page with the review, its band, decision and signature.
Screenshots of each page go to test-artifacts/screenshots.

The hand-over to the senior officer needs the following meeting to have come: that one step runs review's own use
case in this process with the clock at that meeting (on the suite's database and topics), so nothing waits a week.
"""

from datetime import UTC, datetime, timedelta

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

from services.casework.domain.access import Role
from services.casework.entrypoints.demo import OFFICER
from services.review.domain.meeting import next_meeting_after
from tests.browser.cases import CaseFactory, Stage
from tests.browser.support import Casework, SaveScreenshot, SignedInPage
from tests.browser.test_accessibility import AXE_OPTIONS
from tests.support.review_meeting import pass_at
from tests.support.suite import RunningSuite

pytestmark = pytest.mark.browser


async def open_until(page: Page, path: str, selector: str) -> None:
    """Reload `path` until `selector` shows: the form reaches review over Kafka, a moment after the click."""
    for _ in range(60):
        await page.goto(path)
        if await page.locator(selector).count():
            return
        await page.wait_for_timeout(500)
    raise AssertionError(f"{selector} never appeared on {path}")


async def axe_violations(page: Page) -> list[str]:
    """The review form in each of its states is checked too (the axe walk sees it only before any escalation)."""
    results = await Axe().run(page, options=AXE_OPTIONS)
    return [violation["id"] for violation in results.response["violations"]]


async def score(page: Page, case_id: str, recommendation: str) -> None:
    await page.goto(f"/missing-mondays/cases/{case_id}")
    await page.check('input[name="cme_score"][value="4"]')
    await page.check('input[name="safeguarding_score"][value="1"]')
    await page.get_by_label("Attendees", exact=True).fill("Lee Ashcombe (CME lead)\nInvented Worker (social care)")
    await page.get_by_label("Closure score comments").fill("Every check exhausted; no trace in or out of county")
    await page.check(f'input[name="recommendation"][value="{recommendation}"]')
    await page.locator("#score-submit").click()
    await expect(page.locator("#success-banner")).to_be_visible()


async def test_the_whole_meeting_flow_from_escalation_to_sign_off(
    suite: RunningSuite, casework: Casework, cases: CaseFactory, signed_in: SignedInPage,
    save_screenshot: SaveScreenshot,
) -> None:
    case = await cases.open(Stage.CHECKLIST_COMPLETE, officer_id=OFFICER)
    first = next_meeting_after(datetime.now(UTC).date())
    form_path = f"/missing-mondays/cases/{case.case_id}"

    manager = await signed_in(Role.ENGAGEMENT_MANAGER)
    await manager.goto(f"{case.path}/escalate")
    await manager.check('input[name="kind"][value="missing_mondays"]')
    await manager.check('input[name="cme_score"][value="4"]')
    await manager.check('input[name="safeguarding_score"][value="1"]')
    await manager.locator("#submit").click()
    await expect(manager.locator("#success-banner")).to_contain_text("Case escalated")

    chair = await signed_in(Role.LEAD_OFFICER)
    await open_until(chair, f"/missing-mondays?meeting={first.isoformat()}", f'a[href="{form_path}"]')
    await expect(chair.locator("#agenda")).to_contain_text(case.child_name)
    await save_screenshot(chair, "missing-mondays-agenda.png")

    await chair.locator(f'a[href="{form_path}"]').click()
    await expect(chair.locator("#children")).to_contain_text(case.child_name)
    await expect(chair.locator("#checklist-summary")).to_contain_text("NAFN")
    await save_screenshot(chair, "missing-mondays-review-form.png")
    assert await axe_violations(chair) == []
    await score(chair, case.case_id, "close")
    await expect(chair.locator("#scores")).to_contain_text("LO. Low risk")

    senior = await signed_in(Role.SENIOR_OFFICER)
    await senior.goto(form_path)
    await senior.get_by_label("Team or service").fill("Housing")
    await senior.get_by_label("Concern", exact=True).fill("A tenancy in the family's name may be new")
    await senior.locator("#concern-submit").click()
    await expect(senior.locator("#concerns")).to_contain_text("Open")
    await save_screenshot(senior, "missing-mondays-concerns-log.png")

    await score(chair, case.case_id, "close")
    await expect(chair.locator("#concerns")).to_contain_text("Considered at the meeting of")
    await chair.locator("#pass").click()
    await expect(chair.locator(".govuk-error-summary")).to_contain_text("open until the meeting of")
    await save_screenshot(chair, "missing-mondays-pass-refused-while-window-open.png")
    assert await axe_violations(chair) == []
    await pass_at(suite, case.case_id, casework.user(Role.LEAD_OFFICER).user_id, first + timedelta(days=14))

    await senior.goto("/missing-mondays/sign-off")
    await expect(senior.locator("#sign-off-queue")).to_contain_text(case.child_name)
    await save_screenshot(senior, "missing-mondays-sign-off-queue.png")
    await senior.locator(f'#sign-off-queue a[href="{form_path}"]').click()
    assert await axe_violations(senior) == []
    await senior.check('input[name="decision"][value="close"]')
    await senior.get_by_label("Your title").fill("Assistant Director")
    await senior.locator("#sign-off-submit").click()
    await expect(senior.locator("#signature")).to_contain_text("Case to be closed")
    await save_screenshot(senior, "missing-mondays-signed-off.png")
    assert await axe_violations(senior) == []

    await open_until(chair, case.path, "#reviews")
    await expect(chair.locator("#reviews")).to_contain_text("LO")
    await expect(chair.locator("#reviews")).to_contain_text("Assistant Director")
    await expect(chair.locator("#case-tags")).to_contain_text("Closed")
    await save_screenshot(chair, "missing-mondays-case-closed-after-review.png")
