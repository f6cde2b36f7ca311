"""Issue 10: the Reports page in the browser. The weekly Missing Mondays pack from the reporting service, inside
casework's layout, for the lead officer and managers: the team's pack (with the agenda) and the counts-only
version, charts with their tables, PDF and CSV downloads; axe clean; officers are refused. Screenshots of both
versions go to test-artifacts/screenshots."""

from datetime import timedelta

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import expect

from services.casework.domain.access import Role
from services.casework.entrypoints.demo import OFFICER
from tests.browser.cases import CaseFactory, Stage
from tests.browser.pages import FORBIDDEN_HEADING
from tests.browser.support import SaveScreenshot, SignedInPage, london_today
from tests.browser.test_accessibility import AXE_OPTIONS

pytestmark = pytest.mark.browser


async def test_the_weekly_pack_is_shown_downloadable_and_accessible_for_managers_only(
    cases: CaseFactory, signed_in: SignedInPage, save_screenshot: SaveScreenshot
) -> None:
    await cases.open(Stage.ENQUIRIES, officer_id=OFFICER)
    today = london_today()
    monday = today - timedelta(days=today.weekday())
    page = await signed_in(Role.LEAD_OFFICER)
    await page.goto("/")
    await page.get_by_role("link", name="Reports").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Missing Mondays pack")

    await page.goto(f"/reports?week={monday.isoformat()}")
    await expect(page.get_by_role("heading", name="Headline figures")).to_be_visible()
    await expect(page.get_by_role("heading", name="Missing Mondays agenda")).to_be_visible()
    await expect(page.locator("img[alt^='Line chart']")).to_have_count(1)
    await expect(page.get_by_role("table", name="Trend over the last 52 weeks")).to_be_visible()
    results = await Axe().run(page, options=AXE_OPTIONS)
    assert [violation["id"] for violation in results.response["violations"]] == []
    await save_screenshot(page, "reports-pack-team.png")

    pdf = await page.request.get(f"/reports/{monday.isoformat()}/pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert (await pdf.body()).startswith(b"%PDF")
    archive = await page.request.get(f"/reports/{monday.isoformat()}/csv?counts_only=true")
    assert archive.status == 200 and (await archive.body()).startswith(b"PK")

    await page.goto(f"/reports?week={monday.isoformat()}&counts_only=true")
    await expect(page.get_by_role("heading", name="Headline figures")).to_be_visible()
    await expect(page.get_by_role("heading", name="Missing Mondays agenda")).to_have_count(0)
    await expect(page.get_by_text("shown as <5")).to_be_visible()
    results = await Axe().run(page, options=AXE_OPTIONS)
    assert [violation["id"] for violation in results.response["violations"]] == []
    await save_screenshot(page, "reports-pack-counts-only.png")

    officer = await signed_in(Role.CME_OFFICER)
    await officer.goto("/")
    await expect(officer.get_by_role("link", name="Reports")).to_have_count(0)
    response = await officer.goto("/reports")
    assert response is not None and response.status == 403
    await expect(officer.get_by_role("heading", level=1)).to_have_text(FORBIDDEN_HEADING)
