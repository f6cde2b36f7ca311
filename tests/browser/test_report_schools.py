"""Issue 10: the Schools pages and the DfE termly return in the browser. Reporting's read model holds a generated
year of school returns with planted schools (tests/support/reporting_history.py); the lead officer sees the ranked
list with each school's signals in words and a school's page with its terms' habits, both axe clean (screenshots in
test-artifacts/screenshots) and audited; the DfE return downloads as CSV and a day that is not a census day is
refused in words; a CME officer is refused the Schools pages.

The returns are written straight into reporting's read model (as its projection writes them) rather than sent
through the topics: triage and casework read the referral topic too, and a year of invented referrals would open
hundreds of cases in the other browser tests' world. The path through the topics is tested in
tests/integration/test_reporting_schools.py.
"""

from collections import defaultdict
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import expect
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from contracts.events.intake_v1 import SubmissionRejected
from contracts.events.referral_v1 import ReferralReceived
from services.casework.domain.access import Role
from services.reporting.adapters.school_facts import SqlSchoolFacts
from services.reporting.domain.dfe_return import Term, census_day
from services.reporting.domain.facts import school_year_of
from services.reporting.service_layer.school_facts import school_fact_row
from tests.browser.pages import FORBIDDEN_HEADING
from tests.browser.support import SaveScreenshot, SignedInPage, london_today
from tests.browser.test_accessibility import AXE_OPTIONS
from tests.support.reporting_history import CLEAN_SCHOOL, OFF_ROLLING_SCHOOL, generate_history
from tests.support.suite import RunningSuite

pytestmark = pytest.mark.browser


async def load_school_returns(suite: RunningSuite) -> None:
    """Last school year's returns of the planted schools, into reporting's `school_returns` table only."""
    history = generate_history(seed=11, schools=6, years=1, first_school_year=school_year_of(london_today()) - 1)
    rows: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for each in history.events():
        if isinstance(each.event, (ReferralReceived, SubmissionRejected)):
            row = school_fact_row(each.event)
            if row is not None:
                rows[row[0]].append(row[1])
    # The suite's URL template names each service's own role: write as reporting, as its projection does.
    engine = create_async_engine(suite.specs["reporting"].env["DATABASE_URL"].replace("{service}", "reporting"))
    try:
        async with async_sessionmaker(engine).begin() as tx:
            await SqlSchoolFacts().add(tx, "school_returns", rows["school_returns"])
    finally:
        await engine.dispose()


async def test_the_schools_pages_and_the_dfe_return_for_managers_only(
    suite: RunningSuite, signed_in: SignedInPage, save_screenshot: SaveScreenshot
) -> None:
    await load_school_returns(suite)
    page = await signed_in(Role.LEAD_OFFICER)
    await page.goto("/reports")
    await page.get_by_role("link", name="Schools' reporting habits and off-rolling signals").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Schools' reporting habits and off-rolling signals"
    )
    ranked = page.locator("#ranked-schools")
    await expect(ranked.get_by_role("link", name=f"School {OFF_ROLLING_SCHOOL}")).to_be_visible()
    await expect(ranked).to_contain_text("Leavers to home education from Years 10 and 11 (possible off-rolling)")
    await expect(ranked).to_contain_text("Late new-pupil returns")
    await expect(ranked.get_by_role("link", name=f"School {CLEAN_SCHOOL}")).to_have_count(0)
    await expect(
        page.locator("#schools-without-signals").get_by_role("link", name=f"School {CLEAN_SCHOOL}")
    ).to_be_visible()
    results = await Axe().run(page, options=AXE_OPTIONS)
    assert [violation["id"] for violation in results.response["violations"]] == []
    await save_screenshot(page, "reports-schools-ranked.png")

    await ranked.get_by_role("link", name=f"School {OFF_ROLLING_SCHOOL}").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"School {OFF_ROLLING_SCHOOL}")
    signals = page.locator("#school-signals")
    await expect(signals).to_contain_text("Leavers clustered before a census day (possible off-rolling)")
    await expect(signals).to_contain_text("the signal is raised")
    terms = page.get_by_role("table", name="Joiner and leaver returns by term")
    await expect(terms).to_be_visible()
    await expect(terms.get_by_role("columnheader", name="Leavers by ground")).to_be_visible()
    await expect(terms.get_by_role("cell", name="Whole period")).to_be_visible()
    grounds = page.get_by_role("table", name="Leavers by ground over the whole period")
    await expect(grounds).to_contain_text("9(1)(f): parent has notified in writing that the child will be home")
    results = await Axe().run(page, options=AXE_OPTIONS)
    assert [violation["id"] for violation in results.response["violations"]] == []
    await save_screenshot(page, "reports-school-off-rolling.png")

    # Each view is in the audit log, naming the school viewed.
    await page.goto(f"/audit?record_id={OFF_ROLLING_SCHOOL}")
    await expect(page.get_by_text("report.school_viewed").first).to_be_visible()

    await page.goto("/reports")
    await page.get_by_role("link", name="Download the DfE termly return (CSV)").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("DfE termly return")
    census = census_day(Term.of(london_today()))
    download = await page.request.get(f"/reports/dfe-return?census_date={census.isoformat()}")
    assert download.status == 200 and download.headers["content-type"].startswith("text/csv")
    assert (await download.text()).startswith("time_period,time_identifier,census_date,new_la_code,")
    await page.goto("/reports/dfe-return?census_date=2025-01-17")
    await expect(page.locator(".govuk-error-summary")).to_contain_text("the Spring 2024/25 census day is 2025-01-16")
    results = await Axe().run(page, options=AXE_OPTIONS)
    assert [violation["id"] for violation in results.response["violations"]] == []
    await save_screenshot(page, "reports-dfe-return-refused.png")
    await page.goto(f"/audit?record_id=dfe-return:{census.isoformat()}")
    await expect(page.get_by_text("report.dfe_return_downloaded").first).to_be_visible()

    officer = await signed_in(Role.CME_OFFICER)
    for path in ("/reports/schools", f"/reports/schools/{OFF_ROLLING_SCHOOL}"):
        response = await officer.goto(path)
        assert response is not None and response.status == 403, path
        await expect(officer.get_by_role("heading", level=1)).to_have_text(FORBIDDEN_HEADING)
