"""An officer's day in the browser: allocate, record checks and contacts, escalate, close; forms that explain
what is wrong; screenshots of the dashboard, a worked case page and a validation error."""

from datetime import timedelta

import pytest
from playwright.async_api import expect

from services.casework.domain.access import Role
from services.casework.domain.vocabulary import Priority
from services.casework.entrypoints.demo import OFFICER
from tests.browser.cases import CaseFactory, Stage
from tests.browser.pages import (
    AllocateForm,
    CaseListPage,
    CasePage,
    CheckForm,
    CloseForm,
    ContactForm,
    DashboardPage,
    EscalateForm,
)
from tests.browser.support import Casework, SaveScreenshot, SignedInPage, london_today

pytestmark = pytest.mark.browser


async def test_the_dashboard_shows_counts_the_allocation_queue_and_overdue_cases(
    signed_in: SignedInPage, cases: CaseFactory, save_screenshot: SaveScreenshot
) -> None:
    await cases.open(Stage.AWAITING_ALLOCATION, priority=Priority.P1)
    await cases.open(Stage.ENQUIRIES, officer_id=OFFICER, due_in_days=-3)
    page = await signed_in(Role.ENGAGEMENT_MANAGER)
    dashboard = DashboardPage(page)

    await dashboard.open()
    priorities = page.locator("#counts-by-priority tbody tr th, #counts-by-priority tbody tr td:first-child")
    await expect(priorities).to_have_text(["P1", "P2", "P3", "Total"])
    assert await dashboard.section_headings() == [
        "Awaiting allocation", "Past their due date", "Officers' open cases",
    ]
    await expect(dashboard.allocation_queue.locator("tbody tr").first).to_be_visible()
    overdue_rows = dashboard.overdue_cases.locator("tbody tr")
    await expect(overdue_rows.first).to_be_visible()
    for row in await overdue_rows.all():
        await expect(row).to_contain_text("Overdue")
    await save_screenshot(page, "dashboard.png")


async def test_an_engagement_manager_allocates_a_case_so_the_officer_can_work_it(
    signed_in: SignedInPage, cases: CaseFactory, casework: Casework
) -> None:
    case = await cases.open(Stage.AWAITING_ALLOCATION, priority=Priority.P1)
    officer_name = casework.user_by_id(OFFICER).display_name
    officer_page = await signed_in(Role.CME_OFFICER)
    officers_list = CaseListPage(officer_page)
    await officers_list.open()
    await officers_list.search(case.family_name)
    assert await officers_list.child_names() == [], "an unallocated case is not yet the officer's"

    manager_page = await signed_in(Role.ENGAGEMENT_MANAGER)
    managers_list = CaseListPage(manager_page)
    await managers_list.open()
    await managers_list.search(case.family_name)
    case_page = await managers_list.open_case(case.child_name)
    await case_page.start("allocate")
    form = AllocateForm(manager_page)
    await expect(form.heading).to_have_text("Allocate the case")
    await form.allocate_to(officer_name)

    await expect(case_page.success_banner).to_contain_text("Case allocated")
    await expect(case_page.summary_value("Officer")).to_have_text(officer_name)
    await expect(case_page.tags.first).to_have_text("Allocated")
    assert (await case_page.timeline_summaries())[0] == f"Allocated to {officer_name}"

    await officers_list.search(case.family_name)
    assert await officers_list.child_names() == [case.child_name]


async def test_an_officer_records_three_checks_and_a_contact_on_their_own_case(
    signed_in: SignedInPage, cases: CaseFactory, save_screenshot: SaveScreenshot
) -> None:
    case = await cases.open(Stage.ALLOCATED, officer_id=OFFICER)
    page = await signed_in(Role.CME_OFFICER)
    case_page = CasePage(page)
    await case_page.open(case.case_id)
    today = london_today()
    checks = CheckForm(page)

    await case_page.start("record-check")
    await checks.record("Leaver form or discussion with school", on=today, school_concern=False,
                        outcome="The school says the family moved out of county in the summer")
    await expect(case_page.success_banner).to_contain_text("Check recorded")
    await case_page.start("record-check")
    await checks.record("Social care system check", on=today, outcome="Not known to social care")
    await expect(case_page.success_banner).to_contain_text("Check recorded")
    await case_page.start("record-check")
    await checks.record("EHCP", on=today, applicable=False, note="The child has no education, health and care plan")
    await expect(case_page.success_banner).to_contain_text("Check recorded")
    await case_page.start("record-contact")
    await ContactForm(page).record("Phone", "No response", on=today - timedelta(days=1), at="14:30",
                                   note="Rang the number the school held")

    await expect(case_page.success_banner).to_contain_text("Contact recorded")
    await expect(case_page.checklist_progress).to_have_text("3 of 15 checks recorded.")
    await expect(case_page.checklist_status("Leaver form or discussion with school")).to_have_text("Done")
    await expect(case_page.checklist_status("Social care system check")).to_have_text("Done")
    await expect(case_page.checklist_status("EHCP")).to_have_text("Not applicable")
    await expect(case_page.checklist_status("Housing benefit or council tax")).to_have_text("Outstanding")
    await expect(case_page.contact_rows).to_have_count(1)
    await expect(case_page.contact_rows.first).to_contain_text("Phone")
    await expect(case_page.contact_rows.first).to_contain_text("No response")
    await expect(case_page.tags.first).to_have_text("Enquiries")
    timeline = await case_page.timeline_summaries()
    for summary in (
        "Check recorded: Leaver form or discussion with school: done",
        "Check recorded: Social care system check: done",
        "Check recorded: EHCP: not applicable",
        "Contact by phone: no response",
    ):
        assert summary in timeline
    await save_screenshot(page, "case-page.png")


async def test_the_lead_officer_escalates_a_case_with_every_check_done_to_missing_mondays(
    signed_in: SignedInPage, cases: CaseFactory
) -> None:
    case = await cases.open(Stage.CHECKLIST_COMPLETE, officer_id=OFFICER)
    page = await signed_in(Role.LEAD_OFFICER)
    case_page = CasePage(page)
    await case_page.open(case.case_id)
    await case_page.start("escalate")
    form = EscalateForm(page)

    await expect(form.missing_mondays_problems).to_have_count(0)
    await form.escalate("Missing Mondays", cme_score=5, safeguarding_score=2,
                        note="Every check done; no trace of the family")

    await expect(case_page.success_banner).to_contain_text("Case escalated")
    await expect(case_page.escalation_rows).to_have_count(1)
    await expect(case_page.escalation_rows.first).to_contain_text("Missing Mondays")
    await expect(case_page.escalation_rows.first).to_contain_text("CME 5, safeguarding 2")
    await expect(case_page.tags.filter(has_text="Whereabouts unknown")).to_have_count(1)
    assert "Escalated to Missing Mondays (CME score 5, safeguarding score 2)" in await case_page.timeline_summaries()


async def test_missing_mondays_waits_for_the_checklist_but_fap_does_not(
    signed_in: SignedInPage, cases: CaseFactory
) -> None:
    case = await cases.open(Stage.ENQUIRIES, officer_id=OFFICER)
    page = await signed_in(Role.ENGAGEMENT_MANAGER)
    case_page = CasePage(page)
    await case_page.open(case.case_id)
    await case_page.start("escalate")
    form = EscalateForm(page)

    await expect(form.missing_mondays_problems.first).to_contain_text("Record every check first")
    await form.escalate("Missing Mondays", cme_score=4, safeguarding_score=3)
    await expect(form.error_summary).to_be_visible()
    assert (await form.error_messages())[0].startswith("Cannot escalate to Missing Mondays")
    await expect(case_page.escalation_rows).to_have_count(0)

    await form.escalate("Fair Access Protocol", note="Needs a school place")
    await expect(case_page.success_banner).to_contain_text("Case escalated")
    await expect(case_page.escalation_rows.first).to_contain_text("Fair Access Protocol")


async def test_a_form_submitted_empty_says_what_to_do_in_an_error_summary_linked_to_its_fields(
    signed_in: SignedInPage, cases: CaseFactory, save_screenshot: SaveScreenshot
) -> None:
    case = await cases.open(Stage.ENQUIRIES, officer_id=OFFICER)
    page = await signed_in(Role.CME_OFFICER)
    case_page = CasePage(page)
    await case_page.open(case.case_id)
    await case_page.start("record-check")
    form = CheckForm(page)

    await form.submit()

    await expect(form.error_summary).to_be_focused()
    assert (await page.title()).startswith("Error: Record a check")
    assert await form.error_messages() == [
        "Select the check you are recording",
        "Select whether the check is done or not applicable",
        "Enter the date of the check",
    ]
    await save_screenshot(page, "validation-error.png")
    await form.error_summary.get_by_role("link", name="Enter the date of the check").click()
    await expect(page.locator("#on-day")).to_be_focused()


async def test_an_officer_closes_their_case_with_a_reason(signed_in: SignedInPage, cases: CaseFactory) -> None:
    case = await cases.open(Stage.ENQUIRIES, officer_id=OFFICER)
    page = await signed_in(Role.CME_OFFICER)
    case_page = CasePage(page)
    await case_page.open(case.case_id)
    await case_page.start("close")
    form = CloseForm(page)

    await form.choose("Registered into provision")
    await form.submit()
    assert await form.error_messages() == [
        "Enter the school's establishment number, or describe the provision in the details",
    ]
    await form.close("Registered into provision", school_id="8852001")

    await expect(case_page.success_banner).to_contain_text("Case closed")
    await expect(case_page.tags.first).to_have_text("Closed")
    await expect(case_page.summary_value("Outcome")).to_contain_text("Registered into provision")
    assert await case_page.actions() == [
        "Add a note", "Reopen the case", "Link a sibling's case", "Record a new address or contact details",
    ]
    assert (await case_page.timeline_summaries())[0] == "Case closed: registered into provision"
