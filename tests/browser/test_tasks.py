"""The task diary in the browser: an officer adds a task on a case, finds it in My tasks, marks it done with an
outcome, and the case's timeline says so."""

import re

import pytest
from playwright.async_api import Page, expect

from services.casework.domain.access import Role
from services.casework.entrypoints.demo import OFFICER
from tests.browser.cases import CaseFactory, OpenedCase, Stage
from tests.browser.support import SignedInPage, london_today

pytestmark = pytest.mark.browser


async def add_task(page: Page, case: OpenedCase, title: str) -> str:
    """Add a task due today for the signed-in officer through the case's "Add a task" form; returns its id."""
    await page.goto(case.path)
    await page.locator("#add-task").click()
    await page.get_by_label("What needs doing").fill(title)
    today = london_today()
    await page.locator("#due-day").fill(str(today.day))
    await page.locator("#due-month").fill(str(today.month))
    await page.locator("#due-year").fill(str(today.year))
    await page.locator("#submit").click()
    await expect(page.locator("#success-banner")).to_contain_text("Task added")
    match = re.search(r"/tasks/([0-9a-f-]{36})", page.url)
    assert match is not None, page.url
    return match.group(1)


async def test_an_officer_completes_a_task_from_my_tasks_and_the_case_timeline_shows_it(
    signed_in: SignedInPage, cases: CaseFactory
) -> None:
    case = await cases.open(Stage.ENQUIRIES, officer_id=OFFICER)
    page = await signed_in(Role.CME_OFFICER)
    task_id = await add_task(page, case, "Ring the previous school about siblings")

    await page.goto("/tasks")
    await expect(page.locator("h1")).to_have_text("My tasks")
    link = page.locator(f"#tasks a[href='/tasks/{task_id}']")
    row = page.locator("#tasks tbody tr", has=page.locator(f"a[href='/tasks/{task_id}']"))
    await expect(row).to_contain_text("Ring the previous school about siblings")
    await expect(row).to_contain_text(case.child_name)
    await expect(row).to_contain_text("Due today")
    await link.click()

    await page.get_by_label("What was done (the outcome)").fill("Spoke to the school: no siblings on roll")
    await page.get_by_role("button", name="Mark as done").click()
    await expect(page.locator("#success-banner")).to_contain_text("Task marked as done")
    await expect(page.locator("#task-state")).to_contain_text("Done")

    await page.goto("/tasks")
    await expect(page.locator(f"a[href='/tasks/{task_id}']")).to_have_count(0)
    await page.goto(case.path)
    await expect(page.locator("#timeline")).to_contain_text(
        "Task completed: Task, by", use_inner_text=True
    )
    await expect(page.locator("#timeline")).to_contain_text("Spoke to the school: no siblings on roll")
