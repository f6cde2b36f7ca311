"""The forms on a case (issue 8) in the browser, as the demo CME officer: reopen a closed case, change its
priority, and acknowledge the Family Front Door prompt triage raised, each through its GOV.UK form."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from playwright.async_api import expect

from services.casework.adapters.case_records import SqlCaseRecords
from services.casework.domain.access import Role
from services.casework.domain.case_records import FfdPrompt
from services.casework.domain.records import ClosureDetails
from services.casework.domain.vocabulary import ClosureReason, Priority
from services.casework.entrypoints.demo import OFFICER
from tests.browser.cases import CaseFactory, Stage
from tests.browser.pages import CasePage
from tests.browser.support import SaveScreenshot, SignedInPage

pytestmark = pytest.mark.browser

FFD_REASON = "Child in need with whereabouts unknown: refer to the Family Front Door"


async def close_and_prompt(cases: CaseFactory, case_id: str) -> None:
    """The case closed as moved abroad, and a Family Front Door prompt from triage kept beside it."""
    async with cases.session_factory.begin() as session:
        repository = cases.service.repository
        case = await repository.get(session, case_id)
        assert case is not None
        await repository.lock_child(session, case.child_id)
        version = case.version
        case.close(ClosureReason.MOVED_ABROAD, OFFICER, datetime.now(UTC), ClosureDetails(destination_country="Spain"))
        await cases.service.commit_changes(session, case, version)
        await SqlCaseRecords().add_ffd_prompt(
            session, FfdPrompt(case_id, str(uuid4()), (FFD_REASON,), datetime.now(UTC))
        )


async def test_an_officer_reopens_a_case_changes_its_priority_and_acknowledges_the_ffd_prompt(
    signed_in: SignedInPage, cases: CaseFactory, save_screenshot: SaveScreenshot
) -> None:
    opened = await cases.open(Stage.ENQUIRIES, officer_id=OFFICER, priority=Priority.P3)
    await close_and_prompt(cases, opened.case_id)
    page = await signed_in(Role.CME_OFFICER)
    case_page = CasePage(page)
    await case_page.open(opened.case_id)
    await expect(case_page.tags.first).to_have_text("Closed")
    await expect(page.locator("#ffd-outstanding")).to_contain_text("Outstanding")
    await expect(page.locator("#ffd-reasons")).to_contain_text(FFD_REASON)

    await case_page.start("reopen")
    await expect(page.locator("h1")).to_have_text("Reopen the case")
    await page.get_by_label("Why are you reopening the case?").fill("The family has come back to the county")
    await page.locator("#submit").click()
    await expect(case_page.success_banner).to_contain_text("Case reopened")
    await expect(case_page.tags.first).to_have_text("Allocated")

    await case_page.start("change-priority")
    await page.get_by_label("P1", exact=True).check()
    await page.get_by_label("Why is the priority changing?").fill("A younger sibling is missing too")
    await page.locator("#submit").click()
    await expect(case_page.success_banner).to_contain_text("Priority changed")
    await expect(case_page.summary_value("Priority")).to_have_text("P1")
    assert (await case_page.timeline_summaries())[0] == "Priority changed from P3 to P1"

    await case_page.start("acknowledge-ffd")
    await page.locator("#submit").click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select whether you referred the child to the Family Front Door or it is not needed"
    )
    await page.get_by_label("A referral is not needed", exact=True).check()
    why = page.get_by_label("Why a referral is not needed", exact=True)
    await why.fill("The social worker has already referred the family")
    await page.locator("#submit").click()
    await expect(case_page.success_banner).to_contain_text("Family Front Door prompt acknowledged")
    await expect(page.locator("#ffd-outstanding")).to_have_count(0)
    await expect(page.locator("#ffd-acknowledged")).to_contain_text(
        "Referral to the Family Front Door not needed: The social worker has already referred the family"
    )
    await expect(page.locator("#action-acknowledge-ffd")).to_have_count(0)
    await save_screenshot(page, "case-forms-after-ffd.png")


async def test_reopening_an_open_case_is_refused_with_the_reason(
    signed_in: SignedInPage, cases: CaseFactory
) -> None:
    opened = await cases.open(Stage.ENQUIRIES, officer_id=OFFICER)
    page = await signed_in(Role.CME_OFFICER)
    await page.goto(f"/cases/{opened.case_id}/reopen")
    await expect(page.locator("#not-closed")).to_be_visible()

    await page.get_by_label("Why are you reopening the case?").fill("Trying anyway")
    await page.locator("#submit").click()

    await expect(page.locator(".govuk-error-summary")).to_contain_text(
        "This case is not closed; attach the referral instead"
    )
